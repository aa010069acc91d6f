#!/usr/bin/env node
/**
 * The library's batch creation (issue 13 goal 4): one LogSession (one lock, one replay of the
 * log), then many files, in process. Three ways a caller batches: `createFile` per file (reserve
 * and log at once), `reserveFile` for the whole request then `logReserved` for each, and the
 * same with the whole request logged as one run by `logReservedRun` (what
 * `famfs creat -M` does: the whole request refused before anything is written). Measured on a
 * fresh 8 MiB log and on a 256 MiB log 90% full (444,102 entries, 1% directories, its free space
 * at the end of the device: the worst case for a first-fit allocator), in the same run as a bare
 * CRC pass over the 256 MiB log's entries. Prints the open time, files/s, and the ratio of the full
 * log's rate to the fresh log's (the goal: it must not fall with the log's fill), and the JS heap
 * in use once the 90% log's session is open (the session holds no object per entry). Each mode
 * runs one untimed batch first (the JIT's warm-up).
 *
 *   node bench/batch-create.js [--files 5000] [--reps 3] [--dir /dev/shm]
 *
 * Anchor (issue 13, the C famfs, one process per file): about 294 files/s on a fresh 8 MiB log,
 * 6-8 files/s on the 256 MiB log 90% full.
 */
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { crc32Records } = require('@famfs/native');
const {
  ALLOC_UNIT,
  LOG_ENTRY_CRC_SPAN,
  LOG_ENTRY_SIZE,
  LOG_HEADER_SIZE,
  LogHeaderLayout,
  logSlots,
} = require('@famfs/libfamfs/format');
const { Device, mapMeta } = require('@famfs/libfamfs/device');
const { LogSession, mkfs } = require('@famfs/libfamfs/log');
const { buildFullLog, MASTER } = require('./lib/full-log');

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const files = Number(opt('--files', '5000'));
const reps = Number(opt('--reps', '3'));
const base = fs.mkdtempSync(
  path.join(opt('--dir', fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir()), 'famfs-bench-batch-'),
);
const span = (xs, d = 0) => `${Math.min(...xs).toFixed(d)}-${Math.max(...xs).toFixed(d)}`;
const secs = (t) => Number(process.hrtime.bigint() - t) / 1e9;

/** A fresh device with an 8 MiB log and room for `files` 2 MiB files. */
function freshDevice(p) {
  fs.writeFileSync(p, '');
  fs.truncateSync(p, (files + 64) * ALLOC_UNIT + (16 << 20));
  mkfs(p, { systemUuid: MASTER, logLen: 8 << 20 });
}

/** A 256 MiB log 90% full: the full log of bench/lib/full-log.js cut back to 90% of its slots. */
function ninetyDevice(p) {
  const logLen = 256 << 20;
  buildFullLog(p, { logLen });
  const used = Math.floor(logSlots(logLen) * 0.9);
  const d = Device.open(p, { writable: true });
  try {
    const meta = mapMeta(d);
    LogHeaderLayout.set(meta.log, 'nextIndex', used);
    LogHeaderLayout.set(meta.log, 'nextSeqnum', used);
  } finally {
    d.close();
  }
  return used;
}

/** One batch: open, `files` files in a new directory, close. Returns seconds to open and to create. */
function batch(dev, mode, tag) {
  let t = process.hrtime.bigint();
  const s = LogSession.open(dev, { systemUuid: MASTER });
  const open = secs(t);
  const heap = process.memoryUsage().heapUsed / 2 ** 20;
  t = process.hrtime.bigint();
  try {
    s.mkdir(tag);
    if (mode === 'createFile') {
      for (let i = 0; i < files; i++) s.createFile(`${tag}/f${i}`, ALLOC_UNIT);
    } else {
      const reserved = [];
      for (let i = 0; i < files; i++) reserved.push(s.reserveFile(`${tag}/f${i}`, ALLOC_UNIT));
      if (mode === 'reserve+logReservedRun') s.logReservedRun(reserved);
      else for (const e of reserved) s.logReserved(e);
    }
  } finally {
    s.close();
  }
  return { open, heap, create: secs(t) };
}

function bareCrc(dev, n) {
  const d = Device.open(dev);
  try {
    const meta = mapMeta(d);
    const t = process.hrtime.bigint();
    crc32Records(meta.log, LOG_HEADER_SIZE, LOG_ENTRY_SIZE, LOG_ENTRY_CRC_SPAN, n);
    return secs(t);
  } finally {
    d.close();
  }
}

try {
  console.log(
    `bench/batch-create: load average ${os
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')} on ${os.cpus().length} CPUs; node ${process.version}; ${files} files of 2 MiB per batch`,
  );
  const rows = [];
  for (const mode of ['createFile', 'reserve+logReserved', 'reserve+logReservedRun']) {
    // One untimed batch first, so that neither side of the ratio pays for the JIT's warm-up.
    const warm = path.join(base, 'warm.img');
    freshDevice(warm);
    batch(warm, mode, 'warm');
    fs.rmSync(warm);
    const r = { fresh: [], full: [], freshOpen: [], fullOpen: [], crc: [], heap: [] };
    for (let k = 0; k < reps; k++) {
      const fresh = path.join(base, 'fresh.img');
      const full = path.join(base, 'full.img');
      freshDevice(fresh);
      const used = ninetyDevice(full);
      r.crc.push(bareCrc(full, used));
      const a = batch(fresh, mode, 'batch');
      const b = batch(full, mode, 'batch');
      r.fresh.push(files / a.create);
      r.freshOpen.push(a.open * 1000);
      r.full.push(files / b.create);
      r.fullOpen.push(b.open * 1000);
      r.heap.push(b.heap);
      fs.rmSync(fresh);
      fs.rmSync(full);
    }
    rows.push({
      mode,
      'fresh 8 MiB files/s': span(r.fresh),
      'fresh open ms': span(r.freshOpen),
      '256 MiB 90% files/s': span(r.full),
      '90% open ms': span(r.fullOpen),
      '90% heap after open MiB': span(r.heap),
      '90% / fresh rate': span(
        r.full.map((x, i) => x / r.fresh[i]),
        2,
      ),
      '90% open / bare CRC pass': span(
        r.fullOpen.map((x, i) => x / 1000 / r.crc[i]),
        1,
      ),
    });
  }
  console.table(rows);
} finally {
  fs.rmSync(base, { recursive: true, force: true });
}
