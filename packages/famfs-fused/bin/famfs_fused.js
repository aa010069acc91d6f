#!/usr/bin/env node
'use strict';
// famfs_fused: the famfs FUSE daemon (compiled from src/daemon/main.ts; build with `npx tsc -p tsconfig.json`).
// malloc keeps what it frees for reuse (V8's compiler zones, request buffers): on a virtual machine
// where a first touch of a page is dear, following a growing log cost the daemon thousands of
// fresh pages a second. Its peak memory is then kept, which the daemon's footprint allows.
require('@famfs/native').keepFreedMemory();
require('../dist/daemon/main.js').runCli(process.argv.slice(2));
