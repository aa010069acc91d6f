import * as path from 'path';
import { setHostIoDefaults } from '../device/host-io';
import { FakeSysfs } from './fake-sysfs';

/**
 * Test seam for famfs processes started by tests: `NODE_OPTIONS=--require <this file>` plus
 * FAMFS_SYSFS_ROOT=<fake>/sys. When that root belongs to a FakeSysfs (its parent holds the fake's
 * state file), the process's host defaults (host-io.ts) become the fake's: its sysfs, /proc and
 * /dev, its kernel-like sysfs writer, and its device nodes as character devices. With any other
 * FAMFS_SYSFS_ROOT, or none, it does nothing: a real sysfs never holds the state file.
 */
const sysfsRoot = process.env.FAMFS_SYSFS_ROOT;
if (sysfsRoot !== undefined && path.basename(sysfsRoot) === 'sys' && FakeSysfs.isFakeRoot(path.dirname(sysfsRoot))) {
  const fake = FakeSysfs.open(path.dirname(sysfsRoot));
  setHostIoDefaults({ ...fake.kernelOptions(), ...fake.options() });
}
