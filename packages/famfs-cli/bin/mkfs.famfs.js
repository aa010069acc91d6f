#!/usr/bin/env node
'use strict';
process.exitCode = require('../dist/process-entry.js').processMain('mkfs.famfs');
