'use strict';
// Runs one of this package's programs from dist/famfs.bundle.js (scripts/bundle.js), compiled
// with the V8 code cache made beside it at build time (dist/famfs.bundle.cache): V8 then neither
// parses the bundle nor compiles the functions the cache holds. A cache from another Node or V8
// is rejected by V8 itself and the bundle compiled as usual, so the cache only ever saves time.
//
// Both files are mapped rather than read when the native addon loads: the bundle (ASCII, and
// already wrapped as a CommonJS module function by scripts/bundle.js) becomes a JS string whose
// characters stay in the mapping, and the cache a Buffer over its mapping. Copying them costs a
// famfs process about 6 ms on a virtual machine, where fresh memory is slow to touch. Without
// the addon they are read as usual.
const fs = require('fs');
const path = require('path');
const vm = require('vm');
const { createRequire } = require('module');

const BUNDLE = path.join(__dirname, '..', 'dist', 'famfs.bundle.js');
const CACHE = path.join(__dirname, '..', 'dist', 'famfs.bundle.cache');

/**
 * The addon's binding, or undefined when it does not load (every command then says so itself).
 * The functions below take it as `addon`; null means "read the files, as without it".
 */
function addonBinding() {
  try {
    const { binding, problem } = require('@famfs/native/dist/addon.js').loadAddon();
    return problem === undefined ? binding : undefined;
  } catch {
    return undefined;
  }
}

/** The bundle's text: mapped when the addon can, else read. */
function bundleText(addon) {
  return addon?.mapAsciiText?.(BUNDLE) ?? fs.readFileSync(BUNDLE, 'utf8');
}

/** The bundle as a CommonJS module function, the same text the cache was made from. */
function bundleScript(cachedData, addon = addonBinding()) {
  return new vm.Script(bundleText(addon), { filename: BUNDLE, cachedData });
}

/** Loads the bundle (with the cache when there is one) and returns its exports. */
function loadBundle(cachedData, addon = addonBinding()) {
  const script = bundleScript(cachedData, addon);
  const module = { exports: {} };
  script
    .runInThisContext()
    .call(module.exports, module.exports, createRequire(BUNDLE), module, BUNDLE, path.dirname(BUNDLE));
  return { exports: module.exports, script };
}

/** The code cache: a Buffer over its mapping when the addon can, else read; undefined without one. */
function readCache(addon) {
  let fd;
  try {
    fd = fs.openSync(CACHE, 'r');
    const size = fs.fstatSync(fd).size;
    if (addon && size > 0) return Buffer.from(addon.mmap(fd, size, 0, false));
    return fs.readFileSync(fd);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Runs `prog` ('famfs', 'mkfs.famfs' or 'mount.famfs') with this process's arguments. */
function runProgram(prog) {
  if (!fs.existsSync(BUNDLE)) {
    process.stderr.write(`${prog}: ${BUNDLE} is missing: build @famfs/cli first (npm run build)\n`);
    process.exitCode = 1;
    return;
  }
  const addon = addonBinding();
  // A command is short-lived: malloc keeps what it frees for reuse (V8's compiler frees and
  // allocates its zones job after job), where pages handed back must be faulted in afresh.
  addon?.keepFreedMemory?.();
  process.exitCode = loadBundle(readCache(addon), addon).exports.processMain(prog);
}

module.exports = { BUNDLE, CACHE, bundleScript, loadBundle, runProgram };
