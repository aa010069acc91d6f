/**
 * mkfs, fsck and logplay of a dax device in every mode, on the fake sysfs: raw access switches
 * fsdev_dax to device_dax for the operation and back, whatever happens; the modes famfs cannot use
 * are one sentence each with nothing touched; a mounted device is read through its mount's .meta
 * files and never opened (here a directory standing in for the mount: the FUSE side is the CLI's).
 */
import * as fs from 'fs';
import * as path from 'path';
import { withFamfsMeta, withRawDevice } from '../../src/device/device-access';
import { DaxMode } from '../../src/device/dax-mode';
import { isFamfsError } from '../../src/errors';
import { LOG_OFFSET, SUPERBLOCK_SIZE } from '../../src/format/constants';
import { LOG_META, SUPERBLOCK_META } from '../../src/format/meta-paths';
import { LogSession } from '../../src/log/log-session';
import { fsckDevice } from '../../src/log/fsck';
import { mkfs } from '../../src/log/mkfs';
import { logplayDevice } from '../../src/shadow/logplay';
import { MASTER, readBytes, useTempDir } from '../support';
import { expectDaxError } from './dax-expect';
import { FakeSysfs, useFakeSysfs } from './fake-sysfs';

const fake = useFakeSysfs();
const tmp = useTempDir('famfs-access-');
const MiB = 1024 ** 2;

const journal = (f: FakeSysfs): string[] => f.journal();

/** The writes of one fsdev_dax -> device_dax -> fsdev_dax round trip. */
const ROUND_TRIP = [
  'fsdev_dax/remove_id=ok',
  'fsdev_dax/unbind=ok',
  'device_dax/bind=ok',
  'device_dax/remove_id=ok',
  'device_dax/unbind=ok',
  'fsdev_dax/new_id=ok',
];

/** A famfs with one directory and one file on dax0.0, then put in `mode` (through the fake kernel). */
function famfsDevice(f: FakeSysfs, mode: DaxMode): string {
  const node = f.addDevice('dax0.0');
  mkfs(node, { systemUuid: MASTER, dax: f.options() });
  const s = LogSession.open(node, { systemUuid: MASTER });
  try {
    s.mkdir('d', { mode: 0o755 });
    s.createFile('d/f', 3 * MiB);
  } finally {
    s.close();
  }
  f.reconfigure('dax0.0', mode);
  f.clearWrites();
  return node;
}

const notMounted = (): string[] => [];

