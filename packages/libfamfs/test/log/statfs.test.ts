// statfs numbers from the device: blocks from the superblock, free space and slots from the log.
import { Device } from '../../src/device/device';
import { isFamfsError } from '../../src/errors';
import { DEFAULT_LOG_LEN, GiB, LOG_OFFSET, logSlots, MiB } from '../../src/format/constants';
import { LogSession } from '../../src/log/log-session';
import { mkfs } from '../../src/log/mkfs';
import { STATFS_BLOCK_SIZE, statfsOfDevice } from '../../src/log/statfs';
import { MASTER, sparseDevice, useTempDir } from '../support';

const tmp = useTempDir();
const mappingsOf = (d: Device) => (d as unknown as { mappings: Buffer[] }).mappings.length;

test('an empty famfs, then one with a directory and two files', () => {
  const path = sparseDevice(tmp(), 4 * GiB);
  mkfs(path, { systemUuid: MASTER });
  const dev = Device.open(path);
  try {
    const slots = logSlots(DEFAULT_LOG_LEN);
    const blocks = (4 * GiB) / STATFS_BLOCK_SIZE;
    const meta = (LOG_OFFSET + DEFAULT_LOG_LEN) / STATFS_BLOCK_SIZE;
    expect(statfsOfDevice(dev)).toEqual({
      bsize: 4096,
      frsize: 4096,
      blocks,
      bfree: blocks - meta,
      bavail: blocks - meta,
      files: slots,
      ffree: slots,
    });
    const s = LogSession.open(path, { systemUuid: MASTER });
    try {
      s.mkdir('d');
      s.createFile('d/a', 1);
      s.createFile('b', 3 * MiB);
    } finally {
      s.close();
    }
    const used = meta + (2 * MiB + 4 * MiB) / STATFS_BLOCK_SIZE;
    expect(statfsOfDevice(dev)).toMatchObject({
      blocks,
      bfree: blocks - used,
      bavail: blocks - used,
      files: slots,
      ffree: slots - 3,
    });
    expect(mappingsOf(dev)).toBe(0);
  } finally {
    dev.close();
  }
});

test('no famfs on the device: EBADSUPER, and nothing left mapped', () => {
  const dev = Device.open(sparseDevice(tmp(), 64 * MiB));
  try {
    let code = '';
    try {
      statfsOfDevice(dev);
    } catch (e) {
      code = isFamfsError(e) ? e.code : String(e);
    }
    expect(code).toBe('EBADSUPER');
    expect(mappingsOf(dev)).toBe(0);
  } finally {
    dev.close();
  }
});
