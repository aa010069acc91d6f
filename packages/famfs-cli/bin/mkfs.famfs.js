#!/usr/bin/env node
'use strict';
require('./run-bundle.js').runProgram('mkfs.famfs');
