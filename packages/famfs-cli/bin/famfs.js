#!/usr/bin/env node
'use strict';
// package.json maps every command name of this package to this one file, because that is what lets
// `npx @famfs/cli` run famfs (npx wants one bin, or all bins aliases of one file). The name it was
// called by picks the command: npm and yarn link bins as symlinks, which keep it in argv[1].
const path = require('path');
const { runProgram } = require('./run-bundle.js');

const calledAs = path.basename(process.argv[1] || '');
const PROGRAMS = ['mkfs.famfs', 'mount.famfs'];
runProgram(PROGRAMS.includes(calledAs) ? calledAs : 'famfs');
