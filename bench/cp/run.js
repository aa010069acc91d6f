#!/usr/bin/env node
/**
 * bench/cp: `famfs cp` against its floors, measured in the same run on the same machine.
 *
 *   1. One large file (default 1 GiB) into a famfs on a /dev/shm device, against a native
 *      memcpy (Buffer.copy) of the same bytes into a fresh mmap of another /dev/shm file.
 *      Goal: >= 0.8x the memcpy's throughput.
 *   2. `famfs cp -r` of a tree of small files (default 10,000 in 100 directories), and `famfs
 *      creat -M` of as many files of the same sizes (one command, no data), against coreutils
 *      `cp -r` of the same tree into /dev/shm. Goal: >= 0.5x its files per second.
 *   3. (information) the copy engine's data paths in-process: straight into the mapping
 *      (the default) vs through a buffer, at several chunk sizes.
 *
 * Needs root and /dev/fuse (it mounts). Everything lives in one /dev/shm/famfs-cp-bench-*
 * directory that is unmounted, killed (only the daemons this run started) and removed at the
 * end, on success, failure or a signal. `node bench/cp/run.js --help` for the options.
 */
'use strict';
const { spawnSync, execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const ROOT = path.resolve(__dirname, '..', '..');
const FAMFS = path.join(ROOT, 'packages/famfs-cli/bin/famfs.js');
const UUID = '30313233-3435-3637-3839-3a3b3c3d3e3f';
const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

function parseArgs(argv) {
  const o = {
    trials: 3,
    size: GiB,
    files: 10000,
    dirs: 100,
    build: true,
    methods: true,
    json: undefined,
    against: undefined,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => argv[++i];
    if (a === '--trials') o.trials = Number(next());
    else if (a === '--size') o.size = parseSize(next());
    else if (a === '--files') o.files = Number(next());
    else if (a === '--dirs') o.dirs = Number(next());
    else if (a === '--no-build') o.build = false;
    else if (a === '--no-methods') o.methods = false;
    else if (a === '--json') o.json = next();
    else if (a === '--against') o.against = next();
    else if (a === '--help' || a === '-h') {
      console.log(
        'usage: node bench/cp/run.js [--trials N] [--size 1g] [--files 10000] [--dirs 100] [--no-build] [--no-methods] [--json FILE] [--against TREE]',
      );
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  return o;
}

function parseSize(s) {
  const m = /^(\d+)([kmg]?)$/i.exec(s);
  if (!m) throw new Error(`bad size ${s}`);
  return Number(m[1]) * { '': 1, k: 1024, m: MiB, g: GiB }[m[2].toLowerCase()];
}

const opts = parseArgs(process.argv.slice(2));
if (process.getuid() !== 0) {
  console.error('bench/cp: needs root (it mounts famfs with FUSE)');
  process.exit(1);
}

if (opts.build) {
  for (const pkg of ['native', 'struct', 'libfamfs', 'fuse', 'famfs-fused', 'famfs-cli']) {
    execFileSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], {
      cwd: path.join(ROOT, 'packages', pkg),
      stdio: 'inherit',
    });
  }
}
const { DataPath } = require('@famfs/libfamfs/device');
const { mkfs } = require('@famfs/libfamfs/log');
const { FamfsMaster } = require('@famfs/libfamfs/mount');
const native = require(path.join(ROOT, 'packages/native/dist/index.js'));
const data = require(path.join(ROOT, 'packages/famfs-cli/dist/copy/data.js'));

const work = fs.mkdtempSync('/dev/shm/famfs-cp-bench-');
const env = { ...process.env, FAMFS_SYSTEM_UUID: UUID, FAMFS_RUN_DIR: path.join(work, 'run') };
const MASTER = Buffer.from(UUID.replace(/-/g, ''), 'hex');
const mounts = [];

function now() {
  return Number(process.hrtime.bigint()) / 1e9;
}

/** Runs famfs: this tree's, or `bin` (another tree's, for --against). */
function famfs(args, bin = FAMFS) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env, maxBuffer: 64 * MiB });
  if (r.error) throw r.error;
  return r;
}

function mountedHere() {
  return fs
    .readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1])
    .filter((m) => m && m.startsWith(work + '/'));
}

