'use strict';
// Runs one of this package's programs from dist/famfs.bundle.js (scripts/bundle.js), compiled
// with the V8 code cache made beside it at build time (dist/famfs.bundle.cache): V8 then neither
// parses the bundle nor compiles the functions the cache holds. A cache from another Node or V8
// is rejected by V8 itself and the bundle compiled as usual, so the cache only ever saves time.
const fs = require('fs');
const path = require('path');
const vm = require('vm');
const { createRequire } = require('module');

const BUNDLE = path.join(__dirname, '..', 'dist', 'famfs.bundle.js');
const CACHE = path.join(__dirname, '..', 'dist', 'famfs.bundle.cache');

/** The bundle as a CommonJS module function, the same text the cache was made from. */
function bundleScript(cachedData) {
  const source = `(function (exports, require, module, __filename, __dirname) {${fs.readFileSync(BUNDLE, 'utf8')}\n})`;
  return new vm.Script(source, { filename: BUNDLE, cachedData });
}

/** Loads the bundle (with the cache when there is one) and returns its exports. */
function loadBundle(cachedData) {
  const script = bundleScript(cachedData);
  const module = { exports: {} };
  script
    .runInThisContext()
    .call(module.exports, module.exports, createRequire(BUNDLE), module, BUNDLE, path.dirname(BUNDLE));
  return { exports: module.exports, script };
}

function readCache() {
  try {
    return fs.readFileSync(CACHE);
  } catch {
    return undefined;
  }
}

/** Runs `prog` ('famfs', 'mkfs.famfs' or 'mount.famfs') with this process's arguments. */
function runProgram(prog) {
  if (!fs.existsSync(BUNDLE)) {
    process.stderr.write(`${prog}: ${BUNDLE} is missing: build @famfs/cli first (npm run build)\n`);
    process.exitCode = 1;
    return;
  }
  process.exitCode = loadBundle(readCache()).exports.processMain(prog);
}

module.exports = { BUNDLE, CACHE, bundleScript, loadBundle, runProgram };
