#!/usr/bin/env node
// `famfs creat -r` and `famfs verify` of a 1 GiB file on a device in /dev/shm, each against a
// native fill of a fresh mapping of the same size, measured in the same run. Needs root and
// /dev/fuse (it mounts). Usage: node bench/creat-verify/run.js [--size 1g] [--reps 3]
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const repo = path.resolve(__dirname, '../..');
const { parseSize } = require('@famfs/libfamfs');
const { GiB, MiB } = require('@famfs/libfamfs/format');
const { mkfs } = require('@famfs/libfamfs/log');
const native = require(path.join(repo, 'packages/native/dist/index.js'));

const args = process.argv.slice(2);
const opt = (n, d) => (args.includes(n) ? args[args.indexOf(n) + 1] : d);
const size = parseSize(opt('--size', '1g'));
const reps = Number(opt('--reps', '3'));
const famfsBin = path.join(repo, 'packages/famfs-cli/bin/famfs.js');
const uuid = '30313233-3435-3637-3839-3a3b3c3d3e3f';
const work = fs.mkdtempSync('/dev/shm/famfs-bench-cv-');
const env = { ...process.env, FAMFS_SYSTEM_UUID: uuid, FAMFS_RUN_DIR: path.join(work, 'run') };
const famfs = (...a) => execFileSync(process.execPath, [famfsBin, ...a], { env, encoding: 'utf8' });
const seconds = (fn) => {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
};

/** The reference: fill a fresh shared mapping of `size` bytes (first touch, like a new file). */
function freshFill(i) {
  const f = path.join(work, `ref-${i}`);
  fs.writeFileSync(f, '');
  fs.truncateSync(f, size);
  const fd = fs.openSync(f, 'r+');
  const buf = native.mmap(fd, size, 0, true);
  const s = seconds(() => buf.fill(0x5a));
  native.unmap(buf);
  fs.closeSync(fd);
  fs.rmSync(f);
  return s;
}

const mpt = path.join(work, 'mnt');
let mounted = false;
const rows = [];
try {
  const dev = path.join(work, 'dev.img');
  fs.writeFileSync(dev, '');
  fs.truncateSync(dev, Math.max(4 * GiB, size * (reps + 1) + 64 * MiB));
  mkfs(dev, { systemUuid: Buffer.from(uuid.replace(/-/g, ''), 'hex') });
  fs.mkdirSync(mpt);
  famfs('mount', dev, mpt);
  mounted = true;
  for (let i = 0; i < reps; i++) {
    const file = path.join(mpt, `f${i}`);
    const ref = freshFill(i);
    const creat = seconds(() => famfs('creat', '-r', '-S', String(i + 1), '-s', String(size), file));
    const verify = seconds(() => famfs('verify', '-q', '-S', String(i + 1), '-f', file));
    rows.push({
      rep: i + 1,
      'fill ref GB/s': (size / ref / 1e9).toFixed(2),
      'creat -r GB/s': (size / creat / 1e9).toFixed(2),
      'verify GB/s': (size / verify / 1e9).toFixed(2),
      'creat/fill': (ref / creat).toFixed(2) + 'x',
      'verify/fill': (ref / verify).toFixed(2) + 'x',
    });
  }
} finally {
  if (mounted) famfs('umount', mpt);
  fs.rmSync(work, { recursive: true, force: true });
}
console.table(rows);
console.log(
  `size ${size} bytes; each famfs time is the whole command (node start, mount lookup, log append, fill or check);`,
);
console.log('ratios are fill-reference time over famfs time: goal >= 0.5x for both');
