import * as fs from 'fs';
import * as path from 'path';
import { isFamfsError } from '../src/errors';
import { uuidToText } from '../src/format/uuid';
import { getSystemUuid } from '../src/system-uuid';
import { useTempDir } from './support';

const tmp = useTempDir();

test('a missing file is created as the C famfs does: dir 0755, file 0444, UUID text and a NUL', () => {
  const file = path.join(tmp(), 'opt', 'famfs', 'system_uuid');
  const u = getSystemUuid({ file, env: {} });
  expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o755);
  expect(fs.statSync(file).mode & 0o777).toBe(0o444);
  expect(fs.readFileSync(file, 'latin1')).toBe(uuidToText(u) + '\0');
  expect(getSystemUuid({ file, env: {} })).toEqual(u);
});

test('FAMFS_SYSTEM_UUID overrides the file; a malformed value is refused', () => {
  const file = path.join(tmp(), 'system_uuid');
  const u = getSystemUuid({ file, env: { FAMFS_SYSTEM_UUID: '30313233-3435-3637-3839-3a3b3c3d3e3f' } });
  expect(u.toString('hex')).toBe('303132333435363738393a3b3c3d3e3f');
  expect(fs.existsSync(file)).toBe(false);
  expect(() => getSystemUuid({ file, env: { FAMFS_SYSTEM_UUID: 'nope' } })).toThrow(/is not a UUID/);
});

test('an unparsable file is removed and reported', () => {
  const file = path.join(tmp(), 'system_uuid');
  fs.writeFileSync(file, 'garbage\n');
  let err: unknown;
  try {
    getSystemUuid({ file, env: {} });
  } catch (e) {
    err = e;
  }
  expect(isFamfsError(err, 'EINVAL')).toBe(true);
  expect(fs.existsSync(file)).toBe(false);
});
