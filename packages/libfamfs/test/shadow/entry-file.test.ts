// The one hardened shadow YAML reader: every refusal is a typed problem, nothing is followed,
// nothing hangs.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { readShadowEntryFile, ShadowTree } from '../../src/shadow/tree';
import { emitShadowYaml } from '../../src/shadow/yaml-emit';
import { SHADOW_YAML_MAX } from '../../src/shadow/yaml-parse';
import { FileEntry } from '../../src/format/log-entry';
import { useTempDir } from '../support';

const MiB = 1024 * 1024;
const tmp = useTempDir();
const ENTRY: FileEntry = {
  type: 'file',
  path: 'a',
  size: 100,
  flags: 2,
  mode: 0o644,
  uid: 0,
  gid: 0,
  fmap: { kind: 'simple', extents: [{ devIndex: 0, offset: 16 * MiB, len: 2 * MiB }] },
};

function write(name: string, content: string | Buffer): string {
  const p = path.join(tmp(), name);
  fs.writeFileSync(p, content);
  return p;
}

const kindOf = (p: string, opts = {}) => {
  const r = readShadowEntryFile(p, opts);
  return r.ok ? 'ok' : r.problem.kind;
};

test('a good file gives its entry', () => {
  const r = readShadowEntryFile(write('a', emitShadowYaml(ENTRY)));
  expect(r).toEqual({ ok: true, entry: ENTRY });
});

test('missing, directory, symlink and fifo are refused without following or blocking', () => {
  expect(kindOf(path.join(tmp(), 'nothing'))).toBe('missing');
  expect(kindOf(path.join(tmp(), 'nothing', 'below'))).toBe('missing');
  fs.mkdirSync(path.join(tmp(), 'dir'));
  expect(kindOf(path.join(tmp(), 'dir'))).toBe('directory');
  const target = write('target', emitShadowYaml(ENTRY));
  fs.symlinkSync(target, path.join(tmp(), 'link'));
  expect(kindOf(path.join(tmp(), 'link'))).toBe('not-a-file');
  execFileSync('mkfifo', [path.join(tmp(), 'fifo')]);
  expect(kindOf(path.join(tmp(), 'fifo'))).toBe('not-a-file');
});

test('too large, replaced, bad YAML and (when asked) a bad map', () => {
  const big = write('big', emitShadowYaml(ENTRY) + '#'.repeat(SHADOW_YAML_MAX));
  expect(readShadowEntryFile(big)).toEqual({
    ok: false,
    problem: { kind: 'too-large', message: expect.stringMatching(/larger than the 16384-byte limit/) },
  });
  const good = write('good', emitShadowYaml(ENTRY));
  const ino = fs.statSync(good).ino;
  expect(kindOf(good, { expectIno: ino })).toBe('ok');
  expect(kindOf(good, { expectIno: BigInt(ino) + 1n })).toBe('changed');
  const bad = readShadowEntryFile(write('bad', 'file: [1, 2]\n'));
  expect(bad.ok).toBe(false);
  if (!bad.ok) {
    expect(bad.problem.kind).toBe('bad-yaml');
    expect(bad.problem.message).not.toContain(tmp());
  }
  const short = write('short', emitShadowYaml({ ...ENTRY, size: 4 * MiB }));
  expect(kindOf(short)).toBe('ok');
  expect(kindOf(short, { checkFmap: {} })).toBe('bad-fmap');
  expect(kindOf(good, { checkFmap: { devSize: 17 * MiB } })).toBe('bad-fmap');
  expect(kindOf(good, { checkFmap: { devSize: 18 * MiB } })).toBe('ok');
});

test('ShadowTree.readEntry refuses a symlinked directory on the way', () => {
  const root = path.join(tmp(), 'root');
  const outside = path.join(tmp(), 'outside');
  fs.mkdirSync(root);
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(outside, 'a'), emitShadowYaml(ENTRY));
  fs.symlinkSync(outside, path.join(root, 'd'));
  const tree = new ShadowTree(root);
  const r = tree.readEntry('d/a');
  expect(r.ok ? 'ok' : r.problem.kind).toBe('unsafe-path');
  fs.mkdirSync(path.join(root, 'e'));
  fs.writeFileSync(path.join(root, 'e', 'a'), emitShadowYaml(ENTRY));
  expect(tree.readEntry('e/a')).toEqual({ ok: true, entry: ENTRY });
});
