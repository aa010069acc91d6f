#!/usr/bin/env node
'use strict';
process.exitCode = require('../dist/main.js').runFamfs(['mkfs', ...process.argv.slice(2)], undefined, 'mkfs.famfs');
