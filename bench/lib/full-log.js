'use strict';
/**
 * The full-log device the benchmarks share: a sparse device file whose log is full, a directory
 * every `perDir` slots and files of one 2 MiB extent in it (`perDir` 100: 1% directories, as in
 * issue 13's measurements of the C famfs). The entries are encoded straight into the log (no
 * allocator, no lock), so a 256 MiB log (493,447 entries) takes seconds to build.
 *
 *   const { buildFullLog } = require('./lib/full-log');
 *   const { dev, slots, lastDir, lastFile } = buildFullLog(path, { logLen, perDir, systemUuid });
 */
const fs = require('fs');
const {
  ALLOC_UNIT,
  LOG_OFFSET,
  LogHeaderLayout,
  encodeLogEntry,
  fileEntry,
  logSlots,
  MIN_DEVICE_SIZE,
} = require('@famfs/libfamfs/format');
const { Device, mapMeta } = require('@famfs/libfamfs/device');
const { entryOffset, mkfs } = require('@famfs/libfamfs/log');

/** The C famfs' test system UUID, used as the master's in every bench. */
const MASTER_UUID = '30313233-3435-3637-3839-3a3b3c3d3e3f';
const MASTER = Buffer.from(MASTER_UUID.replace(/-/g, ''), 'hex');

function buildFullLog(dev, { logLen, perDir = 100, systemUuid = MASTER }) {
  const slots = logSlots(logLen);
  fs.writeFileSync(dev, '');
  fs.truncateSync(dev, Math.max(LOG_OFFSET + logLen + slots * ALLOC_UNIT, MIN_DEVICE_SIZE));
  mkfs(dev, { systemUuid, logLen });
  const d = Device.open(dev, { writable: true });
  let lastDir = '';
  let lastFile = '';
  let dirs = 0;
  try {
    const meta = mapMeta(d);
    const dataStart = LOG_OFFSET + logLen;
    let dir = '';
    for (let i = 0; i < slots; i++) {
      let e;
      if (i % perDir === 0) {
        dir = `d${i / perDir}`;
        e = { type: 'mkdir', path: dir, mode: 0o755, uid: 0, gid: 0 };
        lastDir = dir;
        dirs++;
      } else {
        const p = `${dir}/f${i % perDir}`;
        e = fileEntry(p, ALLOC_UNIT, 0o644, 0, 0, {
          kind: 'simple',
          extents: [{ devIndex: 0, offset: dataStart + i * ALLOC_UNIT, len: ALLOC_UNIT }],
        });
        lastFile = p;
      }
      encodeLogEntry(e, i, meta.log, entryOffset(i));
    }
    LogHeaderLayout.set(meta.log, 'nextIndex', slots);
    LogHeaderLayout.set(meta.log, 'nextSeqnum', slots);
  } finally {
    d.close();
  }
  return { dev, slots, dirs, files: slots - dirs, lastDir, lastFile };
}

module.exports = { buildFullLog, MASTER, MASTER_UUID };
