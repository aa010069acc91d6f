// Jest global setup: some tests run compiled JavaScript on purpose (a session worker thread, the
// famfs and famfs_fused binaries as real processes). Before any test runs, rebuild the dist/ of
// each workspace package whose TypeScript sources are newer than its last build, in dependency
// order, so `npx jest` in any package is right after an edit without a manual build first.
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const ROOT = path.resolve(__dirname, '..');
/** Dependency order: each package only imports packages before it. */
const PACKAGES = [
  'packages/native',
  'packages/struct',
  'packages/libfamfs',
  'packages/fuse',
  'packages/famfs-fused',
  'packages/famfs-cli',
];

function newestMtime(dir) {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

/** When the package was last built: tsc rewrites every output, dist/index.js included. */
function builtMtime(pkgDir) {
  try {
    return fs.statSync(path.join(pkgDir, 'dist', 'index.js')).mtimeMs;
  } catch {
    return -1;
  }
}

module.exports = async function freshDist() {
  if (process.env.FAMFS_JEST_NO_BUILD === '1') return;
  const tsc = require.resolve('typescript/bin/tsc', { paths: [ROOT] });
  let rebuilt = false;
  for (const rel of PACKAGES) {
    const dir = path.join(ROOT, rel);
    // A package after a rebuilt one is rebuilt too, so it is checked against the new declarations.
    if (!rebuilt && newestMtime(path.join(dir, 'src')) <= builtMtime(dir)) continue;
    const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`building ${rel} for the tests failed:\n${r.stdout}${r.stderr}`);
    rebuilt = true;
  }
};
