import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { InvalidNameError, readDirStats } from '../src';

let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'famfs-dir-stats-'));
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

test('readDirStats gives every name of the directory and what lstat gives for each', () => {
  fs.writeFileSync(path.join(dir, 'file'), 'x'.repeat(12345));
  fs.chmodSync(path.join(dir, 'file'), 0o640);
  fs.mkdirSync(path.join(dir, 'sub'), 0o710);
  fs.writeFileSync(path.join(dir, 'sub', 'inner'), 'not listed');
  fs.symlinkSync('file', path.join(dir, 'link'));
  fs.symlinkSync('nowhere', path.join(dir, 'dangling'));
  fs.writeFileSync(path.join(dir, 'ünï'), 'abc');
  fs.writeFileSync(path.join(dir, '.hidden'), '');
  const got = readDirStats(dir);
  expect([...got.names].sort()).toEqual(fs.readdirSync(dir).sort());
  expect(got.stats.length).toBe(got.names.length * 3);
  for (const [i, name] of got.names.entries()) {
    const st = fs.lstatSync(path.join(dir, name));
    expect([...got.stats.subarray(3 * i, 3 * i + 3)]).toEqual([st.mode, st.size, 0]);
  }
  const link = got.names.indexOf('link');
  expect(got.stats[3 * link] & fs.constants.S_IFMT).toBe(fs.constants.S_IFLNK); // not followed
});

test('an empty directory has no names', () => {
  expect(readDirStats(dir)).toEqual({ names: [], stats: new Float64Array(0) });
});

test('a directory that cannot be opened throws its errno', () => {
  expect(() => readDirStats(path.join(dir, 'missing'))).toThrow(/ENOENT|no such file/i);
  fs.writeFileSync(path.join(dir, 'plain'), '');
  expect(() => readDirStats(path.join(dir, 'plain'))).toThrow(/not a directory/i);
});

test('a name that is not UTF-8 is refused with its bytes', () => {
  fs.writeFileSync(path.join(dir, 'good'), '');
  const bad = Buffer.from([0x61, 0xff, 0x62]);
  fs.writeFileSync(Buffer.concat([Buffer.from(dir + '/'), bad]), '');
  let thrown: unknown;
  try {
    readDirStats(dir);
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(InvalidNameError);
  expect((thrown as InvalidNameError).bytes).toEqual(bad);
  expect((thrown as InvalidNameError).dir).toBe(dir);
});
