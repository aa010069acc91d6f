#!/usr/bin/env node
// The Node side of bench/fused: mounts MOUNTPOINT with famfs-fused's mountFuse and serves the
// toy in-memory file system (memfs) from a session worker (startSession), with one file "/big".
//
//   node bench/fused/node_server.js MOUNTPOINT SIZE SEED TIMEOUT
//
// Prints "ready {json}" on stdout once INIT has been answered. On SIGTERM/SIGINT/SIGHUP it stops
// the session (unmounts, waits for the worker) and prints {"counts":{...}} on stderr before
// exiting. If the mount goes away underneath it, the worker ends and so does this process.
'use strict';
const path = require('path');

const PKG = path.resolve(__dirname, '../../packages/fuse');
const { mountFuse, unmountFuse, isMounted } = require(path.join(PKG, 'dist/mount/mount.js'));
const { startSession } = require(path.join(PKG, 'dist/session/start.js'));
const { describeStats } = require(path.join(PKG, 'dist/session/session.js'));
const { initFlagNames } = require(path.join(PKG, 'dist/protocol/abi.js'));

const [mnt, sizeArg, seedArg, timeoutArg] = process.argv.slice(2);
if (!mnt) {
  console.error('usage: node_server.js MOUNTPOINT SIZE SEED TIMEOUT');
  process.exit(2);
}
const size = Number(sizeArg ?? 1 << 30);
const seed = Number(seedArg ?? 1234);
const timeout = Number(timeoutArg ?? 0);

let handle = null;
let mounted = false;
let stopping = null;

function report(exit) {
  const counts = exit && exit.stats ? describeStats(exit.stats.requests) : {};
  const extra =
    exit && exit.stats
      ? {
          fsExceptions: exit.stats.fsExceptions,
          replyErrors: exit.stats.replyErrors,
          enosys: exit.stats.enosys,
          ringRequests: exit.stats.ringRequests,
        }
      : {};
  process.stderr.write(`${JSON.stringify({ counts, reason: exit ? exit.reason : null, ...extra })}\n`);
}

function stop(code) {
  if (stopping) return stopping;
  stopping = (async () => {
    let exit = null;
    try {
      if (handle) exit = await handle.stop({ timeoutMs: 5000 });
    } finally {
      if (mounted && isMounted(mnt)) {
        try {
          unmountFuse(mnt);
        } catch {
          try {
            unmountFuse(mnt, { lazy: true });
          } catch {
            // gone already
          }
        }
      }
      report(exit);
      process.exit(code);
    }
  })();
  return stopping;
}

for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(sig, () => void stop(0));

(async () => {
  const m = mountFuse({ mountpoint: mnt, fsname: 'famfs-bench', subtype: 'famfs-bench', maxRead: 1 << 20 });
  mounted = true;
  handle = startSession({
    fd: m.fd,
    fsModule: path.join(PKG, 'dist/testing/memfs.js'),
    fsOptions: { files: { '/big': { size, seed } }, timeout },
    mountpoint: mnt,
    statsIntervalMs: 0x7fffffff, // no periodic stats messages while measuring
    // FUSE over io_uring (the fuse module's enable_uring must be on): NODE_SERVER_IO_URING=1.
    session: { ioUring: process.env.NODE_SERVER_IO_URING === '1' },
    log: (l) => process.stderr.write(`worker: ${l}\n`),
  });
  // If the session ends on its own (external unmount, worker error), leave too.
  handle.exited.then((exit) => {
    if (stopping) return;
    mounted = isMounted(mnt);
    report(exit);
    process.exit(exit.reason === 'closed' ? 0 : 1);
  });
  const init = await handle.initialized;
  if (!init) throw new Error('session ended before INIT');
  const info = {
    protocol: `7.${init.kernelMinor}`,
    replied: `7.${init.minor}`,
    maxWrite: init.maxWrite,
    maxPages: init.maxPages,
    flags: initFlagNames(init.flags),
    ioUring: init.ioUring,
  };
  process.stdout.write(`ready ${JSON.stringify(info)}\n`);
})().catch((e) => {
  process.stderr.write(`node_server: ${e && e.stack ? e.stack : e}\n`);
  void stop(1);
});
