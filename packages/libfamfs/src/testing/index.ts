/**
 * @famfs/libfamfs/testing: a fake host for tests of the dax device code, here and in the packages
 * that run famfs as a process. FakeSysfs builds a sysfs, /proc and /dev tree whose sysfs writes
 * behave like the kernel's dax bus; fakeHostEnv gives the environment that makes a famfs process
 * use it (through fake-host-preload). Not for production use.
 */
import * as path from 'path';
import { FakeSysfs } from './fake-sysfs';

export { errnoError, FakeSysfs, GiB } from './fake-sysfs';
export type { FakeDeviceSpec, FakeWrite, WriteFailureRule } from './fake-sysfs';

/**
 * The preload a famfs child process needs to see a fake: always the compiled one in dist/ (from
 * src/testing under ts-jest as from dist/testing), since the child runs plain node.
 */
export const FAKE_HOST_PRELOAD = path.resolve(__dirname, '..', '..', 'dist', 'testing', 'fake-host-preload.js');

/** Environment for a famfs process that must see `fake` as its host (sysfs, /proc, /dev). */
export function fakeHostEnv(fake: FakeSysfs, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const preload = `--require ${FAKE_HOST_PRELOAD}`;
  const nodeOptions = env.NODE_OPTIONS ? `${env.NODE_OPTIONS} ${preload}` : preload;
  return { FAMFS_SYSFS_ROOT: fake.sysfsRoot, NODE_OPTIONS: nodeOptions };
}
