#!/usr/bin/env node
'use strict';
process.exitCode = require('../dist/main.js').runMkfsFamfs(process.argv.slice(2));
