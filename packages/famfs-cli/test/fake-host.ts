/**
 * The fake sysfs (libfamfs src/testing/fake-sysfs.ts) for tests that run famfs as a process. The
 * test seam: the child gets FAMFS_SYSFS_ROOT=<fake>/sys and NODE_OPTIONS=--require of the fake's
 * preload, which points the child's host defaults (sysfs, /proc, /dev, the sysfs writer and the
 * character-device test) at the fake. The fake keeps its state on disk, so the test sees what the
 * child did (modes, the journal of sysfs writes) and the child sees the failures the test injected.
 */
import { FakeSysfs, fakeHostEnv } from '../../libfamfs/src/testing';
import type { DaxMode } from '../../libfamfs/src/device/mode-names';

export { FakeSysfs } from '../../libfamfs/src/testing';
/** A fresh fake per test, removed afterwards. */
export { useFakeSysfs as useFakeHost } from '../../libfamfs/test/device/fake-sysfs';

/** The environment of a famfs process on the fake host. */
export function fakeEnv(f: FakeSysfs, extra: Record<string, string> = {}): Record<string, string> {
  return { ...fakeHostEnv(f), ...extra };
}

export type FakeKernel = 'v10' | 'stock';

/** /proc of a kernel with FUSE famfs (V10) or without it, fuse loaded, /dev/fuse, CAP_SYS_RAWIO. */
export function setKernel(f: FakeSysfs, kernel: FakeKernel): void {
  f.setOsRelease(kernel === 'v10' ? '7.1.0-famfs' : '7.1.0');
  f.setKallsyms(
    kernel === 'v10'
      ? [
          ['famfs_fuse_iomap_begin', 'fuse'],
          ['famfs_fuse_get_fmap', 'fuse'],
        ]
      : [],
  );
  f.setFilesystems(['sysfs', 'proc', 'fuse', 'fusectl']);
  f.addModule('fuse');
  f.addFuseDevice();
  f.setCapEff(0x1ffffffffffn);
}

/** Puts daxX.Y in `mode` as daxctl would, through the fake kernel; then forgets those writes. */
export function putInMode(f: FakeSysfs, name: string, mode: DaxMode): void {
  f.reconfigure(name, mode);
  f.clearWrites();
}

/** The fake's journal of sysfs writes as 'driver/attr=result'. */
export function journal(f: FakeSysfs): string[] {
  return f.journal();
}

/** The writes of one fsdev_dax -> device_dax -> fsdev_dax round trip (raw access, then restore). */
export const ROUND_TRIP = [
  'fsdev_dax/remove_id=ok',
  'fsdev_dax/unbind=ok',
  'device_dax/bind=ok',
  'device_dax/remove_id=ok',
  'device_dax/unbind=ok',
  'fsdev_dax/new_id=ok',
];
