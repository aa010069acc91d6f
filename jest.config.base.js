// Shared jest settings: ts-jest over the TypeScript sources, and the workspace packages resolved
// to their sources. Tests that run compiled code on purpose (session worker threads, the famfs and
// famfs_fused binaries as processes) get a fresh dist/: the global setup rebuilds every package
// whose sources changed since its last build, so no test needs a manual build first.
const path = require('path');
module.exports = (dir) => ({
  rootDir: dir,
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: path.join(__dirname, 'tsconfig.spec.json') }] },
  moduleNameMapper: {
    '^@famfs/libfamfs$': path.join(__dirname, 'packages/libfamfs/src/index.ts'),
    // common, then one subpath per layer (format, device, log, alloc, shadow, mount) and testing: src/<layer>/index.ts.
    '^@famfs/libfamfs/(common|format|device|log|alloc|shadow|mount|testing)$': path.join(
      __dirname,
      'packages/libfamfs/src/$1/index.ts',
    ),
    '^@famfs/native$': path.join(__dirname, 'packages/native/src/index.ts'),
    '^@famfs/fused$': path.join(__dirname, 'packages/famfs-fused/src/index.ts'),
    '^@famfs/fuse$': path.join(__dirname, 'packages/fuse/src/index.ts'),
    '^@famfs/fuse/testing$': path.join(__dirname, 'packages/fuse/src/testing/index.ts'),
    '^@famfs/struct$': path.join(__dirname, 'packages/struct/src/index.ts'),
  },
  globalSetup: path.join(__dirname, 'scripts/jest-fresh-dist.js'),
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testTimeout: 120000,
});
