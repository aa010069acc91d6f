import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { getxattr, isNativeError } from '../src';

test('getxattr: null for a missing attribute, an error naming the syscall for a missing file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'famfs-xattr-'));
  try {
    const f = path.join(dir, 'f');
    fs.writeFileSync(f, 'x');
    expect(getxattr(f, 'user.famfs.nothing')).toBeNull();
    let err: unknown;
    try {
      getxattr(path.join(dir, 'missing'), 'user.x');
    } catch (e) {
      err = e;
    }
    expect(isNativeError(err, 'ENOENT')).toBe(true);
    expect((err as Error).message).toMatch(/^getxattr: /);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
