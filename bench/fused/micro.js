#!/usr/bin/env node
// In-process cost of one request in famfs-fused's session, without the kernel: Session.handleMessage
// on prebuilt LOOKUP and GETATTR messages (what one stat() costs with timeouts 0), the reply going
// to a transport that drops it. Next to it, a hand-written floor that decodes the same header
// fields and fills a preallocated reply. The difference is the per-request overhead of the
// decode/dispatch/encode layers, which the real benchmark (run.js) pays on top of the syscalls.
//
//   node bench/fused/micro.js [--n 1000000]
// Needs packages/libfamfs and packages/famfs-fused built (run.js does that). No root, no mount.
'use strict';
const path = require('path');

const PKG = path.resolve(__dirname, '../../packages/fuse/dist');
const { Session } = require(path.join(PKG, 'session/session.js'));
const { createFileSystem } = require(path.join(PKG, 'testing/memfs.js'));
const abi = require(path.join(PKG, 'protocol/abi.js'));

const i = process.argv.indexOf('--n');
const N = i > 0 ? Number(process.argv[i + 1]) : 1_000_000;

function message(opcode, nodeid, unique, body) {
  const buf = Buffer.alloc(abi.InHeader.size + body.length);
  abi.InHeader.encodeInto(
    { len: buf.length, opcode, unique, nodeid, uid: 0, gid: 0, pid: 1, totalExtlen: 0, padding: 0 },
    buf,
    0,
  );
  body.copy(buf, abi.InHeader.size);
  return buf;
}

let sent = 0;
let bytes = 0;
const transport = {
  read: () => 0,
  writev: (bufs) => {
    sent++;
    for (const b of bufs) bytes += b.length;
  },
  close: () => undefined,
};

const fs = createFileSystem({ files: { '/big': 'x'.repeat(4096) }, timeout: 0 });
const session = new Session(fs, transport, {});
const init = Buffer.alloc(64);
init.writeUInt32LE(7, 0);
init.writeUInt32LE(45, 4);
init.writeUInt32LE(128 * 1024, 8);
init.writeUInt32LE(0x73fffffb, 12);
init.writeUInt32LE(0x5fd, 16);
session.handleMessage(message(abi.Opcode.INIT, 0, 1n, init));
if (!session.negotiated) throw new Error('INIT failed');

const lookup = message(abi.Opcode.LOOKUP, 1, 2n, Buffer.from('big\0'));
const getattr = message(abi.Opcode.GETATTR, 2, 3n, Buffer.alloc(abi.GetattrIn.size));

function time(label, fn) {
  for (let k = 0; k < 50_000; k++) fn(); // warm up the JIT
  const t0 = process.hrtime.bigint();
  for (let k = 0; k < N; k++) fn();
  const ns = Number(process.hrtime.bigint() - t0) / N;
  console.log(`${label.padEnd(44)} ${ns.toFixed(0).padStart(6)} ns/request`);
  return ns;
}

console.log(`node ${process.version}, ${N} iterations each`);
sent = 0;
const lk = time('famfs-fused Session.handleMessage(LOOKUP)', () => session.handleMessage(lookup));
const ga = time('famfs-fused Session.handleMessage(GETATTR)', () => session.handleMessage(getattr));
if (sent !== 2 * (N + 50_000)) throw new Error(`expected a reply per request, got ${sent}`);

// The floor: the same work done directly (decode the header fields used, look the name up, encode
// a fuse_entry_out / fuse_attr_out into buffers allocated once).
const names = new Map([['big', 2]]);
const entryReply = Buffer.alloc(16 + 128);
const attrReply = Buffer.alloc(16 + 104);
function fillAttr(b, at, ino, size) {
  b.fill(0, at, at + 88);
  b.writeUInt32LE(ino, at);
  b.writeUInt32LE(size, at + 8);
  b.writeUInt32LE(Math.ceil(size / 512), at + 16);
  b.writeUInt32LE(0o100644, at + 60);
  b.writeUInt32LE(1, at + 64);
  b.writeUInt32LE(4096, at + 80);
}
function floor(msg) {
  const opcode = msg.readUInt32LE(4);
  const unique = msg.readBigUInt64LE(8);
  const nodeid = msg.readUInt32LE(16);
  let out;
  if (opcode === abi.Opcode.LOOKUP) {
    const end = msg.indexOf(0, 40);
    const ino = names.get(msg.toString('utf8', 40, end));
    out = entryReply;
    out.fill(0, 16, 56);
    out.writeUInt32LE(ino, 16);
    fillAttr(out, 56, ino, 4096);
  } else {
    out = attrReply;
    out.fill(0, 16, 32);
    fillAttr(out, 32, nodeid, 4096);
  }
  out.writeUInt32LE(out.length, 0);
  out.writeInt32LE(0, 4);
  out.writeBigUInt64LE(unique, 8);
  transport.writev([out]);
}
const fl = time('hand-written floor (LOOKUP)', () => floor(lookup));
const fg = time('hand-written floor (GETATTR)', () => floor(getattr));
console.log(
  `per stat() (LOOKUP+GETATTR): famfs-fused ${((lk + ga) / 1000).toFixed(2)} us, floor ${((fl + fg) / 1000).toFixed(2)} us`,
);
void bytes;
