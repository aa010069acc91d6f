#!/usr/bin/env node
// A reference point, not part of famfs-fused: the least a Node /dev/fuse server can do per request.
// Same transport as famfs-fused (a worker_thread looping the native addon's writeThenRead: each
// reply written with the read of the next request, plain writev(2) then read(2), on the fd of a
// mount made with famfs-fused's mountFuse), but the request handling is hand-written: fields read
// at fixed offsets, replies written into buffers allocated once, the unique copied byte for byte.
// It serves the same single file ("big", the memfs pattern) with timeouts 0. run.js measures it
// with --floor, to split the gap between famfs-fused and C into "Node + syscalls" and "our layers".
//
//   node bench/fused/floor_server.js MOUNTPOINT SIZE SEED
// Protocol as in run.js's servers: prints "ready {json}" once INIT is answered; SIGTERM unmounts.
'use strict';
const path = require('path');
const fs = require('fs');
const { Worker, isMainThread, parentPort, workerData } = require('worker_threads');

const PKG = path.resolve(__dirname, '../../packages/fuse/dist');

// Opcodes and constants of the FUSE protocol (include/uapi/linux/fuse.h).
const OP = {
  LOOKUP: 1,
  FORGET: 2,
  GETATTR: 3,
  OPEN: 14,
  READ: 15,
  RELEASE: 18,
  FLUSH: 25,
  INIT: 26,
  INTERRUPT: 36,
  DESTROY: 38,
  BATCH_FORGET: 42,
};
const OP_NAME = Object.fromEntries(Object.entries(OP).map(([k, v]) => [v, k]));
const ENOENT = 2;
const ENOSYS = 38;
const FILE_INO = 2;

