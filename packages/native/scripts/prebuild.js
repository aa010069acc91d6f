// Builds the prebuilt addon that the @famfs/native tarball ships: prebuildify compiles csrc/ for
// one platform and architecture and moves the stripped binary to
// prebuilds/<platform>-<arch>/@famfs+native.<libc>.node, where node-gyp-build finds it at run time.
// It is a Node-API addon, so one binary serves every Node version with Node-API 9 (Node >= 20).
//
//   node scripts/prebuild.js                 this machine's architecture
//   node scripts/prebuild.js --arch arm64    cross-compile (Debian: g++-aarch64-linux-gnu)
//   node scripts/prebuild.js --if-stale      (prepack) only the prebuilds missing or older than
//                                            csrc/ and binding.gyp: this architecture's and any
//                                            other already in prebuilds/
// Run it through npm (npm run addon:prebuild), which puts its own node-gyp on PATH.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { envWithNodeDir } = require('./node-headers');

const PKG = path.resolve(__dirname, '..');
const PREBUILDS = path.join(PKG, 'prebuilds');

/** Debian's cross toolchains, by Node's name for the architecture. */
const CROSS = { arm64: 'aarch64-linux-gnu', x64: 'x86_64-linux-gnu' };

function newestSource() {
  const files = [
    path.join(PKG, 'binding.gyp'),
    ...fs.readdirSync(path.join(PKG, 'csrc')).map((f) => path.join(PKG, 'csrc', f)),
  ];
  return Math.max(...files.map((f) => fs.statSync(f).mtimeMs));
}

/** The prebuilt binary for `arch`, or undefined. */
function prebuildOf(arch) {
  const dir = path.join(PREBUILDS, `${os.platform()}-${arch}`);
  const file = fs.existsSync(dir) && fs.readdirSync(dir).find((f) => f.endsWith('.node'));
  return file ? path.join(dir, file) : undefined;
}

function isFresh(arch) {
  const file = prebuildOf(arch);
  return file !== undefined && fs.statSync(file).mtimeMs >= newestSource();
}

/** Environment for compiling for `arch` on this machine: the cross compiler when it differs. */
function compileEnv(arch) {
  const env = envWithNodeDir();
  if (arch === os.arch()) return env;
  const triple = CROSS[arch];
  if (!triple) throw new Error(`no cross toolchain known for ${arch}`);
  for (const tool of ['CC', 'CXX']) {
    const bin = `${triple}-${tool === 'CC' ? 'gcc' : 'g++'}`;
    if (!onPath(bin))
      throw new Error(`cross-compiling for ${arch} needs ${bin} (Debian: apt-get install g++-${triple})`);
    env[tool] = bin;
  }
  env.LINK = env.CXX;
  env.PREBUILD_STRIP_BIN = `${triple}-strip`;
  return env;
}

function onPath(bin) {
  return (process.env.PATH ?? '').split(':').some((d) => d && fs.existsSync(path.join(d, bin)));
}

/** Compiles the prebuild for `arch` (a promise). */
function prebuild(arch) {
  const prebuildify = require('prebuildify');
  const opts = { cwd: PKG, arch, napi: true, strip: true, tagLibc: true, targets: [process.versions.node] };
  // prebuildify copies process.env, synchronously, into node-gyp's environment: the headers and
  // the compilers are chosen through it.
  const saved = process.env;
  process.env = compileEnv(arch);
  return new Promise((resolve, reject) => {
    try {
      prebuildify(opts, (err) => (err ? reject(err) : resolve(prebuildOf(arch))));
    } finally {
      process.env = saved;
    }
  });
}

async function main(argv) {
  const ifStale = argv.includes('--if-stale');
  const i = argv.indexOf('--arch');
  let archs = i >= 0 ? [argv[i + 1]] : [os.arch()];
  if (ifStale && i < 0) {
    // Every architecture the tarball would carry must match the sources, not only this one.
    const present = fs.existsSync(PREBUILDS) ? fs.readdirSync(PREBUILDS) : [];
    const others = present.filter((d) => d.startsWith(`${os.platform()}-`)).map((d) => d.split('-')[1]);
    archs = [...new Set([...archs, ...others])];
  }
  for (const arch of archs) {
    if (ifStale && isFresh(arch)) continue;
    const file = await prebuild(arch);
    console.log(`prebuild: ${path.relative(PKG, file)} (${fs.statSync(file).size} bytes)`);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((e) => {
    console.error(`prebuild: ${e.message}`);
    process.exit(1);
  });
}

module.exports = { prebuild, prebuildOf, isFresh };
