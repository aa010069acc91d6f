#!/usr/bin/env node
'use strict';
/**
 * Bundles the compiled CLI (dist/process-entry.js and everything it reaches, libfamfs and struct
 * included) into dist/famfs.bundle.js, the file bin/famfs.js runs. One file instead of a hundred
 * saves each famfs process the module look-ups, stats, reads and package.json resolutions Node
 * does per module: a one-file command starts close to `node -e 0` (bench/cli-process.js).
 * Commands stay lazily loaded: esbuild keeps each require() inside its function. Then
 * scripts/code-cache.js makes the V8 code cache bin/run-bundle.js compiles the bundle with.
 * @famfs/native's JavaScript is bundled too (it finds its binary through its package's location,
 * resolved by name); the binary itself is loaded from that package. The daemon package stays
 * outside: it runs as its own process. So does the yaml library (a third of the bundle's bytes
 * otherwise): shadow files famfs wrote are read without it (libfamfs's yaml-canonical.ts), so
 * only a hand-edited shadow file or an allocation config loads it.
 */
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const esbuild = require('esbuild');

const root = path.resolve(__dirname, '..');
const built = esbuild.buildSync({
  entryPoints: [path.join(root, 'dist', 'process-entry.js')],
  outfile: path.join(root, 'dist', 'famfs.bundle.js'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: ['@famfs/fused', 'yaml'],
  logLevel: 'error',
  // Fewer bytes to read and hold as the source string; names are kept, so a stack trace still
  // names its functions.
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  // The file is the CommonJS module function bin/run-bundle.js compiles (and may map as an
  // external string, which must then be the file's bytes exactly). ASCII only, as mapping needs.
  charset: 'ascii',
  banner: { js: '(function (exports, require, module, __filename, __dirname) {' },
  footer: { js: '\n})' },
  write: false,
});
// Written beside and renamed into place: a famfs process still running keeps its mapping of the
// old file, where a rewrite in place would cut its functions not yet compiled from under it.
for (const out of built.outputFiles) {
  fs.writeFileSync(`${out.path}.tmp`, out.contents);
  fs.renameSync(`${out.path}.tmp`, out.path);
}

// The V8 code cache of the bundle, made by loading it in a process of its own (its output discarded).
const made = spawnSync(process.execPath, [path.join(__dirname, 'code-cache.js')], {
  stdio: ['ignore', 'ignore', 'inherit'],
});
if (made.status !== 0) {
  console.error(`scripts/code-cache.js failed (exit ${made.status ?? made.signal})`);
  process.exit(1);
}
