#!/usr/bin/env node
'use strict';
/**
 * Makes dist/famfs.bundle.cache, the V8 code cache bin/run-bundle.js compiles the bundle with.
 * The cache holds every function compiled when it is made, so the bundle is first loaded and
 * `--help` run for famfs and each of its commands: the start-up path and every command module's
 * top level are then in it. Run by scripts/bundle.js with its output discarded.
 */
const fs = require('fs');
const { CACHE, loadBundle } = require('../bin/run-bundle.js');

const { exports: cli, script } = loadBundle(undefined);
const commands = cli.commandNames();
for (const args of [['--help'], ...commands.map((c) => [c, '--help'])]) {
  process.argv = [process.argv[0], 'famfs', ...args];
  cli.processMain('famfs');
}
// Renamed into place, as the bundle is (scripts/bundle.js): a running famfs may have it mapped.
fs.writeFileSync(`${CACHE}.tmp`, script.createCachedData());
fs.renameSync(`${CACHE}.tmp`, CACHE);