describe('mkfs, fsck and logplay of an unmounted dax device', () => {
  test('device_dax: used as it is, nothing written to sysfs', () => {
    const f = fake();
    const node = famfsDevice(f, 'device_dax');
    expect(fsckDevice(node, { systemUuid: MASTER, dax: f.options() }).files).toBe(1);
    expect(logplayDevice(node, tmp(), { dax: f.options() }).newFiles).toBe(1);
    expect(mkfs(node, { force: true, systemUuid: MASTER, dax: f.options() }).action).toBe('created');
    expect(f.writes).toEqual([]);
  });

  test('fsdev_dax: each operation switches to device_dax and back', () => {
    const f = fake();
    const node = famfsDevice(f, 'fsdev_dax');
    expect(fsckDevice(node, { systemUuid: MASTER, dax: f.options() })).toMatchObject({ files: 1, directories: 1 });
    expect(journal(f)).toEqual(ROUND_TRIP);
    expect(f.modeOf('dax0.0')).toBe('fsdev_dax');

    f.clearWrites();
    expect(logplayDevice(node, tmp(), { dax: f.options() })).toMatchObject({ newFiles: 1, newDirs: 1 });
    expect(fs.existsSync(path.join(tmp(), 'root', 'd', 'f'))).toBe(true);
    expect(journal(f)).toEqual(ROUND_TRIP);

    f.clearWrites();
    const made = mkfs(node, { force: true, systemUuid: MASTER, dax: f.options(), report: true });
    expect(made).toMatchObject({ action: 'created', report: { files: 0, collisionCount: 0 } });
    expect(journal(f)).toEqual(ROUND_TRIP);
    expect(f.modeOf('dax0.0')).toBe('fsdev_dax');
    // The node of a device in fsdev_dax reaches no memory: what mkfs wrote went to the device.
    expect(readBytes(node, 0, 8).readBigUInt64LE(0)).toBe(0n);
    expect(readBytes(f.mediaOf('dax0.0'), 0, 8).readBigUInt64LE(0)).not.toBe(0n);
  });

  const unusable: Array<[DaxMode | 'unknown', string[], string]> = [
    ['system-ram', ['system-ram mode', 'kmem'], 'daxctl reconfigure-device --mode=devdax --force dax0.0'],
    ['none', ['mode none', 'no driver bound'], 'daxctl reconfigure-device --mode=devdax dax0.0'],
    ['unknown', ['unknown mode', 'dax_cxl_mystery'], 'daxctl reconfigure-device --mode=devdax dax0.0'],
  ];
  test.each(unusable)('%s: mkfs, fsck and logplay each refuse in one sentence, nothing written', (mode, words, fix) => {
    const f = fake();
    const node = famfsDevice(f, 'device_dax');
    if (mode === 'unknown') {
      f.addDriver('dax_cxl_mystery');
      f.writer(path.join(f.sysfsRoot, 'bus', 'dax', 'drivers', 'device_dax', 'unbind'), 'dax0.0');
      f.writer(path.join(f.sysfsRoot, 'bus', 'dax', 'drivers', 'dax_cxl_mystery', 'new_id'), 'dax0.0');
      f.clearWrites();
    } else {
      f.reconfigure('dax0.0', mode);
      f.clearWrites();
    }
    const expected = { reason: 'wrong-mode' as const, code: 'EDAXMODE' as const, mentions: [node, ...words], fix };
    expectDaxError(() => fsckDevice(node, { dax: f.options() }), expected);
    expectDaxError(() => logplayDevice(node, tmp(), { dax: f.options() }), expected);
    expectDaxError(() => mkfs(node, { force: true, systemUuid: MASTER, dax: f.options() }), expected);
    expect(f.writes).toEqual([]);
    expect(fs.readdirSync(tmp())).toEqual([]);
  });

  test('fsdev_dax: a failing operation still switches back', () => {
    const f = fake();
    const node = famfsDevice(f, 'fsdev_dax');
    const code = (fn: () => unknown): string | undefined => {
      try {
        fn();
      } catch (e) {
        return isFamfsError(e) ? e.code : String(e);
      }
      return undefined;
    };
    expect(code(() => mkfs(node, { systemUuid: MASTER, dax: f.options() }))).toBe('EEXIST');
    expect(code(() => logplayDevice(node, path.join(tmp(), 'missing'), { dax: f.options() }))).toBe('ENOENT');
    // Destroy the superblock on the memory itself, then check: EBADSUPER, and the mode is back.
    fs.writeFileSync(f.mediaOf('dax0.0'), Buffer.alloc(4096), { flag: 'r+' });
    expect(code(() => fsckDevice(node, { dax: f.options() }))).toBe('EBADSUPER');
    expect(journal(f)).toEqual([...ROUND_TRIP, ...ROUND_TRIP, ...ROUND_TRIP]);
    expect(f.modeOf('dax0.0')).toBe('fsdev_dax');
  });

  test('a switch that fails is rolled back and the operation never runs', () => {
    const f = fake();
    const node = famfsDevice(f, 'fsdev_dax');
    f.failProbe('device_dax', 'ENOMEM');
    expectDaxError(() => fsckDevice(node, { dax: f.options() }), {
      reason: 'switch-failed',
      code: 'EIO',
      mentions: [node, 'device_dax/bind: ENOMEM', 'still in fsdev_dax mode'],
      fix: 'daxctl reconfigure-device --mode=devdax dax0.0',
    });
    expect(f.modeOf('dax0.0')).toBe('fsdev_dax');
  });

  test('a restore that fails after a successful mkfs is the error, naming the fix', () => {
    const f = fake();
    const node = famfsDevice(f, 'fsdev_dax');
    f.failProbe('fsdev_dax', 'EBUSY');
    expectDaxError(() => mkfs(node, { force: true, systemUuid: MASTER, dax: f.options() }), {
      reason: 'restore-failed',
      code: 'EIO',
      mentions: [node, 'could not restore', 'fsdev_dax/bind: EBUSY', 'device_dax mode'],
      fix: 'daxctl reconfigure-device --mode=famfs dax0.0',
    });
  });

  test('a node the kernel removed (no driver) is explained by the mode, not ENOENT', () => {
    const f = fake();
    f.addDevice('dax3.0', { mode: 'none' });
    const gone = path.join(f.root, 'nodes-elsewhere', 'dax3.0');
    expectDaxError(() => withRawDevice(gone, {}, () => 0, { ...f.options(), mountsOf: notMounted }), {
      reason: 'wrong-mode',
      code: 'EDAXMODE',
      mentions: [gone, 'mode none'],
      fix: 'daxctl reconfigure-device --mode=devdax dax3.0',
    });
  });
});

