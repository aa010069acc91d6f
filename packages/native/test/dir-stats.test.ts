import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { lstatNames } from '../src';

let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'famfs-dir-stats-'));
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

test('lstatNames gives what lstat gives for each name, and the errno of those it cannot stat', () => {
  fs.writeFileSync(path.join(dir, 'file'), 'x'.repeat(12345));
  fs.chmodSync(path.join(dir, 'file'), 0o640);
  fs.mkdirSync(path.join(dir, 'sub'), 0o710);
  fs.symlinkSync('file', path.join(dir, 'link'));
  fs.symlinkSync('nowhere', path.join(dir, 'dangling'));
  const names = ['file', 'sub', 'link', 'dangling', 'missing', '', 'sub/x', 'ünï'];
  fs.writeFileSync(path.join(dir, 'ünï'), 'abc');
  const got = lstatNames(dir, names);
  expect(got.length).toBe(names.length * 3);
  for (const [i, name] of names.entries()) {
    const [mode, size, errno] = got.subarray(3 * i, 3 * i + 3);
    if (name === '' || name.includes('/')) {
      expect([mode, size, errno]).toEqual([0, 0, os.constants.errno.EINVAL]);
      continue;
    }
    let st: fs.Stats;
    try {
      st = fs.lstatSync(path.join(dir, name));
    } catch (e) {
      expect(errno).toBe(-(e as NodeJS.ErrnoException).errno!);
      expect([mode, size]).toEqual([0, 0]);
      continue;
    }
    expect([mode, size, errno]).toEqual([st.mode, st.size, 0]);
  }
  expect(got[3 * 2] & fs.constants.S_IFMT).toBe(fs.constants.S_IFLNK); // not followed
  expect(got[3 * 4 + 2]).toBe(os.constants.errno.ENOENT);
  expect(lstatNames(dir, []).length).toBe(0);
});

test('a directory that cannot be opened throws; a NUL in a name is refused', () => {
  expect(() => lstatNames(path.join(dir, 'missing'), ['a'])).toThrow(/ENOENT|no such file/i);
  fs.writeFileSync(path.join(dir, 'plain'), '');
  expect(() => lstatNames(path.join(dir, 'plain'), ['a'])).toThrow(/not a directory/i);
  expect(() => lstatNames(dir, ['a\0b'])).toThrow(/NUL byte/);
});
