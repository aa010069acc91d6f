#!/usr/bin/env node
// bench/fused: FUSE request rate and read bandwidth of famfs-fused's daemon (a Node worker
// speaking the kernel protocol on /dev/fuse) against a C libfuse3 low-level server, measured in
// the same run on the same machine. See README.md.
//
//   node bench/fused/run.js [--size BYTES] [--stats N] [--trials N] [--passes N]
//                           [--only c|node|floor|uring] [--no-floor] [--io-uring] [--no-build] [--json FILE]
//
// Needs root, /dev/fuse, gcc, and fuse3 + libfuse3-dev + pkg-config (Debian packages).
// Exit status: 0 when every measurement ran (whatever the ratios), 1 when the bench failed,
// 130/143 when interrupted. Every mount it made is unmounted on every path.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn, spawnSync } = require('child_process');

const HERE = __dirname;
const ROOT = path.resolve(HERE, '../..');
const BUILD = path.join(HERE, 'build');

// ---------------------------------------------------------------------------------------------
// options

const argv = process.argv.slice(2);
function opt(name, dflt) {
  const i = argv.indexOf(name);
  if (i < 0) return dflt;
  if (i + 1 >= argv.length) fail(`${name} needs a value`);
  return argv[i + 1];
}
const flag = (name) => argv.includes(name);
if (flag('--help') || flag('-h')) {
  console.log(
    fs
      .readFileSync(__filename, 'utf8')
      .split('\n')
      .slice(4, 7)
      .map((l) => l.replace(/^\/\/ ?/, ''))
      .join('\n'),
  );
  process.exit(0);
}
const SIZE = Number(opt('--size', String(1 << 30))) & ~3;
const STATS = Number(opt('--stats', '50000'));
const TRIALS = Number(opt('--trials', '5'));
const PASSES = Number(opt('--passes', '3'));
const ONLY = opt('--only', null);
const JSON_OUT = opt('--json', null);
const SEED = 1234;
const BS = 1 << 20;
// Issue 13 goal 5: every row, pinned and unpinned, at least 0.9x the C server.
const GOAL = { stat: 0.9, read: 0.9 };
// --io-uring: also famfs-fused through FUSE over io_uring, with the fuse module's enable_uring on
// for the run (put back as it was on every path).
const IO_URING = flag('--io-uring') || ONLY === 'uring';
const ENABLE_URING = '/sys/module/fuse/parameters/enable_uring';
let enableUringBefore = null;
function setEnableUring() {
  if (!IO_URING) return;
  if (!fs.existsSync(ENABLE_URING))
    fail(`--io-uring: ${ENABLE_URING} is missing (a kernel without FUSE over io_uring)`);
  enableUringBefore = fs.readFileSync(ENABLE_URING, 'utf8').trim();
  fs.writeFileSync(ENABLE_URING, 'Y');
}
function restoreEnableUring() {
  if (enableUringBefore === null) return;
  try {
    fs.writeFileSync(ENABLE_URING, enableUringBefore);
    enableUringBefore = null;
  } catch (e) {
    log(`could not put ${ENABLE_URING} back to ${enableUringBefore}: ${e.message}`);
  }
}

function fail(msg) {
  console.error(`bench/fused: ${msg}`);
  process.exit(1);
}

// ---------------------------------------------------------------------------------------------
// process bookkeeping: only processes started here are ever signalled, by pid

const children = new Set(); // ChildProcess objects still running
const mounts = new Set(); // mountpoints that may be mounted by us
let interrupted = false;
let baseDir = null; // the temporary directory holding the mountpoints

function log(msg) {
  process.stderr.write(`[bench] ${msg}\n`);
}

/** Runs a command to completion; rejects on non-zero exit or timeout (the child is killed by pid). */
function run(cmd, args, { timeoutMs = 120000, env } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
    children.add(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      children.delete(child);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      if (code === 0) resolve(out);
      else
        reject(new Error(`${cmd} ${args.join(' ')}: ${signal ? `killed by ${signal}` : `exit ${code}`} ${err.trim()}`));
    });
  });
}

