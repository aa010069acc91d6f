import * as fs from 'fs';
import { isFamfsError } from '../../src/errors';
import { MiB, LOG_OFFSET } from '../../src/format/constants';
import { fsckDevice } from '../../src/log/fsck';
import { LogSession } from '../../src/log/log-session';
import { mkfs } from '../../src/log/mkfs';
import { entryOffset } from '../../src/log/replay';
import { GiB, MASTER, OTHER, readBytes, sparseDevice, useTempDir, writeBytes } from '../support';

const tmp = useTempDir();

function expectFamfsError(fn: () => unknown, code: string, msg?: RegExp): void {
  try {
    fn();
  } catch (e) {
    expect(isFamfsError(e)).toBe(true);
    expect((e as { code: string }).code).toBe(code);
    if (msg) expect((e as Error).message).toMatch(msg);
    return;
  }
  throw new Error(`expected ${code}`);
}

describe('mkfs', () => {
  test('mkfs of a sparse 8 GiB file then fsck: clean, master, 15,420 slots', () => {
    const dev = sparseDevice(tmp());
    const res = mkfs(dev, { systemUuid: MASTER });
    expect(res.action).toBe('created');
    const r = fsckDevice(dev, { systemUuid: MASTER });
    expect(r.superblock.role).toBe('master');
    expect(r.log.entriesTotal).toBe(15420);
    expect(r.log.entriesUsed).toBe(0);
    expect(r.badEntries).toEqual([]);
    expect(r.collisionCount).toBe(0);
    expect(r.capacity.allocatedBytes).toBe(10 * MiB);
    expect(r.superblock.daxdevName).toBe(fs.realpathSync(dev));
    expect(fs.statSync(dev).size).toBe(8 * GiB);
  });

  test('a 256 MiB log has 493,447 slots', () => {
    const dev = sparseDevice(tmp());
    mkfs(dev, { systemUuid: MASTER, logLen: 256 * MiB });
    expect(fsckDevice(dev, { systemUuid: MASTER }).log.entriesTotal).toBe(493447);
  });

  test.each([1, 1 * MiB, 11 * MiB, 12 * MiB])('log length %d is refused', (len) => {
    const dev = sparseDevice(tmp());
    expectFamfsError(() => mkfs(dev, { systemUuid: MASTER, logLen: len }), 'EINVAL', /power of 2/);
    expect(readBytes(dev, 0, 16).every((b) => b === 0)).toBe(true);
  });

  test('devices under 4 GiB are refused', () => {
    const dev = sparseDevice(tmp(), 4 * GiB - 2 * MiB);
    expectFamfsError(() => mkfs(dev, { systemUuid: MASTER }), 'EINVAL', /4 GiB/);
  });

  test('an existing superblock is kept without force; force replaces it; kill needs force', () => {
    const dev = sparseDevice(tmp());
    mkfs(dev, { systemUuid: MASTER });
    const before = readBytes(dev, 0, 200);
    expectFamfsError(() => mkfs(dev, { systemUuid: MASTER }), 'EEXIST', /already has a famfs superblock/);
    expectFamfsError(() => mkfs(dev, { systemUuid: MASTER, kill: true }), 'EINVAL', /only allowed together with force/);
    expect(readBytes(dev, 0, 200)).toEqual(before);
    mkfs(dev, { systemUuid: MASTER, force: true });
    expect(readBytes(dev, 48, 16)).not.toEqual(before.subarray(48, 64));
    mkfs(dev, { systemUuid: MASTER, force: true, kill: true });
    expectFamfsError(() => fsckDevice(dev, { systemUuid: MASTER }), 'EBADSUPER', /bad magic/);
  });

  test("another host's superblock is refused without force", () => {
    const dev = sparseDevice(tmp());
    mkfs(dev, { systemUuid: OTHER });
    expectFamfsError(() => mkfs(dev, { systemUuid: MASTER }), 'ENOTMASTER', /owned by another host/);
    mkfs(dev, { systemUuid: MASTER, force: true });
    expect(fsckDevice(dev, { systemUuid: MASTER }).superblock.role).toBe('master');
  });

  test('mkfs zeroes a log that held entries', () => {
    const dev = sparseDevice(tmp());
    mkfs(dev, { systemUuid: MASTER });
    const s = LogSession.open(dev, { systemUuid: MASTER });
    s.mkdir('d');
    s.close();
    mkfs(dev, { systemUuid: MASTER, force: true });
    expect(readBytes(dev, LOG_OFFSET + entryOffset(0), 544).every((b) => b === 0)).toBe(true);
  });
});

