// npm's install step for @famfs/native.
// - Installed as a dependency (under node_modules): node-gyp-build keeps the prebuilt binary from
//   the tarball when it loads here, and otherwise compiles csrc/ (the compile fallback, which
//   needs g++, make and python3).
// - In the famfs-ts source tree: prebuildify, so the binary the tests load is the very one that
//   `npm pack` puts in the tarball. Without prebuildify (npm ci --omit=dev), as a dependency.
'use strict';
const path = require('path');
const { spawnSync } = require('child_process');
const { envWithNodeDir } = require('./node-headers');

const PKG = path.resolve(__dirname, '..');

function hasPrebuildify() {
  try {
    require.resolve('prebuildify', { paths: [PKG] });
    return true;
  } catch {
    return false;
  }
}

function asDependency() {
  const bin = require.resolve('node-gyp-build/bin.js', { paths: [PKG] });
  const r = spawnSync(process.execPath, [bin], { cwd: PKG, stdio: 'inherit', env: envWithNodeDir() });
  process.exit(r.status ?? 1);
}

const inSourceTree = !PKG.split(path.sep).includes('node_modules');
if (inSourceTree && hasPrebuildify()) {
  require('./prebuild')
    .prebuild(require('os').arch())
    .catch((e) => {
      console.error(`@famfs/native: building the addon failed: ${e.message}`);
      process.exit(1);
    });
} else {
  asDependency();
}
