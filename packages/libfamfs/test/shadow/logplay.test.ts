import * as fs from 'fs';
import * as path from 'path';
import { crc32 } from 'zlib';
import { LOG_OFFSET, MiB } from '../../src/format/constants';
import { LogSession } from '../../src/log/log-session';
import { mkfs } from '../../src/log/mkfs';
import { entryOffset } from '../../src/log/replay';
import { logplayDevice } from '../../src/shadow/logplay';
import { parseShadowYaml } from '../../src/shadow/yaml-parse';
import { MASTER, OTHER, readBytes, sparseDevice, useTempDir, writeBytes } from '../support';

const tmp = useTempDir();

function device(): string {
  const dev = sparseDevice(tmp());
  mkfs(dev, { systemUuid: MASTER });
  return dev;
}

/** Overwrites the path bytes of entry `index` (a mkdir or file) and fixes its CRC. */
function forgePath(dev: string, index: number, pathOffset: number, raw: Buffer): void {
  const at = LOG_OFFSET + entryOffset(index);
  const e = readBytes(dev, at, 544);
  e.fill(0, 16 + pathOffset, 16 + pathOffset + 80);
  raw.copy(e, 16 + pathOffset);
  e.writeUInt32LE(crc32(e.subarray(0, 536)), 536);
  writeBytes(dev, at, e);
}

test('replays a tree: directories with their modes and owners, files as YAML, .meta files', () => {
  const dev = device();
  const s = LogSession.open(dev, { systemUuid: MASTER });
  s.mkdir('a', { mode: 0o700, uid: 1000, gid: 1000 });
  const f = s.createFile('a/f', 3 * MiB, { mode: 0o600, uid: 1000, gid: 1000 });
  s.close();
  const shadow = path.join(tmp(), 'shadow');
  fs.mkdirSync(shadow);
  const r = logplayDevice(dev, shadow, { systemUuid: OTHER });
  expect(r).toMatchObject({ entries: 2, newFiles: 1, newDirs: 1, bad: [], problems: [] });
  const st = fs.statSync(path.join(shadow, 'root/a'));
  expect(st.mode & 0o777).toBe(0o700);
  if (process.getuid?.() === 0) expect([st.uid, st.gid]).toEqual([1000, 1000]);
  expect(parseShadowYaml(fs.readFileSync(path.join(shadow, 'root/a/f')))).toEqual(f);
  expect(parseShadowYaml(fs.readFileSync(path.join(shadow, 'root/.meta/.log'))).mode).toBe(0o444);
  // Replaying again adds nothing and leaves existing files alone.
  expect(logplayDevice(dev, shadow, { systemUuid: OTHER })).toMatchObject({
    newFiles: 0,
    newDirs: 0,
    existingFiles: 1,
  });
});

test.each([
  ['a .. component', Buffer.from('../escape')],
  ['an absolute path', Buffer.from('/etc/escape')],
  ['an empty component', Buffer.from('a//b')],
  ['no NUL in 80 bytes', Buffer.alloc(80, 0x41)],
  ['invalid UTF-8', Buffer.from([0x61, 0xff, 0xfe])],
])('a log path with %s is reported and nothing is written outside the root', (_what, raw) => {
  const dev = device();
  const s = LogSession.open(dev, { systemUuid: MASTER });
  s.mkdir('ok');
  s.createFile('victim', 1);
  s.close();
  forgePath(dev, 1, 24, raw);
  const base = path.join(tmp(), 'base');
  const shadow = path.join(base, 'shadow');
  fs.mkdirSync(shadow, { recursive: true });
  const r = logplayDevice(dev, shadow);
  expect(r.bad).toHaveLength(1);
  expect(r.bad[0].index).toBe(1);
  expect(r.newDirs).toBe(1);
  expect(fs.readdirSync(base)).toEqual(['shadow']);
  expect(fs.readdirSync(path.join(shadow, 'root')).sort()).toEqual(['.meta', 'ok']);
});

test('a symlink planted in the shadow tree is not followed', () => {
  const dev = device();
  const s = LogSession.open(dev, { systemUuid: MASTER });
  s.mkdir('d');
  s.createFile('d/f', 1);
  s.close();
  const shadow = path.join(tmp(), 'shadow');
  const outside = path.join(tmp(), 'outside');
  fs.mkdirSync(path.join(shadow, 'root'), { recursive: true });
  fs.mkdirSync(outside);
  fs.symlinkSync(outside, path.join(shadow, 'root', 'd'));
  const r = logplayDevice(dev, shadow);
  expect(r.problems.map((p) => p.path).sort()).toEqual(['d', 'd/f']);
  expect(r.problems[0].reason).toMatch(/symlink/);
  expect(fs.readdirSync(outside)).toEqual([]);
});

test('a file where the log has a directory (and the reverse) is a counted problem', () => {
  const dev = device();
  const s = LogSession.open(dev, { systemUuid: MASTER });
  s.mkdir('d');
  s.createFile('f', 1);
  s.close();
  const shadow = path.join(tmp(), 'shadow');
  fs.mkdirSync(path.join(shadow, 'root', 'f'), { recursive: true });
  fs.writeFileSync(path.join(shadow, 'root', 'd'), 'x');
  const r = logplayDevice(dev, shadow);
  expect(r.problems.map((p) => p.path).sort()).toEqual(['d', 'f']);
});

test('a duplicate path in the log is a tree conflict; the first entry wins', () => {
  const dev = device();
  const s = LogSession.open(dev, { systemUuid: MASTER });
  const a = s.createFile('a', 1);
  s.appendRaw({ ...a, size: 2 });
  s.close();
  const shadow = path.join(tmp(), 'shadow');
  fs.mkdirSync(shadow);
  const r = logplayDevice(dev, shadow);
  expect(r.problems).toEqual([
    expect.objectContaining({ index: 1, path: 'a', reason: expect.stringMatching(/duplicate file path/) }),
  ]);
  expect(parseShadowYaml(fs.readFileSync(path.join(shadow, 'root/a'))).size).toBe(1);
});

test('an empty shadow file (a creator killed before its write) is rewritten from the log', () => {
  const dev = device();
  const s = LogSession.open(dev, { systemUuid: MASTER });
  const f = s.createFile('f', 5000);
  s.close();
  const shadow = path.join(tmp(), 'shadow');
  fs.mkdirSync(path.join(shadow, 'root'), { recursive: true });
  fs.writeFileSync(path.join(shadow, 'root', 'f'), '');
  const r = logplayDevice(dev, shadow);
  expect(r).toMatchObject({ repairedFiles: 1, existingFiles: 0, problems: [] });
  expect(parseShadowYaml(fs.readFileSync(path.join(shadow, 'root/f')))).toEqual(f);
  expect(logplayDevice(dev, shadow)).toMatchObject({ repairedFiles: 0, existingFiles: 1 });
});