function runSync(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  if (r.error) throw r.error;
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}\n${(r.stderr || '') + (r.stdout || '')}`);
  return r.stdout;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// mounts (read from /proc/self/mountinfo only: this process never touches a FUSE mount itself,
// so a stuck server can never hang it)

function mountEntries(mnt) {
  const out = [];
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const f = line.split(' ');
    if (f.length < 10) continue;
    const p = f[4].replace(/\\([0-7]{3})/g, (_m, o) => String.fromCharCode(parseInt(o, 8)));
    if (p !== mnt) continue;
    const sep = f.indexOf('-');
    out.push({ dev: f[2], fstype: f[sep + 1] });
  }
  return out;
}

/** Unmounts everything at mnt: umount, then lazy umount, then aborting the connection. */
function ensureUnmounted(mnt) {
  for (let i = 0; i < 4 && mountEntries(mnt).length; i++) {
    const devs = mountEntries(mnt).map((e) => e.dev);
    const lazy = i >= 1;
    const r = spawnSync('umount', lazy ? ['-i', '-l', mnt] : ['-i', mnt], { encoding: 'utf8', timeout: 10000 });
    if (r.status !== 0 && i >= 2) {
      // Last resort: abort the FUSE connection so nothing can stay blocked on it.
      for (const d of devs) {
        try {
          fs.writeFileSync(`/sys/fs/fuse/connections/${d.split(':')[1]}/abort`, '1');
        } catch {
          // fusectl not mounted
        }
      }
    }
  }
  if (mountEntries(mnt).length) log(`WARNING: ${mnt} is still mounted`);
  else mounts.delete(mnt);
}

// ---------------------------------------------------------------------------------------------
// servers

/**
 * Starts a server process that prints a line starting with "ready" once it serves MNT.
 * Returns { child, pid, ready (the rest of that line), stderr() }.
 */
async function startServer(cmd, args, mnt, env) {
  mounts.add(mnt);
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  children.add(child);
  let err = '';
  let out = '';
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise((resolve) =>
    child.on('close', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    }),
  );
  const ready = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${cmd}: not ready after 180 s`)), 180000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.stdout.on('data', (d) => {
      out += d;
      const m = /^ready ?(.*)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${cmd} exited (${signal ?? code}) before it was ready: ${err.trim()}`));
    });
  });
  return { child, pid: child.pid, ready, exited, stderr: () => err };
}

/** SIGTERM (the server unmounts itself), then SIGKILL after a grace period; then make sure. */
async function stopServer(srv, mnt) {
  if (srv && srv.child.exitCode === null && srv.child.signalCode === null) {
    try {
      process.kill(srv.pid, 'SIGTERM');
    } catch {
      // gone
    }
    const done = await Promise.race([srv.exited, sleep(10000).then(() => null)]);
    if (!done) {
      log(`server ${srv.pid} did not exit after SIGTERM; unmounting and killing it`);
      ensureUnmounted(mnt);
      try {
        process.kill(srv.pid, 'SIGKILL');
      } catch {
        // gone
      }
      await Promise.race([srv.exited, sleep(5000)]);
    }
  }
  ensureUnmounted(mnt);
}

function setAffinity(pid, mask) {
  runSync('taskset', ['-a', '-p', mask, String(pid)], { stdio: ['ignore', 'pipe', 'pipe'] });
}

// ---------------------------------------------------------------------------------------------
// measurement

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function client(pinned, bin, args) {
  return pinned ? ['taskset', ['-c', '0', bin, ...args]] : [bin, args];
}

async function statOnce(file, pinned) {
  const [cmd, args] = client(pinned, path.join(BUILD, 'statloop'), [file, String(STATS)]);
  const r = JSON.parse(await run(cmd, args, { timeoutMs: 600000 }));
  if (r.size !== SIZE) throw new Error(`stat saw size ${r.size}, expected ${SIZE}`);
  return r.per_sec;
}

async function readOnce(file, mode, pinned) {
  const [cmd, args] = client(pinned, path.join(BUILD, 'readloop'), [file, mode, String(BS), '1']);
  const r = JSON.parse(await run(cmd, args, { timeoutMs: 600000 }));
  if (r.bytes !== SIZE) throw new Error(`read ${r.bytes} bytes, expected ${SIZE}`);
  return r.best;
}

const statSummary = (rates) => ({
  median: median(rates),
  min: Math.min(...rates),
  max: Math.max(...rates),
  all: rates,
});
const readSummary = (gbps) => ({ best: Math.max(...gbps), all: gbps });

/** Starts one server, checks its mount and warms it up; returns { impl, mnt, file, srv, res }. */
async function startAndWarm(impl, mnt) {
  const file = path.join(mnt, 'big');
  const res = { impl: impl.name };
  log(`${impl.name}: starting server`);
  const srv = await startServer(impl.cmd, impl.args(mnt), mnt, impl.env);
  const s = { impl, mnt, file, srv, res };
  res.ready = srv.ready;
  const ent = mountEntries(mnt);
  if (!ent.length) throw new Error(`${impl.name}: nothing mounted at ${mnt} after "ready"`);
  res.fstype = ent[ent.length - 1].fstype;

  // Warm-up: stats, and one verified O_DIRECT pass (every server must serve the same bytes).
  log(`${impl.name}: warm-up`);
  await run(path.join(BUILD, 'statloop'), [file, '5000']);
  // Raise this mount's readahead so buffered reads arrive as 1 MiB requests. Only now: INIT is
  // surely answered (a stat went through), and the kernel clamps the readahead to the INIT
  // reply's max_readahead when it processes that reply, which would undo an earlier write.
  const bdi = `/sys/class/bdi/${ent[ent.length - 1].dev}/read_ahead_kb`;
  fs.writeFileSync(bdi, '1024');
  res.readAheadKb = Number(fs.readFileSync(bdi, 'utf8').trim());
  await run(path.join(BUILD, 'readloop'), [file, 'direct', String(BS), '1', String(SEED)]);
  await run(path.join(BUILD, 'readloop'), [file, 'buffered', String(BS), '1']);
  return s;
}

/** Stops a server and reads the request counts it printed at exit (its last JSON line on stderr). */
async function stopAndCount(s) {
  await stopServer(s.srv, s.mnt);
  const line = s.srv
    .stderr()
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{"counts"'));
  s.res.counts = line ? JSON.parse(line).counts : null;
  if (mountEntries(s.mnt).length) throw new Error(`${s.mnt} is still mounted`);
}

/**
 * Every server is mounted at once and the measurements are interleaved: each stat trial and each
 * read pass runs once per server in turn (the order rotating from one round to the next), so
 * every server sees the same moments of the machine's load. Measuring one server after the other
 * left minutes between them, which on this shared VM moved the ratios by 20-30% either way.
 */
async function measureAll(impls, base) {
  const servers = [];
  try {
    for (const impl of impls) {
      const mnt = path.join(base, impl.name);
      fs.mkdirSync(mnt);
      servers.push(await startAndWarm(impl, mnt));
      if (interrupted) return [];
    }
    const loadBefore = loadavg();
    const turn = (round) => servers.map((_, i) => servers[(i + round) % servers.length]);
    for (const pinned of [false, true]) {
      const tag = pinned ? 'pinned' : 'unpinned';
      for (const s of servers) setAffinity(s.srv.pid, pinned ? '1' : allCpusMask());
      log(`${tag}: stat x ${TRIALS} x ${STATS}, servers interleaved`);
      const rates = new Map(servers.map((s) => [s, []]));
      for (let t = 0; t < TRIALS; t++) for (const s of turn(t)) rates.get(s).push(await statOnce(s.file, pinned));
      for (const s of servers) s.res[`stat_${tag}`] = statSummary(rates.get(s));
      for (const mode of ['direct', 'buffered']) {
        log(`${tag}: ${mode} 1 MiB reads, best of ${PASSES}, servers interleaved`);
        const gbps = new Map(servers.map((s) => [s, []]));
        for (let p = 0; p < PASSES; p++)
          for (const s of turn(p)) gbps.get(s).push(await readOnce(s.file, mode, pinned));
        for (const s of servers) s.res[`${mode}_${tag}`] = readSummary(gbps.get(s));
      }
      if (interrupted) return [];
    }
    const loadAfter = loadavg();
    for (const s of servers) Object.assign(s.res, { loadavgBefore: loadBefore, loadavgAfter: loadAfter });
  } finally {
    for (const s of servers) await stopAndCount(s);
  }
  return servers.map((s) => s.res);
}

/** 1-minute load average: other work on this small VM skews every number. */
function loadavg() {
  return Number(fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
}

function allCpusMask() {
  return (2 ** os.cpus().length - 1).toString(16);
}

// ---------------------------------------------------------------------------------------------
// build

function build() {
  fs.mkdirSync(BUILD, { recursive: true });
  let cflags;
  try {
    cflags = runSync('pkg-config', ['fuse3', '--cflags', '--libs']).trim().split(/\s+/);
  } catch (e) {
    throw new Error(`pkg-config fuse3 failed (apt-get install -y fuse3 libfuse3-dev pkg-config): ${e.message}`, {
      cause: e,
    });
  }
  for (const [name, libs] of [
    ['ll_server', cflags],
    ['statloop', []],
    ['readloop', []],
  ]) {
    runSync('gcc', ['-O2', '-Wall', path.join(HERE, 'c', `${name}.c`), ...libs, '-o', path.join(BUILD, name)]);
  }
  if (flag('--no-build')) return;
  // The daemon worker runs compiled JS: build libfamfs (which it imports) and famfs-fused.
  const tsc = require.resolve('typescript/bin/tsc', { paths: [ROOT] });
  for (const pkg of ['struct', 'libfamfs', 'fuse', 'famfs-fused']) {
    const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json'], {
      cwd: path.join(ROOT, 'packages', pkg),
      encoding: 'utf8',
    });
    if (r.status !== 0) {
      const dist = path.join(ROOT, 'packages', pkg, 'dist');
      if (!fs.existsSync(dist)) throw new Error(`tsc in packages/${pkg} failed:\n${r.stdout}${r.stderr}`);
      log(`WARNING: tsc in packages/${pkg} reported errors; using the emitted dist:\n${(r.stdout + r.stderr).trim()}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// report

function machine() {
  const cpu =
    (fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m) || [])[1] || os.cpus()[0]?.model || '?';
  let libfuse = '?';
  try {
    libfuse = runSync('pkg-config', ['fuse3', '--modversion']).trim();
  } catch {
    // reported as ?
  }
  return { nproc: os.cpus().length, cpu, kernel: os.release(), node: process.version, libfuse3: libfuse };
}

function table(results, m) {
  const by = Object.fromEntries(results.map((r) => [r.impl, r]));
  const C = by.c;
  const N = by.node;
  const F = by.floor;
  const U = by.uring;
  const k = (x) => (x >= 1000 ? `${(x / 1000).toFixed(1)}k` : x.toFixed(0));
  const statFmt = (s) => `${k(s.median)} (${k(s.min)}-${k(s.max)})`;
  const gbFmt = (s) => `${s.best.toFixed(2)} GB/s`;
  const rows = [];
  const metrics = [];
  for (const tag of ['unpinned', 'pinned'])
    metrics.push([`stat/s ${tag}, median (min-max)`, `stat_${tag}`, statFmt, (s) => s.median, GOAL.stat]);
  for (const tag of ['unpinned', 'pinned']) {
    metrics.push([`read O_DIRECT 1 MiB ${tag}, best of ${PASSES}`, `direct_${tag}`, gbFmt, (s) => s.best, GOAL.read]);
    metrics.push([
      `read buffered RA 1 MiB ${tag}, best of ${PASSES}`,
      `buffered_${tag}`,
      gbFmt,
      (s) => s.best,
      GOAL.read,
    ]);
  }
  // The same round's numbers side by side (the servers are interleaved): the spread of Node/C.
  const perRound = (X, key) => {
    const rs = X[key].all.map((x, i) => x / C[key].all[i]);
    return `${Math.min(...rs).toFixed(2)}-${Math.max(...rs).toFixed(2)}`;
  };
  for (const [label, key, fmt, val, goal] of metrics) {
    const ratio = (X) => (C && X ? val(X[key]) / val(C[key]) : null);
    const rN = ratio(N);
    const rF = ratio(F);
    const rU = ratio(U);
    rows.push([
      label,
      C ? fmt(C[key]) : '-',
      N ? fmt(N[key]) : '-',
      rN === null ? '-' : `${rN.toFixed(2)}x`,
      rN === null ? '-' : perRound(N, key),
      rN === null ? '-' : goalMark(rN, goal),
      ...(U ? [fmt(U[key]), rU === null ? '-' : `${rU.toFixed(2)}x`, perRound(U, key)] : []),
      ...(F ? [fmt(F[key]), rF === null ? '-' : `${rF.toFixed(2)}x`] : []),
    ]);
  }
  const head = [
    'measurement',
    'C libfuse3 ll (1 thread)',
    'Node famfs-fused (worker)',
    'Node/C',
    'Node/C per round',
    'goal',
    ...(U ? ['Node famfs-fused io_uring', 'uring/C', 'uring/C per round'] : []),
    ...(F ? ['Node floor (reference)', 'floor/C'] : []),
  ];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (r) => `| ${r.map((c, i) => String(c).padEnd(w[i])).join(' | ')} |`;
  const out = [];
  out.push(`machine: ${m.nproc} vCPU, ${m.cpu}, kernel ${m.kernel}, node ${m.node}, libfuse3 ${m.libfuse3}`);
  out.push(
    `file: ${SIZE} bytes; stat: ${TRIALS} trials x ${STATS} stat() (entry/attr timeout 0); reads: ${BS >> 20} MiB requests`,
  );
  out.push(line(head));
  out.push(`|${w.map((x) => '-'.repeat(x + 2)).join('|')}|`);
  for (const r of rows) out.push(line(r));
  for (const r of results) {
    const cnt = r.counts || {};
    const statCalls = 5000 + 2 * TRIALS * STATS;
    out.push(
      `${r.impl}: ${r.fstype} ${r.ready || ''}; loadavg ${r.loadavgBefore} -> ${r.loadavgAfter}; requests: ${JSON.stringify(cnt)}; ` +
        `(LOOKUP+GETATTR)/stat() = ${(((cnt.LOOKUP || 0) + (cnt.GETATTR || 0)) / statCalls).toFixed(2)}; READ/pass ~ ${((cnt.READ || 0) / (2 + 4 * PASSES)).toFixed(0)}`,
    );
  }
  return out.join('\n');
}

function goalMark(ratio, goal) {
  return ratio >= goal ? `>= ${goal} ok` : `< ${goal} MISS`;
}

// ---------------------------------------------------------------------------------------------
// main

async function cleanupAll() {
  for (const c of children) {
    try {
      process.kill(c.pid, 'SIGTERM');
    } catch {
      // gone
    }
  }
  await sleep(1500);
  for (const mnt of mounts) ensureUnmounted(mnt);
  restoreEnableUring();
  for (const c of children) {
    try {
      process.kill(c.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  removeBase();
}

/** Removes the (empty) mountpoints and their directory, never recursing into a mount. */
function removeBase() {
  if (!baseDir || mounts.size !== 0) return;
  try {
    for (const d of fs.readdirSync(baseDir))
      if (!mountEntries(path.join(baseDir, d)).length) fs.rmdirSync(path.join(baseDir, d));
    fs.rmdirSync(baseDir);
    baseDir = null;
  } catch (e) {
    log(`could not remove ${baseDir}: ${e.message}`);
  }
}

for (const [sig, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
  ['SIGHUP', 129],
]) {
  process.on(sig, () => {
    if (interrupted) return;
    interrupted = true;
    log(`${sig}: stopping servers and unmounting`);
    cleanupAll().finally(() => process.exit(code));
  });
}

async function main() {
  if (typeof process.getuid === 'function' && process.getuid() !== 0)
    throw new Error('must run as root (mount(2), /sys/class/bdi)');
  if (!fs.existsSync('/dev/fuse')) throw new Error('/dev/fuse is missing');
  const m = machine();
  log(`building (C servers/clients into ${path.relative(ROOT, BUILD)}, TypeScript dists)`);
  build();

  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'famfs-bench-fused-'));
  baseDir = base;
  const impls = [
    {
      name: 'c',
      cmd: path.join(BUILD, 'll_server'),
      args: (mnt) => [mnt],
      env: { LL_SIZE: String(SIZE), LL_SEED: String(SEED), LL_TIMEOUT: '0' },
    },
    {
      name: 'node',
      cmd: process.execPath,
      args: (mnt) => [path.join(HERE, 'node_server.js'), mnt, String(SIZE), String(SEED), '0'],
      env: {},
    },
    // The same server through FUSE over io_uring (--io-uring).
    {
      name: 'uring',
      cmd: process.execPath,
      args: (mnt) => [path.join(HERE, 'node_server.js'), mnt, String(SIZE), String(SEED), '0'],
      env: { NODE_SERVER_IO_URING: '1' },
    },
    // Reference only: a hand-written Node responder on the same transport (see floor_server.js).
    {
      name: 'floor',
      cmd: process.execPath,
      args: (mnt) => [path.join(HERE, 'floor_server.js'), mnt, String(SIZE), String(SEED)],
      env: {},
    },
  ].filter((i) =>
    ONLY ? i.name === ONLY : (i.name !== 'floor' || !flag('--no-floor')) && (i.name !== 'uring' || IO_URING),
  );
  let results;
  setEnableUring();
  try {
    results = await measureAll(impls, base);
    if (interrupted) return;
  } finally {
    for (const mnt of mounts) ensureUnmounted(mnt);
    if (!interrupted) removeBase();
    restoreEnableUring();
  }
  const uring = results.find((r) => r.impl === 'uring');
  if (uring && !(uring.ready || '').includes('"ioUring":true'))
    throw new Error(`the io_uring server did not serve through io_uring: ${uring.ready}`);
  const report = table(results, m);
  console.log(report);
  if (JSON_OUT)
    fs.writeFileSync(
      JSON_OUT,
      JSON.stringify({ machine: m, size: SIZE, stats: STATS, trials: TRIALS, passes: PASSES, results }, null, 2) + '\n',
    );
}

main().then(
  () => process.exit(0),
  async (e) => {
    if (interrupted) return;
    console.error(`bench/fused failed: ${e && e.stack ? e.stack : e}`);
    await cleanupAll();
    process.exit(1);
  },
);
