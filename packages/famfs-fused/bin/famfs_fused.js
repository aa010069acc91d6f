#!/usr/bin/env node
'use strict';
// famfs_fused: the famfs FUSE daemon (compiled from src/daemon/main.ts; build with `npx tsc -p tsconfig.json`).
require('../dist/daemon/main.js').runCli(process.argv.slice(2));
