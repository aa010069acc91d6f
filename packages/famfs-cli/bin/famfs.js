#!/usr/bin/env node
'use strict';
process.exitCode = require('../dist/main.js').runFamfs(process.argv.slice(2));