function daemonsHere() {
  return fs
    .readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        const cmd = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8');
        return cmd.includes('famfs_fused') && cmd.includes(work);
      } catch {
        return false;
      }
    })
    .map(Number);
}

let cleaned = false;
function cleanup() {
  if (cleaned) return;
  cleaned = true;
  for (const m of mounts.splice(0)) if (mountedHere().includes(m)) famfs(['umount', m]);
  for (const m of mountedHere()) {
    try {
      execFileSync('umount', ['-l', m]);
    } catch {
      // gone already
    }
  }
  for (const pid of daemonsHere()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  fs.rmSync(work, { recursive: true, force: true });
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    cleanup();
    process.exit(sig === 'SIGINT' ? 130 : 143);
  });
}

let fsCount = 0;
/**
 * A fresh famfs on a sparse /dev/shm device, mounted by `bin`'s famfs (and so its daemon: this
 * tree's by default); returns its mount point, device and that famfs.
 */
function freshFamfs(size, logLen, bin = FAMFS) {
  const n = fsCount++;
  const dev = path.join(work, `dev${n}.img`);
  fs.writeFileSync(dev, '');
  fs.truncateSync(dev, size);
  mkfs(dev, { systemUuid: MASTER, logLen });
  const mpt = path.join(work, `mnt${n}`);
  const shadow = path.join(work, `shadow${n}`);
  fs.mkdirSync(mpt);
  fs.mkdirSync(shadow);
  const r = famfs(['mount', '-S', shadow, dev, mpt], bin);
  if (r.status !== 0) throw new Error(`famfs mount failed: ${r.stderr}`);
  mounts.push(mpt);
  return { dev, mpt, bin };
}

function dropFamfs(f) {
  const r = famfs(['umount', f.mpt], f.bin);
  if (r.status !== 0) throw new Error(`famfs umount failed: ${r.stderr}`);
  mounts.splice(mounts.indexOf(f.mpt), 1);
  fs.rmSync(f.dev);
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function gbps(bytes, s) {
  return bytes / s / GiB;
}

const results = { machine: machine(), large: {}, small: {}, methods: [] };

function machine() {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    model: cpus[0] && cpus[0].model,
    kernel: os.release(),
    node: process.version,
    memGiB: Math.round(os.totalmem() / GiB),
  };
}

function loadavg() {
  return os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
}

function largeFile() {
  const size = opts.size;
  console.log(`\n== 1. one ${size / MiB} MiB file: famfs cp vs memcpy into a fresh mapping (load ${loadavg()})`);
  const src = path.join(work, 'large.src');
  const srcBuf = Buffer.allocUnsafe(size);
  require('crypto').randomFillSync(srcBuf);
  fs.writeFileSync(src, srcBuf);
  const f = freshFamfs(Math.max(8 * GiB, (opts.trials + 2) * size * 2));

  const memcpy = [];
  const cpWall = [];
  const cpCopy = [];
  const coreutils = [];
  // Warm-up: one untimed famfs cp (loads node and the dist files into the page cache).
  famfs(['cp', '-q', src, path.join(f.mpt, 'warmup')]);
  for (let t = 0; t < opts.trials; t++) {
    // memcpy into a fresh mapping of a new /dev/shm file (page faults included, as in cp).
    const p = path.join(work, `memcpy${t}`);
    fs.writeFileSync(p, '');
    fs.truncateSync(p, size);
    const fd = fs.openSync(p, 'r+');
    const t0 = now();
    const map = native.mmap(fd, size, 0, true);
    srcBuf.copy(map);
    const t1 = now();
    native.unmap(map);
    fs.closeSync(fd);
    fs.rmSync(p);
    memcpy.push(t1 - t0);

    // famfs cp, the whole command: node start, log replay, allocation, log entry, data copy.
    const c0 = now();
    const r = famfs(['cp', '-v', src, path.join(f.mpt, `big${t}`)]);
    const c1 = now();
    if (r.status !== 0) throw new Error(`famfs cp failed: ${r.stderr}`);
    cpWall.push(c1 - c0);
    const m = / in ([\d.]+) s/.exec(r.stdout);
    if (m) cpCopy.push(Number(m[1]));

    // coreutils cp into /dev/shm (reference only).
    const d = path.join(work, `coreutils${t}`);
    const k0 = now();
    execFileSync('cp', [src, d]);
    coreutils.push(now() - k0);
    fs.rmSync(d);
  }
  // The copies are right.
  for (let t = 0; t < opts.trials; t++) {
    const back = fs.readFileSync(path.join(f.mpt, `big${t}`));
    if (!back.equals(srcBuf)) throw new Error(`big${t} differs from its source`);
  }
  dropFamfs(f);
  fs.rmSync(src);
  const mm = median(memcpy);
  const cw = median(cpWall);
  const cc = cpCopy.length ? median(cpCopy) : NaN;
  results.large = {
    bytes: size,
    memcpyS: memcpy,
    famfsCpWallS: cpWall,
    famfsCpCopyPhaseS: cpCopy,
    coreutilsCpS: coreutils,
    ratioWall: mm / cw,
    ratioCopyPhase: mm / cc,
  };
  const row = (name, s) =>
    console.log(`  ${name.padEnd(44)} ${s.toFixed(3).padStart(7)} s  ${gbps(size, s).toFixed(2).padStart(6)} GiB/s`);
  row('memcpy into a fresh mmap (median)', mm);
  row('famfs cp, whole command (median)', cw);
  row('famfs cp, copy phase as -v reports it', cc);
  row('coreutils cp to /dev/shm (reference)', median(coreutils));
  console.log(
    `  ratio famfs cp / memcpy: ${(mm / cw).toFixed(2)}x whole command, ${(mm / cc).toFixed(2)}x copy phase   (goal >= 0.8x)`,
  );
  return { srcBuf };
}