describe('corruption is reported, never a crash', () => {
  function populated(): string {
    const dev = sparseDevice(tmp());
    mkfs(dev, { systemUuid: MASTER });
    const s = LogSession.open(dev, { systemUuid: MASTER });
    s.mkdir('d');
    s.createFile('d/f', 3 * MiB);
    s.createFile('g', 1);
    s.close();
    return dev;
  }

  test('superblock magic', () => {
    const dev = populated();
    writeBytes(dev, 0, Buffer.from([0]));
    expectFamfsError(() => fsckDevice(dev), 'EBADSUPER', /bad magic/);
  });

  test('superblock CRC', () => {
    const dev = populated();
    writeBytes(dev, 96, Buffer.from([0x55]));
    expectFamfsError(() => fsckDevice(dev), 'EBADSUPER', /CRC mismatch/);
  });

  test('log header CRC', () => {
    const dev = populated();
    writeBytes(dev, LOG_OFFSET + 24, Buffer.from([0x55]));
    expectFamfsError(() => fsckDevice(dev), 'EBADLOG', /CRC mismatch/);
  });

  test("a log entry's CRC: counted as a bad entry, the rest still replayed", () => {
    const dev = populated();
    writeBytes(dev, LOG_OFFSET + entryOffset(1) + 20, Buffer.from([0x7f]));
    const r = fsckDevice(dev, { systemUuid: MASTER });
    expect(r.badEntries).toHaveLength(1);
    expect(r.badEntries[0]).toMatchObject({ index: 1, torn: false });
    expect(r.badEntries[0].reason).toMatch(/log entry 1: CRC mismatch/);
    expect(r.files).toBe(1);
    expect(r.directories).toBe(1);
  });

  test("an entry's seqnum", () => {
    const dev = populated();
    writeBytes(dev, LOG_OFFSET + entryOffset(2), Buffer.from([9]));
    const r = fsckDevice(dev, { systemUuid: MASTER });
    expect(r.badEntries).toEqual([expect.objectContaining({ index: 2, torn: true })]);
    expect(r.badEntries[0].reason).toMatch(/seqnum 9 does not match/);
  });
});

describe('collisions', () => {
  test('an overlapping extent makes fsck count and name the colliding files', () => {
    const dev = sparseDevice(tmp());
    mkfs(dev, { systemUuid: MASTER });
    const s = LogSession.open(dev, { systemUuid: MASTER });
    const a = s.createFile('a', 4 * MiB);
    s.appendRaw({ ...a, path: 'b' });
    s.close();
    const r = fsckDevice(dev, { systemUuid: MASTER });
    expect(r.collisionCount).toBe(2);
    expect(r.collisions).toEqual([
      {
        offset: a.fmap.kind === 'simple' ? a.fmap.extents[0].offset : -1,
        units: 2,
        first: 'a (entry 0)',
        second: 'b (entry 1)',
      },
    ]);
  });
});

describe('roles', () => {
  test('a client cannot append, and the log stays byte-for-byte unchanged', () => {
    const dev = sparseDevice(tmp());
    mkfs(dev, { systemUuid: MASTER });
    const s = LogSession.open(dev, { systemUuid: MASTER });
    s.mkdir('x');
    s.close();
    const before = readBytes(dev, 0, LOG_OFFSET + 8 * MiB);
    expectFamfsError(() => LogSession.open(dev, { systemUuid: OTHER }), 'ENOTMASTER', /not the famfs master/);
    expect(readBytes(dev, 0, LOG_OFFSET + 8 * MiB).equals(before)).toBe(true);
    expect(fsckDevice(dev, { systemUuid: OTHER }).superblock.role).toBe('client');
  });
});