if (isMainThread) {
  const { mountFuse, unmountFuse, isMounted } = require(path.join(PKG, 'mount/mount.js'));
  const [mnt, sizeArg, seedArg] = process.argv.slice(2);
  const m = mountFuse({ mountpoint: mnt, fsname: 'famfs-floor', subtype: 'famfs-floor', maxRead: 1 << 20 });
  const worker = new Worker(__filename, { workerData: { fd: m.fd, size: Number(sizeArg), seed: Number(seedArg) } });
  let counts = null;
  worker.on('message', (msg) => {
    if (msg.type === 'ready') process.stdout.write(`ready ${JSON.stringify({ protocol: `7.${msg.minor}` })}\n`);
    if (msg.type === 'exit') counts = msg.counts;
  });
  worker.on('error', (e) => process.stderr.write(`floor worker: ${e.stack}\n`));
  worker.on('exit', () => {
    process.stderr.write(`${JSON.stringify({ counts })}\n`);
    fs.closeSync(m.fd);
    process.exit(counts ? 0 : 1);
  });
  const stop = () => {
    if (isMounted(mnt)) {
      try {
        unmountFuse(mnt);
      } catch {
        unmountFuse(mnt, { lazy: true });
      }
    }
    setTimeout(() => void worker.terminate(), 5000).unref();
  };
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(sig, stop);
} else {
  const { patternBytes } = require(path.join(PKG, 'testing/memfs.js'));
  const { readInto, writeBuffers, writeThenRead } = require(path.resolve(__dirname, '../../packages/native/dist'));
  const { fd, size, seed } = workerData;
  const data = patternBytes(size, seed);
  const inbuf = Buffer.allocUnsafe((1 << 20) + 4096);
  const counts = new Uint32Array(64);

  // Reply buffers, allocated once; the header's len/error/unique are rewritten per reply.
  const errReply = Buffer.alloc(16);
  const okReply = Buffer.alloc(16);
  const entryReply = Buffer.alloc(16 + 128);
  const attrReply = Buffer.alloc(16 + 104);
  const openReply = Buffer.alloc(16 + 16);
  const readHdr = Buffer.alloc(16);
  okReply.writeUInt32LE(16, 0);
  errReply.writeUInt32LE(16, 0);
  entryReply.writeUInt32LE(entryReply.length, 0);
  attrReply.writeUInt32LE(attrReply.length, 0);
  openReply.writeUInt32LE(openReply.length, 0);
  // fuse_attr at `at`: ino, size, blocks, a/m/ctime, ..., mode@60, nlink@64, blksize@80.
  const attr = (b, at, ino) => {
    const dir = ino === 1;
    b.writeUInt32LE(ino, at);
    if (!dir) {
      b.writeUInt32LE(size % 2 ** 32, at + 8);
      b.writeUInt32LE(Math.floor(size / 2 ** 32), at + 12);
      b.writeUInt32LE(Math.ceil(size / 512), at + 16);
    }
    for (const t of [24, 32, 40]) b.writeUInt32LE(1_700_000_000, at + t);
    b.writeUInt32LE(dir ? 0o040755 : 0o100644, at + 60);
    b.writeUInt32LE(dir ? 2 : 1, at + 64);
    b.writeUInt32LE(4096, at + 80);
  };
  // Timeouts stay 0 (the buffers are zeroed); only the fields above change.
  entryReply.writeUInt32LE(FILE_INO, 16); // nodeid
  attr(entryReply, 16 + 40, FILE_INO);
  const rootAttr = Buffer.alloc(88);
  const fileAttr = Buffer.alloc(88);
  attr(rootAttr, 0, 1);
  attr(fileAttr, 0, FILE_INO);
  openReply.writeUInt32LE(2, 16 + 8); // FOPEN_KEEP_CACHE, as memfs

  // The reply to the current request, written by the next writeThenRead (as the session does).
  let reply = null;
  const one = [null];
  const two = [readHdr, null];
  const send = (b) => {
    inbuf.copy(b, 8, 8, 16); // the unique, byte for byte
    one[0] = b;
    reply = one;
  };
  const fail = (errno) => {
    errReply.writeInt32LE(-errno, 4);
    send(errReply);
  };

  for (;;) {
    try {
      if (reply) {
        const r = reply;
        reply = null;
        writeThenRead(fd, r, inbuf);
      } else readInto(fd, inbuf);
    } catch (e) {
      if (e.syscall === 'writev') {
        if (e.code !== 'ENOENT') throw e;
        continue;
      }
      if (e.code === 'ENODEV' || e.code === 'ECONNABORTED') break;
      if (e.code === 'EINTR' || e.code === 'EAGAIN' || e.code === 'ENOENT') continue;
      throw e;
    }
    const op = inbuf.readUInt32LE(4);
    counts[op < 64 ? op : 0]++;
    const nodeid = inbuf.readUInt32LE(16);
    switch (op) {
      case OP.LOOKUP: {
        const end = inbuf.indexOf(0, 40);
        if (nodeid === 1 && end === 43 && inbuf.toString('latin1', 40, 43) === 'big') send(entryReply);
        else fail(ENOENT);
        break;
      }
      case OP.GETATTR:
        if (nodeid !== 1 && nodeid !== FILE_INO) {
          fail(ENOENT);
          break;
        }
        (nodeid === 1 ? rootAttr : fileAttr).copy(attrReply, 32);
        send(attrReply);
        break;
      case OP.OPEN:
        send(openReply);
        break;
      case OP.READ: {
        const off = inbuf.readUInt32LE(48) + inbuf.readUInt32LE(52) * 2 ** 32;
        const len = inbuf.readUInt32LE(56);
        const chunk = off >= size ? data.subarray(0, 0) : data.subarray(off, Math.min(size, off + len));
        readHdr.writeUInt32LE(16 + chunk.length, 0);
        inbuf.copy(readHdr, 8, 8, 16);
        two[1] = chunk;
        reply = two;
        break;
      }
      case OP.RELEASE:
      case OP.FLUSH:
      case OP.DESTROY:
        send(okReply);
        break;
      case OP.INIT: {
        const minor = Math.min(45, inbuf.readUInt32LE(44));
        const maxReadahead = inbuf.readUInt32LE(48);
        const flags = inbuf.readUInt32LE(52);
        const want = (1 << 0) | (1 << 5) | (1 << 18) | (1 << 22) | (1 << 30); // ASYNC_READ BIG_WRITES PARALLEL_DIROPS MAX_PAGES INIT_EXT
        const out = Buffer.alloc(16 + 64);
        out.writeUInt32LE(out.length, 0);
        out.writeUInt32LE(7, 16);
        out.writeUInt32LE(minor, 20);
        out.writeUInt32LE(maxReadahead, 24);
        out.writeUInt32LE((flags & want) >>> 0, 28);
        out.writeUInt32LE(1 << 20, 36); // max_write
        out.writeUInt32LE(1, 40); // time_gran
        out.writeUInt16LE(256, 44); // max_pages
        inbuf.copy(out, 8, 8, 16);
        writeBuffers(fd, [out]); // at once, as the session does
        parentPort.postMessage({ type: 'ready', minor });
        break;
      }
      case OP.FORGET:
      case OP.BATCH_FORGET:
      case OP.INTERRUPT:
        break;
      default:
        fail(ENOSYS);
    }
  }
  const named = {};
  counts.forEach((c, op) => {
    if (c) named[OP_NAME[op] ?? `op${op}`] = c;
  });
  parentPort.postMessage({ type: 'exit', counts: named });
}