function smallFiles() {
  const nfiles = opts.files;
  const ndirs = opts.dirs;
  console.log(
    `\n== 2. famfs cp -r and famfs creat -M of ${nfiles} small files (${ndirs} directories) vs coreutils cp -r (load ${loadavg()})`,
  );
  const tree = path.join(work, 'tree');
  const block = require('crypto').randomBytes(32 * 1024);
  let bytes = 0;
  for (let d = 0; d < ndirs; d++) fs.mkdirSync(path.join(tree, `d${d}`), { recursive: true });
  for (let i = 0; i < nfiles; i++) {
    const len = 1024 + ((i * 7919) % (15 * 1024));
    bytes += len;
    fs.writeFileSync(path.join(tree, `d${i % ndirs}`, `f${i}`), block.subarray(i % 1024, (i % 1024) + len));
  }
  const famfsS = [];
  const visibleS = [];
  const creatS = [];
  const cpS = [];
  const last = `d${(nfiles - 1) % ndirs}/f${nfiles - 1}`;
  const sizeOf = (i) => 1024 + ((i * 7919) % (15 * 1024));
  // Entries needed per copy: files + directories + 1; a 2 MiB unit per file.
  const logLen = 2 ** Math.ceil(Math.log2(Math.max(8 * MiB, (nfiles + ndirs + 16) * 544 * 1.2)));
  const devSize = Math.max(8 * GiB, Math.ceil(((nfiles + 64) * 2 * MiB + logLen) / GiB) * GiB + 2 * GiB);
  // Warm-up: one untimed run of each.
  execFileSync('cp', ['-r', tree, path.join(work, 'cp-warm')]);
  fs.rmSync(path.join(work, 'cp-warm'), { recursive: true });
  // One famfs cp -r onto a fresh famfs: the command's time, and until the last file shows.
  const copyTree = (bin, check) => {
    const f = freshFamfs(devSize, logLen, bin);
    const c0 = now();
    const r = famfs(['cp', '-r', '-q', tree, path.join(f.mpt, 'tree')], bin);
    const c1 = now();
    if (r.status !== 0) throw new Error(`famfs cp -r failed: ${r.stderr}`);
    // The daemon follows the log: the last file shows through the mount once it has read it.
    fs.statSync(path.join(f.mpt, 'tree', last));
    const c2 = now();
    if (check) {
      // Spot-check the copy through the mount.
      for (const i of [0, 1, nfiles - 1]) {
        const rel = path.join(`d${i % ndirs}`, `f${i}`);
        if (!fs.readFileSync(path.join(f.mpt, 'tree', rel)).equals(fs.readFileSync(path.join(tree, rel))))
          throw new Error(`${rel} differs`);
      }
      const chk = famfs(['fsck', '--json', f.mpt]);
      const rep = JSON.parse(chk.stdout);
      if (rep.files !== nfiles || rep.collisionCount !== 0)
        throw new Error(`fsck after cp -r: ${rep.files} files, ${rep.collisionCount} collisions`);
    }
    dropFamfs(f);
    return { cp: c1 - c0, visible: c2 - c0 };
  };
  // famfs creat -M: the same number of files (the same sizes), allocated and logged in one
  // command, no data written; in the famfs root.
  const createMany = (bin) => {
    const g = freshFamfs(devSize, logLen, bin);
    const multi = [];
    for (let i = 0; i < nfiles; i++) multi.push('-M', `${path.join(g.mpt, `f${i}`)},${sizeOf(i)}`);
    const m0 = now();
    const rc = famfs(['creat', ...multi], bin);
    const m1 = now();
    if (rc.status !== 0) throw new Error(`famfs creat -M failed: ${rc.stderr}`);
    if (fs.statSync(path.join(g.mpt, `f${nfiles - 1}`)).size !== sizeOf(nfiles - 1))
      throw new Error('famfs creat -M: the last file has the wrong size');
    dropFamfs(g);
    return m1 - m0;
  };
  // --against: another famfs-ts tree (built), run in turn with this one in every trial, the
  // first of the two alternating, so that the two are compared at the same moments.
  const other = opts.against && path.join(path.resolve(opts.against), 'packages/famfs-cli/bin/famfs.js');
  if (other && !fs.existsSync(other)) throw new Error(`--against: ${other} does not exist`);
  const otherCpS = [];
  const otherCreatS = [];
  for (let t = 0; t < opts.trials; t++) {
    const d = path.join(work, `cp-r${t}`);
    const k0 = now();
    execFileSync('cp', ['-r', tree, d]);
    cpS.push(now() - k0);
    fs.rmSync(d, { recursive: true });

    const otherFirst = other && t % 2 === 1;
    if (otherFirst) otherCpS.push(copyTree(other, false).cp);
    const mine = copyTree(FAMFS, t === 0);
    famfsS.push(mine.cp);
    visibleS.push(mine.visible);
    if (other && !otherFirst) otherCpS.push(copyTree(other, false).cp);

    if (otherFirst) otherCreatS.push(createMany(other));
    creatS.push(createMany(FAMFS));
    if (other && !otherFirst) otherCreatS.push(createMany(other));
  }
  fs.rmSync(tree, { recursive: true });
  const fm = median(famfsS);
  const vm = median(visibleS);
  const mm = median(creatS);
  const cm = median(cpS);
  results.small = {
    files: nfiles,
    dirs: ndirs,
    bytes,
    famfsCpS: famfsS,
    famfsCpVisibleS: visibleS,
    famfsCreatMultiS: creatS,
    coreutilsCpS: cpS,
    ratio: cm / fm,
    ratioCreatMulti: cm / mm,
  };
  const row = (name, s) =>
    console.log(
      `  ${name.padEnd(44)} ${s.toFixed(3).padStart(7)} s  ${Math.round(nfiles / s)
        .toString()
        .padStart(7)} files/s`,
    );
  row('coreutils cp -r into /dev/shm (median)', cm);
  row('famfs cp -r, whole command (median)', fm);
  row('  ... until the last file shows in the mount', vm);
  row('famfs creat -M, whole command (median)', mm);
  const each = (xs) => xs.map((x, i) => (cpS[i] / x).toFixed(2)).join(' ');
  console.log(
    `  ratio famfs cp -r / coreutils cp -r: ${(cm / fm).toFixed(2)}x files per second (trials: ${each(famfsS)})   (goal >= 0.5x)`,
  );
  console.log(
    `  ratio famfs creat -M / coreutils cp -r: ${(cm / mm).toFixed(2)}x files per second (trials: ${each(creatS)})   (goal >= 0.5x)`,
  );
  if (other) {
    // Time of this tree over the other's, trial by trial (below 1: this tree is faster).
    const vs = (mineS, theirsS) => {
      const r = mineS.map((x, i) => x / theirsS[i]);
      return `${median(r).toFixed(3)}x median (trials ${r.map((x) => x.toFixed(2)).join(' ')})`;
    };
    console.log(`  against ${opts.against}:`);
    row('  its famfs cp -r (median)', median(otherCpS));
    row('  its famfs creat -M (median)', median(otherCreatS));
    console.log(`  time of this tree / that tree: cp -r ${vs(famfsS, otherCpS)}`);
    console.log(`                                 creat -M ${vs(creatS, otherCreatS)}`);
    results.small.against = { tree: opts.against, famfsCpS: otherCpS, famfsCreatMultiS: otherCreatS };
  }
}

