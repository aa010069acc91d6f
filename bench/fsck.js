#!/usr/bin/env node
// fsck throughput on a full log, in process, against a bare CRC-32 pass over the same log bytes,
// measured in the same run: where the pass's time goes, not the goal. Issue 13 goal 1 (fsck at
// most 2x the C famfs) is measured on whole processes by bench/cli-process.js, against the C
// famfs fsck's work (bench/c/fsck_scan.c). Usage: node bench/fsck.js [--logs 8m,256m] [--reps N] [--dir DIR]
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { crc32 } = require('zlib');
const { parseSize } = require('@famfs/libfamfs');
const {
  ALLOC_UNIT,
  LOG_ENTRY_CRC_SPAN,
  LOG_ENTRY_SIZE,
  LOG_HEADER_SIZE,
  LOG_OFFSET,
  logSlots,
  MIN_DEVICE_SIZE,
} = require('@famfs/libfamfs/format');
const { Device, mapMeta } = require('@famfs/libfamfs/device');
const { checkLog, entryOffset, fsckDevice, LogSession, mkfs } = require('@famfs/libfamfs/log');

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const logs = opt('--logs', '8m,256m').split(',');
const reps = Number(opt('--reps', '5'));
const base = fs.mkdtempSync(path.join(opt('--dir', os.tmpdir()), 'famfs-bench-fsck-'));
const MASTER = Buffer.from('303132333435363738393a3b3c3d3e3f', 'hex');

function best(fn) {
  let bestMs = Infinity;
  let result;
  for (let i = 0; i < reps; i++) {
    const t = process.hrtime.bigint();
    result = fn();
    bestMs = Math.min(bestMs, Number(process.hrtime.bigint() - t) / 1e6);
  }
  return { ms: bestMs, result };
}

/** A device whose log is full of one-extent 2 MiB files (the densest real log). */
function fullDevice(logLen) {
  const slots = logSlots(logLen);
  const devSize = LOG_OFFSET + logLen + slots * ALLOC_UNIT;
  const dev = path.join(base, `full-${logLen >> 20}m.img`);
  fs.writeFileSync(dev, '');
  fs.truncateSync(dev, Math.max(devSize, MIN_DEVICE_SIZE));
  mkfs(dev, { systemUuid: MASTER, logLen });
  const s = LogSession.open(dev, { systemUuid: MASTER });
  try {
    for (let i = 0; i < slots; i++) s.createFile(`f${i}`, ALLOC_UNIT);
  } finally {
    s.close();
  }
  return { dev, slots };
}

const rows = [];
try {
  for (const l of logs) {
    const logLen = parseSize(l);
    const t0 = Date.now();
    const { dev, slots } = fullDevice(logLen);
    const buildS = (Date.now() - t0) / 1000;
    const d = Device.open(dev);
    const meta = mapMeta(d);
    const used = LOG_HEADER_SIZE + slots * LOG_ENTRY_SIZE;
    const bare = best(() => crc32(meta.log.subarray(0, used)));
    const perEntry = best(() => {
      let x = 0;
      for (let i = 0; i < slots; i++) {
        const at = entryOffset(i);
        x ^= crc32(meta.log.subarray(at, at + LOG_ENTRY_CRC_SPAN));
      }
      return x;
    });
    const check = best(() => checkLog(dev, meta.sb, meta.log, { systemUuid: MASTER }));
    d.close();
    const whole = best(() => fsckDevice(dev, { systemUuid: MASTER }));
    if (check.result.files !== slots || check.result.collisionCount !== 0 || check.result.badEntries.length !== 0) {
      throw new Error(`fsck of the full ${l} log is wrong: ${JSON.stringify(check.result.log)}`);
    }
    rows.push({
      log: l,
      entries: slots,
      'build s': buildS.toFixed(1),
      'bare CRC ms': bare.ms.toFixed(1),
      'per-entry CRC ms': perEntry.ms.toFixed(1),
      'fsck ms': check.ms.toFixed(1),
      'fsck+open ms': whole.ms.toFixed(1),
      'entries/s': Math.round(slots / (check.ms / 1000)).toLocaleString('en-US'),
      'fsck/bare': (check.ms / bare.ms).toFixed(2) + 'x',
      'fsck/per-entry CRC': (check.ms / perEntry.ms).toFixed(2) + 'x',
    });
    fs.rmSync(dev);
  }
} finally {
  fs.rmSync(base, { recursive: true, force: true });
}
console.table(rows);
console.log(
  'ratios are fsck time over CRC time, lower is better (information: the goal, fsck <= 2x the C famfs, ' +
    'is measured on whole processes by bench/cli-process.js)',
);
