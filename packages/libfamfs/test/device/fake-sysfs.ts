import { FakeSysfs } from '../../src/testing/fake-sysfs';

/**
 * The fake sysfs lives in src/testing (exported as @famfs/libfamfs/testing) so that famfs
 * processes started by tests can load it too; read its header there. This file adds the jest hook.
 */
export { errnoError, FakeSysfs, GiB } from '../../src/testing/fake-sysfs';
export type { FakeDeviceSpec, FakeWrite, WriteFailureRule } from '../../src/testing/fake-sysfs';

/** A fresh FakeSysfs per test (set up by `setup`), removed afterwards. */
export function useFakeSysfs(setup?: (fake: FakeSysfs) => void): () => FakeSysfs {
  let fake: FakeSysfs | undefined;
  beforeEach(() => {
    fake = FakeSysfs.create();
    setup?.(fake);
  });
  afterEach(() => {
    fake?.cleanup();
    fake = undefined;
  });
  return () => {
    if (fake === undefined) throw new Error('useFakeSysfs: no fake outside a test');
    return fake;
  };
}