function methods(srcBuf) {
  const size = Math.min(opts.size, 512 * MiB);
  console.log(
    `\n== 3. copy engine data paths, in-process, ${size / MiB} MiB into fresh famfs files (information; load ${loadavg()})`,
  );
  const src = path.join(work, 'method.src');
  fs.writeFileSync(src, srcBuf.subarray(0, size));
  const variants = [
    ['read() into the mapping, 64 MiB steps (default)', 'direct', 64 * MiB],
    ['read() into the mapping, 16 MiB steps', 'direct', 16 * MiB],
    ['read() into the mapping, 256 MiB steps', 'direct', 256 * MiB],
    ['read() into a 1 MiB buffer + pwrite to the device file', 'buffered', 1 * MiB],
    ['read() into a 16 MiB buffer + copy into the mapping', 'buffered', 16 * MiB],
    ['read() into a 64 MiB buffer + copy into the mapping', 'buffered', 64 * MiB],
  ];
  const f = freshFamfs(Math.max(8 * GiB, (variants.length * 2 + 2) * size));
  const master = FamfsMaster.open(f.mpt, { systemUuid: MASTER });
  const windows = new DataPath(master.session.device, data.COPY_DATA_PATH);
  try {
    const fd = fs.openSync(src, 'r');
    for (let round = 0; round < 2; round++) {
      for (const [name, kind, chunk] of variants) {
        const entry = master.createFile(`m-${kind}-${chunk}-${round}`, size);
        const t0 = now();
        if (kind === 'direct') data.copyFdDirect(windows, entry, fd, size, undefined, chunk);
        else data.copyFdBuffered(windows, entry, fd, size, Buffer.allocUnsafe(chunk));
        const s = now() - t0;
        // Rewrite in place: the same copy with the destination pages already present.
        const w0 = now();
        if (kind === 'direct') data.copyFdDirect(windows, entry, fd, size, undefined, chunk);
        else data.copyFdBuffered(windows, entry, fd, size, Buffer.allocUnsafe(chunk));
        const w = now() - w0;
        if (round === 1) {
          results.methods.push({ name, freshGiBps: gbps(size, s), rewriteGiBps: gbps(size, w) });
          console.log(
            `  ${name.padEnd(54)} fresh ${gbps(size, s).toFixed(2).padStart(5)} GiB/s   rewrite ${gbps(size, w).toFixed(2).padStart(5)} GiB/s`,
          );
        }
      }
    }
    fs.closeSync(fd);
  } finally {
    windows.close();
    master.close();
  }
  dropFamfs(f);
  fs.rmSync(src);
}

let code = 0;
try {
  const m = results.machine;
  console.log(
    `bench/cp: ${m.cpus} CPUs (${m.model}), ${m.memGiB} GiB, kernel ${m.kernel}, node ${m.node}; work dir ${work}`,
  );
  const { srcBuf } = largeFile();
  if (opts.methods) methods(srcBuf);
  smallFiles();
  console.log(`\nload average at the end: ${loadavg()}`);
  if (opts.json) fs.writeFileSync(opts.json, JSON.stringify(results, null, 2) + '\n');
} catch (e) {
  console.error(`bench/cp: ${e.stack || e}`);
  code = 1;
} finally {
  cleanup();
}
process.exit(code);
