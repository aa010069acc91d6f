#!/usr/bin/env node
/**
 * Whole `famfs logplay --daxdev DEV --shadow DIR` processes into a fresh directory (issue 13 goal
 * 2): wall time and peak RSS for a full 8 MiB log (15,420 entries) and a full 256 MiB log (493,447
 * entries), both 1% directories (bench/lib/full-log.js), against references run in the same loop,
 * interleaved: `node -e 0` and a bare create process (a node process that makes the same
 * directories and files, each file one exclusive open, one write of a 250-byte YAML-sized string
 * and a close, with no log read: the system-call floor of any shadow logplay). The first run's
 * tree is compared with every later one byte for byte. Prints min-max of each ratio and the load.
 * No root needed.
 *
 *   node bench/logplay.js [--reps 5] [--logs 8m,256m] [--dir /dev/shm]
 *
 * Anchor (issue 13, the C famfs 5d0919f -O2 on this machine kind): 8 MiB 0.84 s; 256 MiB 26.3 s
 * and 266 MiB peak. Goal: no slower, no more memory.
 */
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { parseSize } = require('@famfs/libfamfs');
const { buildFullLog, MASTER_UUID } = require('./lib/full-log');

const ROOT = path.resolve(__dirname, '..');
const FAMFS = path.join(ROOT, 'packages/famfs-cli/bin/famfs.js');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const reps = Number(opt('--reps', '5'));
const logs = opt('--logs', '8m,256m').split(',');
const base = fs.mkdtempSync(
  path.join(opt('--dir', fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir()), 'famfs-bench-logplay-'),
);
const env = { ...process.env, FAMFS_SYSTEM_UUID: MASTER_UUID };
const ANCHOR = { '8m': { s: 0.84 }, '256m': { s: 26.3, mib: 266 } };

/** Wall seconds (hrtime around the process) and peak RSS in MiB (GNU time). */
function run(argv) {
  const t = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', ...argv], { env, encoding: 'utf8', maxBuffer: 1 << 26 });
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  return { s, mib: Number(r.stderr.trim().split('\n').pop()) / 1024 };
}

const BARE_CREATE = `
const fs = require('fs'); const [root, slots, perDir] = [process.argv[1], +process.argv[2], +process.argv[3]];
const yaml = 'x'.repeat(249) + '\\n'; const C = fs.constants; const flags = C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW;
fs.mkdirSync(root); let dir = '';
for (let i = 0; i < slots; i++) {
  if (i % perDir === 0) { dir = root + '/d' + i / perDir; fs.mkdirSync(dir, { mode: 0o755 }); continue; }
  const fd = fs.openSync(dir + '/f' + (i % perDir), flags, 0o644); fs.writeSync(fd, yaml); fs.closeSync(fd);
}`;

/** A listing of a tree with every file's mode, size and content hash, for byte-for-byte comparison. */
function treeDigest(dir) {
  const r = spawnSync(
    'sh',
    ['-c', `cd '${dir}' && find . -printf '%p %m %s\\n' | sort && find . -type f | sort | xargs cat | md5sum`],
    {
      encoding: 'utf8',
      maxBuffer: 1 << 28,
    },
  );
  return r.stdout;
}

const span = (xs, d = 2) => `${Math.min(...xs).toFixed(d)}-${Math.max(...xs).toFixed(d)}`;
const load = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');
try {
  console.log(`bench/logplay: load average ${load()} on ${os.cpus().length} CPUs; node ${process.version}`);
  for (const l of logs) {
    const dev = path.join(base, `full-${l}.img`);
    const { slots } = buildFullLog(dev, { logLen: parseSize(l) });
    const t = { node: [], bare: [], logplay: [] };
    let peak = 0;
    let bareMib = 0;
    let first;
    for (let r = 0; r < reps; r++) {
      const shadow = path.join(base, `shadow-${r}`);
      const bareDir = path.join(base, `bare-${r}`);
      fs.mkdirSync(shadow);
      t.node.push(run([process.execPath, '-e', '0']).s);
      const b = run([process.execPath, '-e', BARE_CREATE, bareDir, String(slots), '100']);
      t.bare.push(b.s);
      bareMib = Math.max(bareMib, b.mib);
      const p = run([process.execPath, FAMFS, 'logplay', '--daxdev', dev, '--shadow', shadow]);
      t.logplay.push(p.s);
      peak = Math.max(peak, p.mib);
      const digest = treeDigest(shadow);
      if (first === undefined) first = digest;
      else if (digest !== first) throw new Error(`run ${r}: the shadow tree differs from the first run's`);
      fs.rmSync(shadow, { recursive: true, force: true });
      fs.rmSync(bareDir, { recursive: true, force: true });
    }
    const ratio = (ref) => t.logplay.map((x, i) => x / t[ref][i]);
    const a = ANCHOR[l];
    console.log(
      `${l} log (${slots.toLocaleString('en-US')} entries), ${reps} runs, load now ${load()}:\n` +
        `  famfs logplay ${span(t.logplay)} s, peak ${peak.toFixed(0)} MiB` +
        (a ? ` (anchor C famfs ${a.s} s${a.mib ? `, ${a.mib} MiB` : ''})` : '') +
        `\n  node -e 0 ${span(t.node, 3)} s; bare create ${span(t.bare)} s, peak ${bareMib.toFixed(0)} MiB` +
        `\n  logplay / bare create ${span(ratio('bare'))}x; logplay / node -e 0 ${span(ratio('node'), 1)}x; tree identical over runs`,
    );
  }
} finally {
  fs.rmSync(base, { recursive: true, force: true });
}