describe('a mounted device', () => {
  /** A directory that shows the device's .meta files, as a famfs mount of it does. */
  function fakeMount(f: FakeSysfs, logLen: number): string {
    const mpt = path.join(tmp(), 'mnt');
    fs.mkdirSync(path.join(mpt, '.meta'), { recursive: true });
    fs.writeFileSync(path.join(mpt, SUPERBLOCK_META), readBytes(f.mediaOf('dax0.0'), 0, SUPERBLOCK_SIZE));
    fs.writeFileSync(path.join(mpt, LOG_META), readBytes(f.mediaOf('dax0.0'), LOG_OFFSET, logLen));
    return mpt;
  }

  test("is read through the mount's .meta files, never opened, never switched", () => {
    const f = fake();
    const node = famfsDevice(f, 'fsdev_dax');
    const mpt = fakeMount(f, 8 * MiB);
    const mountsOf = (d: string): string[] => (d === node ? [mpt] : []);
    const opened = jest.fn();
    const seen = withFamfsMeta(
      node,
      (m) => {
        opened(m.device);
        return { mountpoint: m.mountpoint, logLen: m.log.length, uuid: m.sb.systemUuid.toString('hex') };
      },
      { ...f.options(), mountsOf },
    );
    expect(seen).toEqual({ mountpoint: mpt, logLen: 8 * MiB, uuid: MASTER.toString('hex') });
    expect(opened).toHaveBeenCalledWith(null);
    expect(f.writes).toEqual([]);
    // fsck and logplay by mount point, the way the CLI asks for a mounted file system.
    expect(fsckDevice(node, { mountpoint: mpt, systemUuid: MASTER, dax: f.options() }).files).toBe(1);
    expect(logplayDevice(node, path.join(tmp()), { mountpoint: mpt, dax: f.options() }).newFiles).toBe(1);
    expect(f.writes).toEqual([]);
  });

  test('raw access is refused while mounted: nothing switched', () => {
    const f = fake();
    const node = famfsDevice(f, 'fsdev_dax');
    const fn = jest.fn();
    expectDaxError(() => withRawDevice(node, {}, fn, { ...f.options(), mountsOf: () => ['/mnt/famfs'] }), {
      reason: 'mounted',
      code: 'EBUSY',
      mentions: [node, 'mounted by famfs'],
      fix: 'famfs umount <mountpoint>',
    });
    expect(fn).not.toHaveBeenCalled();
    expect(f.writes).toEqual([]);
  });

  test('a mount without .meta files is not read, and the device is not opened either', () => {
    const f = fake();
    const node = famfsDevice(f, 'fsdev_dax');
    const elsewhere = path.join(tmp(), 'not-famfs');
    fs.mkdirSync(elsewhere);
    expect(() => withFamfsMeta(node, () => 0, { ...f.options(), mountsOf: () => [elsewhere] })).toThrow(
      /is mounted at .*not-famfs, which shows no famfs \.meta files/,
    );
    expect(f.writes).toEqual([]);
  });

  test('a short .meta/.log is EBADLOG, naming the file', () => {
    const f = fake();
    const node = famfsDevice(f, 'fsdev_dax');
    const mpt = fakeMount(f, MiB);
    expect(() => fsckDevice(node, { mountpoint: mpt, dax: f.options() })).toThrow(
      /\.meta\/\.log of its mount: it holds/,
    );
  });
});
