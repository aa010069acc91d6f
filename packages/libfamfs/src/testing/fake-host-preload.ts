import * as fs from 'fs';
import * as path from 'path';
import { setHostIoDefaults } from '../device/host-io';
import { DAEMON_NAME } from '../mount/contract';
import { FakeSysfs } from './fake-sysfs';

/**
 * Test seam for famfs processes started by tests: `NODE_OPTIONS=--require <this file>` plus
 * FAMFS_SYSFS_ROOT=<fake>/sys. When that root belongs to a FakeSysfs (its parent holds the fake's
 * state file), the process's host defaults (host-io.ts) become the fake's: its sysfs, /proc and
 * /dev, its kernel-like sysfs writer, and its device nodes as character devices. With any other
 * FAMFS_SYSFS_ROOT, or none, it does nothing: a real sysfs never holds the state file.
 *
 * famfs_fused, started by `famfs mount` with the same environment, plays the famfs kernel's DAX
 * path here (the kernel under the tests has none): on a famfs kernel the kernel maps the memory
 * of a device in fsdev_dax mode itself, whatever its node allows. So in famfs_fused, and only
 * there, opening a fake node opens the device's memory in every mode. famfs commands still get
 * the node, which reads zeros outside device_dax mode.
 */
const sysfsRoot = process.env.FAMFS_SYSFS_ROOT;
if (sysfsRoot !== undefined && path.basename(sysfsRoot) === 'sys' && FakeSysfs.isFakeRoot(path.dirname(sysfsRoot))) {
  const fake = FakeSysfs.open(path.dirname(sysfsRoot));
  setHostIoDefaults({ ...fake.kernelOptions(), ...fake.options() });
  // The daemon's session runs in worker threads, whose argv names no script: the main thread
  // leaves a mark in the environment they inherit.
  const mark = 'FAMFS_FAKE_HOST_DAEMON';
  if (path.basename(process.argv[1] ?? '', '.js') === DAEMON_NAME || process.env[mark] === '1') {
    process.env[mark] = '1';
    const openSync = fs.openSync;
    const memoryOpen = (file: fs.PathLike, ...rest: unknown[]): number => {
      const memory = typeof file === 'string' ? fake.memoryOf(file) : undefined;
      return (openSync as (...a: unknown[]) => number)(memory ?? file, ...rest);
    };
    Object.assign(fs, { openSync: memoryOpen });
  }
}
