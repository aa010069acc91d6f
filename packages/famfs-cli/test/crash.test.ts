/**
 * Crash consistency: real famfs creat / mkdir / cp processes, and processes running the library's
 * log appends in a tight loop, are SIGKILLed at random moments on a mounted famfs. After every
 * kill: fsck finds no collision, every complete entry is valid (a torn last entry is the only bad
 * entry allowed), the next create succeeds, and after a logplay the mount shows every logged
 * file and directory. Torn entries are also forced byte by byte, to show that replay reports one
 * as torn and goes on. Full device and full log: nothing half-created, nothing lost, fsck clean,
 * and the error names the cause. With clients following the master's log (no logplay on them):
 * after every kill no client shows a file or directory that is not validly in the log, no client
 * daemon dies, and once the kills stop every client converges to the master's tree.
 *
 * Counts: FAMFS_CRASH_RUNS (default 200) CLI kills, FAMFS_CRASH_LIB_RUNS (default 60) library
 * kills, FAMFS_CRASH_FOLLOW_RUNS (default 80) kills with following clients. Each case prints a
 * RELIABILITY line (see reliability-report.ts).
 */
import * as fs from 'fs';
import * as path from 'path';
import { mountSuite, TestMounts } from './mounts';
import { famfs, OTHER_UUID, sparseFile, useTempDir } from './run';
import { daemonsFor } from './mounts';
import { processAlive } from '../src/wait';
import {
  CaseContext,
  createThroughMaster,
  deviceProblems,
  famfsAsync,
  GiB,
  KiB,
  lib,
  LIB_DIST,
  LIB_PATH,
  loggedPaths,
  MASTER,
  MiB,
  mountViewProblems,
  prng,
  quantile,
  reliabilityTest,
  replayOf,
  runNode,
  sourceTree,
} from './reliability-report';

const CLI_RUNS = Number(process.env.FAMFS_CRASH_RUNS ?? 200);
const LIB_RUNS = Number(process.env.FAMFS_CRASH_LIB_RUNS ?? 60);
const SEED = Number(process.env.FAMFS_CRASH_SEED ?? 0x5eed);
const FOLLOW_RUNS = Number(process.env.FAMFS_CRASH_FOLLOW_RUNS ?? 80);

const tmp = useTempDir();
const mounts = new TestMounts(tmp);

function mountedDevice(size: number, logLen?: number): { dev: string; mpt: string; shadow: string } {
  const dev = sparseFile(tmp(), size);
  lib.mkfs(dev, { systemUuid: MASTER, minDeviceSize: 0, logLen });
  const mpt = path.join(tmp(), 'mnt');
  const r = mounts.mount(dev, mpt);
  if (r.code !== 0) throw new Error(`mount failed: ${r.stderr}`);
  const shadow = /shadow (\S+);/.exec(r.stdout)![1];
  return { dev, mpt, shadow };
}

/**
 * The checks done after every kill. Returns the problems found (the caller fails on the first)
 * and advances `state.from` past the entries checked.
 */
function afterKill(
  c: CaseContext,
  dev: string,
  mpt: string,
  state: { from: number },
  next: string,
  viaCli: boolean,
  unshadowedKey = 'loggedButNotYetShadowed',
): string[] {
  const { problems, report } = deviceProblems(dev);
  if (report.badEntries.some((b: { torn: boolean }) => b.torn)) c.count('tornLastEntries');
  // What the kill left in the log but not (yet) in the mount: the mount follows the log, so this
  // is only what it has not read yet. famfs logplay (the daemon reads the log to its end) brings
  // the mount up to date.
  const fresh = loggedPaths(dev, state.from);
  const before = mountViewProblems(mpt, fresh.files, fresh.dirs);
  if (before.length > 0) c.count(unshadowedKey, before.length);
  const lp = lib.logplayMount(mpt);
  if (!lp) problems.push('logplay: the daemon does not serve the log');
  else if (lp.follow !== 'following') problems.push(`logplay: the mount is ${lp.follow}: ${lp.stopReason}`);
  problems.push(...mountViewProblems(mpt, fresh.files, fresh.dirs).map((p) => `after logplay: ${p}`));
  // The next create succeeds (the lock is free, the log and the shadow tree take a new entry).
  try {
    if (viaCli) {
      const r = famfs(['creat', '-s', '4k', path.join(mpt, next)], mounts.env());
      if (r.code !== 0) throw new Error(`famfs creat exit ${r.code}: ${r.stderr.trim()}`);
    } else {
      createThroughMaster(mpt, next, 4096);
    }
    if (fs.statSync(path.join(mpt, next)).size !== 4096) throw new Error('wrong size in the mount');
  } catch (e) {
    problems.push(`next create of ${next}: ${(e as Error).message}`);
  }
  state.from = replayOf(dev).header.nextIndex;
  return problems;
}

/** A library writer for the kill loop: FamfsMaster on the mount, or a bare LogSession on the device. */
const CHILD = `
const lib = require(process.argv[2]);
const [mode, target, seedText, sessionsText, tag] = process.argv.slice(3);
let a = Number(seedText) >>> 0;
const rnd = () => { a = (a + 0x6d2b79f5) >>> 0; let t = a; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
const sizes = [4096, 100000, 1 << 20, 2 << 20, (3 << 20) + 5, 5 << 20];
process.stdout.write('READY\\n');
const t0 = process.hrtime.bigint();
let made = 0;
for (let s = 0; s < Number(sessionsText); s++) {
  const m = mode === 'master' ? lib.FamfsMaster.open(target) : lib.LogSession.open(target);
  try {
    const ops = 1 + Math.floor(rnd() * 4);
    for (let j = 0; j < ops; j++) {
      const name = tag + '-' + s + '-' + j;
      if (rnd() < 0.3) { m.mkdir(name); m.mkdir(name + '/sub'); m.createFile(name + '/sub/f', 8192); made += 3; }
      else { m.createFile(name, sizes[Math.floor(rnd() * sizes.length)]); made++; }
    }
  } finally { m.close(); }
}
process.stdout.write('DONE ' + made + ' ' + (Number(process.hrtime.bigint() - t0) / 1e6).toFixed(2) + '\\n');
`;

/**
 * A famfs command run in-process with every step that changes state counted: each fs call that
 * writes (open, write, close, mkdir, chmod, chown, link, unlink, rename, rm) and each log append
 * stage (the entry encoded into its slot, next_seqnum set, next_index set). The process SIGKILLs
 * itself just before step K, so K = 1, 2, ... visits every crash point of the command in turn.
 */
const STEPPER = `
const fs = require('fs');
const path = require('path');
const [cliMain, libDir, killAtText, ...argv] = process.argv.slice(2);
const main = require(cliMain);
const logEntry = require(path.join(libDir, 'format/log-entry.js'));
const logHeader = require(path.join(libDir, 'format/log-header.js'));
const K = Number(killAtText);
const write = fs.writeSync;
let step = 0;
const hit = (name) => {
  step++;
  if (step === K) { write(2, 'STEP ' + K + ' ' + name + '\\n'); process.kill(process.pid, 'SIGKILL'); }
};
for (const name of ['openSync', 'writeSync', 'closeSync', 'fchmodSync', 'chmodSync', 'chownSync', 'fchownSync', 'mkdirSync', 'linkSync', 'unlinkSync', 'renameSync', 'rmSync', 'ftruncateSync']) {
  const orig = fs[name];
  fs[name] = function (...a) { if (!(name === 'writeSync' && (a[0] === 1 || a[0] === 2))) hit(name + (typeof a[0] === 'string' ? ' ' + path.basename(a[0]) : '')); return orig.apply(this, a); };
}
const encode = logEntry.encodeLogEntry;
logEntry.encodeLogEntry = function (...a) { if (a[2]) hit('log entry ' + a[1] + ' written'); return encode.apply(this, a); };
const L = logHeader.LogHeaderLayout;
const set = L.set;
L.set = function (...a) { hit('log header ' + a[1]); return set.apply(this, a); };
const code = main.runFamfs(argv);
write(1, 'STEPS ' + step + ' EXIT ' + code + '\\n');
process.exitCode = code;
`;

/** Every file (with its size) and directory a mount shows, walked through the mount. */
function shownTree(mpt: string): { files: Map<string, number>; dirs: string[] } {
  const files = new Map<string, number>();
  const dirs: string[] = [];
  const walk = (rel: string) => {
    let names: string[];
    try {
      names = fs.readdirSync(path.join(mpt, rel));
    } catch {
      return;
    }
    for (const name of names) {
      const child = rel === '' ? name : `${rel}/${name}`;
      let st: fs.Stats;
      try {
        st = fs.lstatSync(path.join(mpt, child));
      } catch {
        continue; // listed, then not served: never a file the log does not hold
      }
      if (st.isDirectory()) {
        dirs.push(child);
        walk(child);
      } else files.set(child, st.size);
    }
  };
  walk('');
  return { files, dirs };
}

/** What a mount shows that the log does not validly hold (the log read after the walk: it only grows). */
function notInLog(mpt: string, dev: string): string[] {
  const shown = shownTree(mpt);
  const r = replayOf(dev);
  const out: string[] = [];
  for (const [p, size] of shown.files) {
    if (p === '.meta/.superblock' || p === '.meta/.log') continue;
    const i = r.files.get(p);
    if (i === undefined) out.push(`${p}: shown, not a file in the log`);
    else if (r.entries[i].size !== size) out.push(`${p}: size ${size} shown, ${r.entries[i].size} logged`);
  }
  for (const d of shown.dirs) if (d !== '.meta' && !r.dirs.has(d)) out.push(`${d}/: shown, not a directory in the log`);
  return out;
}

mountSuite('famfs crash consistency')('crash consistency', () => {
  afterEach(() => mounts.cleanup());

  reliabilityTest(
    'crash.following-clients',
    'famfs creat / mkdir -p / cp -r SIGKILLed on the master while two clients follow the log (one with 10 s cache timeouts): no client shows what the log does not hold, none dies, all converge',
    async (c) => {
      const { dev, mpt } = mountedDevice(64 * GiB);
      const clients = [path.join(tmp(), 'client1'), path.join(tmp(), 'client2')];
      const m1 = mounts.mount(dev, clients[0], OTHER_UUID);
      const m2 = mounts.mount(dev, clients[1], 'bbbbbbbb-bbbb-cccc-dddd-eeeeeeeeeeee', ['-t', '10']);
      expect([m1.code, m2.code]).toEqual([0, 0]);
      const clientLogs = clients.map((m) => mounts.daemonLog(m));
      const pids = daemonsFor(tmp());
      expect(pids).toHaveLength(3);
      const src = sourceTree(path.join(tmp(), 'src'), 12, SEED + 3);
      const rnd = prng(SEED + 3);
      const env = mounts.env();
      const ops = ['creat', 'mkdir', 'cp'] as const;
      const argsFor = (op: (typeof ops)[number], i: number): string[] => {
        if (op === 'mkdir') return ['mkdir', '-p', path.join(mpt, `fd${i}/a/b/c`)];
        if (op === 'cp') return ['cp', '-r', src, path.join(mpt, `fcp${i}`)];
        return [
          'creat',
          ...Array.from({ length: 8 }, (_, j) => [
            '-M',
            `${path.join(mpt, `fc${i}-${j}`)},${(j + 1) * 300 * KiB}`,
          ]).flat(),
        ];
      };
      const full: Record<string, number> = {};
      for (const op of ops) full[op] = (await famfsAsync(argsFor(op, 1_000_000 + ops.indexOf(op)), { env })).ms;
      for (let i = 0; i < FOLLOW_RUNS; i++) {
        const op = ops[i % ops.length];
        const r = await famfsAsync(argsFor(op, i), { env, killAfterMs: rnd() * full[op] * 1.1 });
        c.runs++;
        c.count(r.killed ? `killed.${op}` : `completed.${op}`);
        if (!r.killed && r.code !== 0) throw new Error(`run ${i} (${op}, not killed): exit ${r.code}: ${r.stderr}`);
        if (deviceProblems(dev).report.badEntries.some((b: { torn: boolean }) => b.torn)) c.count('tornLastEntries');
        for (const cm of clients) {
          const wrong = notInLog(cm, dev);
          if (wrong.length)
            throw new Error(`run ${i} (${op}): ${path.basename(cm)} shows ${wrong.slice(0, 5).join('; ')}`);
        }
        const dead = pids.filter((p) => !processAlive(p));
        if (dead.length) throw new Error(`run ${i} (${op}): daemons ${dead.join(', ')} died`);
      }
      // Converged: each client shows every logged file and directory, and nothing else, by
      // following alone (no logplay), within a few seconds of the last kill.
      const all = loggedPaths(dev);
      const t0 = Date.now();
      for (const cm of clients) {
        let left: string[] = [];
        while (Date.now() - t0 < 30_000) {
          left = mountViewProblems(cm, all.files, all.dirs);
          if (left.length === 0) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        expect({ client: cm, left: left.slice(0, 5) }).toEqual({ client: cm, left: [] });
        expect(notInLog(cm, dev)).toEqual([]);
        expect(shownTree(cm).files.size).toBe(shownTree(mpt).files.size);
      }
      c.set('convergedMs', Date.now() - t0);
      // A torn entry forced at the end of the log, then a good one after it: each client skips the
      // torn one, says so once in its log, never shows it, and shows the good one.
      const d = lib.Device.open(dev, { writable: true });
      const meta = lib.mapMeta(d);
      const n = lib.LogHeaderLayout.get(meta.log, 'nextIndex');
      const at = lib.entryOffset(n);
      lib.encodeLogEntry(
        lib.fileEntry('torn-victim', 2 * MiB, 0o644, 0, 0, {
          kind: 'simple',
          extents: [{ devIndex: 0, offset: 60 * GiB, len: 2 * MiB }],
        }),
        n,
        meta.log,
        at,
      );
      meta.log.fill(0xee, at + 300, at + 400);
      lib.LogHeaderLayout.set(meta.log, 'nextIndex', n + 1);
      lib.LogHeaderLayout.set(meta.log, 'nextSeqnum', n + 1);
      d.close();
      await new Promise((r) => setTimeout(r, 300));
      createThroughMaster(mpt, 'after-torn', 4096);
      for (const [k, cm] of clients.entries()) {
        const t1 = Date.now();
        while (!fs.existsSync(path.join(cm, 'after-torn')) && Date.now() - t1 < 30_000)
          await new Promise((r) => setTimeout(r, 50));
        expect(fs.statSync(path.join(cm, 'after-torn')).size).toBe(4096);
        expect(fs.existsSync(path.join(cm, 'torn-victim'))).toBe(false);
        expect(notInLog(cm, dev)).toEqual([]);
        const lines = fs
          .readFileSync(clientLogs[k], 'utf8')
          .split('\n')
          .filter((l) => l.includes(`log entry ${n}:`));
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatch(/CRC mismatch/);
      }
      expect(pids.filter((p) => !processAlive(p))).toEqual([]);
      c.set('finalLog', { entries: all.next, files: all.files.size, dirs: all.dirs.length });
      c.set('seed', SEED + 3);
    },
    600_000,
  );

  reliabilityTest(
    'crash.cli-sigkill',
    'famfs creat / mkdir -p / cp -r processes SIGKILLed at random points on a mounted famfs',
    async (c) => {
      const { dev, mpt } = mountedDevice(64 * GiB);
      const src = sourceTree(path.join(tmp(), 'src'), 12, SEED);
      const rnd = prng(SEED);
      const env = mounts.env();
      type Op = 'creat' | 'creat-r' | 'mkdir' | 'cp';
      const argsFor = (op: Op, i: number): { args: string[]; entries: number } => {
        if (op === 'mkdir') return { args: ['mkdir', '-p', path.join(mpt, `d${i}/a/b/c/d/e/f`)], entries: 7 };
        if (op === 'cp') return { args: ['cp', '-r', src, path.join(mpt, `cp${i}`)], entries: 14 };
        const small = op === 'creat-r';
        const files = Array.from({ length: 12 }, (_, j) => [
          '-M',
          `${path.join(mpt, `c${i}-${j}`)},${small ? 1 + ((i * 7 + j * 13) % 256) * KiB : ((j % 4) + 1) * 700 * KiB}`,
        ]).flat();
        return { args: ['creat', ...(small ? ['-r'] : []), ...files], entries: 12 };
      };
      // Calibration: how long each command takes unkilled, and how long a famfs process takes to
      // start doing anything (kills before that point are cheap no-ops, so most land after it).
      const ops: Op[] = ['creat', 'creat-r', 'mkdir', 'cp'];
      const boot = (await famfsAsync(['--version'], { env })).ms;
      const full: Record<string, number> = {};
      for (const op of ops) {
        const r = await famfsAsync(argsFor(op, 1_000_000 + ops.indexOf(op)).args, { env });
        if (r.code !== 0) throw new Error(`calibration ${op}: exit ${r.code}: ${r.stderr}`);
        full[op] = r.ms;
      }
      c.set('bootMs', Math.round(boot));
      c.set('commandMs', Object.fromEntries(Object.entries(full).map(([k, v]) => [k, Math.round(v)])));
      const state = { from: replayOf(dev).header.nextIndex };
      const outcomes = { nothingLogged: 0, partlyLogged: 0, allLogged: 0 };
      const delays: number[] = [];
      for (let i = 0; i < CLI_RUNS; i++) {
        const op = ops[i % ops.length];
        const { args, entries } = argsFor(op, i);
        // A quarter of the kills anywhere in [0, T]; the rest in the last fifth of T, where the
        // command does its work (the rest of T is Node starting up and loading modules).
        const lo = i % 4 === 0 ? 0 : Math.max(boot * 0.9, full[op] * 0.8);
        const delay = lo + rnd() * (full[op] * 1.1 - lo);
        delays.push(delay);
        const before = replayOf(dev).header.nextIndex;
        const r = await famfsAsync(args, { env, killAfterMs: delay });
        c.runs++;
        if (r.killed) c.count(`killed.${op}`);
        else {
          c.count(`completed.${op}`);
          if (r.code !== 0) throw new Error(`run ${i} (${op}, not killed): exit ${r.code}: ${r.stderr}`);
        }
        // Where the kill landed, as the log tells: before any append, in the middle, or at the end.
        const logged = replayOf(dev).header.nextIndex - before;
        if (r.killed) {
          if (logged === 0) outcomes.nothingLogged++;
          else if (logged < entries) outcomes.partlyLogged++;
          else outcomes.allLogged++;
        }
        const problems = afterKill(c, dev, mpt, state, `next${i}`, i % 25 === 0);
        if (problems.length)
          throw new Error(
            `run ${i} (${op}, kill at ${delay.toFixed(1)} ms, seed ${SEED}): ${problems.slice(0, 5).join('; ')}`,
          );
      }
      c.set('logEffectOfKilledRuns', outcomes);
      c.set('killDelayMs', {
        p10: Math.round(quantile(delays, 0.1)),
        p50: Math.round(quantile(delays, 0.5)),
        p90: Math.round(quantile(delays, 0.9)),
      });
      c.set('seed', SEED);
      // The whole log, after a remount (a fresh shadow tree from the log alone) and an unmounted fsck.
      expect(famfs(['umount', mpt], env).code).toBe(0);
      mounts.forget();
      const fsck = famfs(['fsck', dev]);
      expect(fsck.code).toBe(0);
      expect(mounts.mount(dev, mpt).code).toBe(0);
      const all = loggedPaths(dev);
      expect(mountViewProblems(mpt, all.files, all.dirs)).toEqual([]);
      c.set('finalLog', { entries: all.next, files: all.files.size, dirs: all.dirs.length });
      // Sanity: some kills landed after a command had started to log, not all before it. (A
      // command checks and reserves its whole request first and then logs it in one burst, so a
      // kill between two of its appends is rare; logEffectOfKilledRuns records how often.)
      expect(outcomes.partlyLogged + outcomes.allLogged).toBeGreaterThan(0);
    },
    600_000,
  );

  reliabilityTest(
    'crash.library-sigkill',
    'processes appending through the library (FamfsMaster on the mount, bare LogSession on the device) SIGKILLed mid-loop',
    async (c) => {
      const { dev, mpt } = mountedDevice(64 * GiB);
      const child = path.join(tmp(), 'writer.js');
      fs.writeFileSync(child, CHILD);
      const rnd = prng(SEED + 1);
      const sessions = 5;
      const loopMs: Record<string, number> = {};
      for (const mode of ['master', 'session']) {
        const r = await runNode([
          child,
          LIB_PATH,
          mode,
          mode === 'master' ? mpt : dev,
          '1',
          String(sessions),
          `cal-${mode}`,
        ]);
        const m = /DONE (\d+) ([\d.]+)/.exec(r.stdout);
        if (!m) throw new Error(`calibration ${mode}: ${r.stderr}`);
        loopMs[mode] = Number(m[2]);
      }
      c.set('loopMs', loopMs);
      const state = { from: replayOf(dev).header.nextIndex };
      for (let i = 0; i < LIB_RUNS; i++) {
        const mode = i % 2 === 0 ? 'master' : 'session';
        const delay = rnd() * loopMs[mode] * 1.2;
        const r = await runNode(
          [child, LIB_PATH, mode, mode === 'master' ? mpt : dev, String(SEED + i), String(sessions), `k${i}`],
          { killAfterLine: 'READY', killAfterMs: delay },
        );
        c.runs++;
        c.count(r.killed ? `killed.${mode}` : `completed.${mode}`);
        if (!r.killed && r.code !== 0) throw new Error(`run ${i} (${mode}): exit ${r.code}: ${r.stderr}`);
        const problems = afterKill(
          c,
          dev,
          mpt,
          state,
          `lnext${i}`,
          false,
          mode === 'session' ? 'bareSessionEntriesAwaitingLogplay' : 'loggedButNotYetShadowed',
        );
        if (problems.length)
          throw new Error(
            `run ${i} (${mode}, kill ${delay.toFixed(2)} ms after READY, seed ${SEED + i}): ${problems.slice(0, 5).join('; ')}`,
          );
      }
      c.set('seed', SEED + 1);
      expect(famfs(['umount', mpt], mounts.env()).code).toBe(0);
      mounts.forget();
      expect(famfs(['fsck', dev]).code).toBe(0);
      c.set('finalLog', { entries: replayOf(dev).header.nextIndex });
    },
    600_000,
  );

  reliabilityTest(
    'crash.every-step',
    'famfs creat -M / mkdir -p / cp -r killed before each of their state-changing steps in turn (every fs write and log append stage)',
    async (c) => {
      const { dev, mpt } = mountedDevice(8 * GiB);
      const env = mounts.env();
      const stepper = path.join(tmp(), 'stepper.js');
      fs.writeFileSync(stepper, STEPPER);
      const cliMain = path.resolve(__dirname, '../dist/main.js');
      const libDir = LIB_DIST;
      const src = sourceTree(path.join(tmp(), 'src'), 3, SEED);
      const commands: Record<string, (i: number) => string[]> = {
        creat: (i) => ['creat', '-M', `${path.join(mpt, `s${i}-a`)},8k`, '-M', `${path.join(mpt, `s${i}-b`)},3m`],
        mkdir: (i) => ['mkdir', '-p', path.join(mpt, `s${i}/x/y`)],
        cp: (i) => ['cp', '-r', src, path.join(mpt, `s${i}-cp`)],
      };
      const state = { from: replayOf(dev).header.nextIndex };
      const points: Record<string, number> = {};
      const sequences: Record<string, string[]> = {};
      let run = 0;
      for (const [name, argsOf] of Object.entries(commands)) {
        for (let k = 1; ; k++) {
          const i = run++;
          const r = await runNode([stepper, cliMain, libDir, String(k), ...argsOf(i)], { env });
          c.runs++;
          const where = /STEP \d+ (.*)/.exec(r.stderr)?.[1] ?? '(completed)';
          (sequences[name] ??= []).push(where.replace(/ (\d+) written$/, ' written').replace(/^(\w+Sync) .*/, '$1'));
          const problems = afterKill(c, dev, mpt, state, `snext${i}`, false);
          if (problems.length)
            throw new Error(`${name} killed before step ${k} (${where}): ${problems.slice(0, 5).join('; ')}`);
          if (r.signal !== 'SIGKILL') {
            if (r.code !== 0) throw new Error(`${name} with no kill: exit ${r.code}: ${r.stderr}`);
            points[name] = k - 1;
            break;
          }
          if (k > 500) throw new Error(`${name}: more than 500 steps`);
        }
      }
      c.set('crashPointsPerCommand', points);
      c.set('creatSteps', sequences.creat);
    },
    300_000,
  );

  reliabilityTest(
    'crash.forced-torn-entry',
    'torn and half-written log tails forced byte by byte: replay reports a torn last entry and ignores it, the next create succeeds',
    (c) => {
      const variants: Array<{
        name: string;
        inject: (slot: Buffer, rnd: () => number) => void;
        bumpHeader: boolean;
        seqOnly?: boolean;
      }> = [
        { name: 'body byte flipped', bumpHeader: true, inject: (s, rnd) => (s[8 + Math.floor(rnd() * 500)] ^= 0x5a) },
        { name: 'second half never written', bumpHeader: true, inject: (s) => s.fill(0, 272) },
        { name: 'only the first cache line written', bumpHeader: true, inject: (s) => s.fill(0, 64) },
        { name: 'slot all zeros', bumpHeader: true, inject: (s) => s.fill(0) },
        {
          name: 'slot random bytes',
          bumpHeader: true,
          inject: (s, rnd) => {
            for (let k = 0; k < s.length; k++) s[k] = Math.floor(rnd() * 256);
          },
        },
        { name: 'crc field zeroed', bumpHeader: true, inject: (s) => s.fill(0, 536, 544) },
        {
          name: 'partial entry past next_index (header not moved)',
          bumpHeader: false,
          inject: (s, rnd) => s.fill(Math.floor(rnd() * 255) + 1, 0, 200),
        },
        { name: 'next_seqnum moved, next_index not', bumpHeader: false, seqOnly: true, inject: () => undefined },
      ];
      const rounds = 3;
      for (let round = 0; round < rounds; round++) {
        for (const [vi, v] of variants.entries()) {
          const rnd = prng(SEED + round * 100 + vi);
          const dev = sparseFile(tmp(), 4 * GiB, `torn-${round}-${vi}.img`);
          lib.mkfs(dev, { systemUuid: MASTER, minDeviceSize: 0 });
          const s = lib.LogSession.open(dev, { systemUuid: MASTER });
          s.mkdir('dir');
          for (const f of ['dir/a', 'b', 'c']) s.createFile(f, 3 * MiB);
          s.close();
          // The entry an append was writing: a real encoded file entry in slot n, then damaged.
          const d = lib.Device.open(dev, { writable: true });
          const meta = lib.mapMeta(d);
          const n = lib.LogHeaderLayout.get(meta.log, 'nextIndex');
          const at = lib.entryOffset(n);
          lib.encodeLogEntry(
            lib.fileEntry('victim', 2 * MiB, 0o644, 0, 0, {
              kind: 'simple',
              extents: [{ devIndex: 0, offset: 2 * GiB, len: 2 * MiB }],
            }),
            n,
            meta.log,
            at,
          );
          v.inject(meta.log.subarray(at, at + lib.LOG_ENTRY_SIZE), rnd);
          if (v.bumpHeader) lib.LogHeaderLayout.set(meta.log, 'nextIndex', n + 1);
          if (v.bumpHeader || v.seqOnly) lib.LogHeaderLayout.set(meta.log, 'nextSeqnum', n + 1);
          d.flush(meta.log, 0, meta.log.length);
          d.close();

          const where = `${v.name} (round ${round})`;
          const r1 = lib.fsckDevice(dev, { systemUuid: MASTER });
          expect({ where, collisions: r1.collisionCount, files: r1.files }).toEqual({ where, collisions: 0, files: 3 });
          if (v.bumpHeader) {
            expect({
              where,
              bad: r1.badEntries.map((b: { index: number; torn: boolean }) => [b.index, b.torn]),
            }).toEqual({ where, bad: [[n, true]] });
            c.count('tornReported');
          } else {
            expect({ where, bad: r1.badEntries }).toEqual({ where, bad: [] });
          }
          // Replay goes on past it: every other entry is played into a shadow tree.
          const sh = path.join(tmp(), `sh-${round}-${vi}`);
          fs.mkdirSync(sh);
          const lp = lib.logplayDevice(dev, sh, { systemUuid: MASTER });
          expect({ where, newFiles: lp.newFiles, newDirs: lp.newDirs, problems: lp.problems }).toEqual({
            where,
            newFiles: 3,
            newDirs: 1,
            problems: [],
          });
          expect(fs.existsSync(path.join(sh, 'root', 'victim'))).toBe(false);
          if (round === 0) {
            // The commands say so too (once per variant: they are slower).
            const fsckText = famfs(['fsck', dev]);
            expect(fsckText.code).toBe(0);
            if (v.bumpHeader) expect(fsckText.stdout).toMatch(/torn: the last append did not complete/);
            const sh2 = path.join(tmp(), `sh2-${vi}`);
            fs.mkdirSync(sh2);
            const lpc = famfs(['logplay', '--daxdev', dev, '--shadow', sh2]);
            if (v.bumpHeader) expect(lpc.stderr).toMatch(/torn last entry, ignored/);
            expect(lpc.stdout).toMatch(/3 new files; 1 new directories/);
          }
          // The next create succeeds, in the next free slot, and never takes space a valid entry holds.
          const s2 = lib.LogSession.open(dev, { systemUuid: MASTER });
          const e = s2.createFile('after', 2 * MiB);
          expect(s2.nextIndex).toBe(v.bumpHeader ? n + 2 : n + 1);
          s2.close();
          const r2 = lib.fsckDevice(dev, { systemUuid: MASTER });
          expect({ where, collisions: r2.collisionCount, files: r2.files, conflicts: r2.treeConflicts }).toEqual({
            where,
            collisions: 0,
            files: 4,
            conflicts: [],
          });
          // The torn entry stays where it is: no longer the last, it is reported as a bad entry.
          expect(r2.badEntries.map((b: { index: number; torn: boolean }) => [b.index, b.torn])).toEqual(
            v.bumpHeader ? [[n, false]] : [],
          );
          expect(r2.log.nextSeqnum).toBe(r2.log.entriesUsed);
          expect(e.fmap.extents[0].len).toBe(2 * MiB);
          c.runs++;
          fs.rmSync(dev);
        }
      }
      c.set(
        'variants',
        variants.map((v) => v.name),
      );
      c.set('rounds', rounds);
      // And on a mount: a torn tail does not stop famfs mount, and the next creat through it works.
      const dev = sparseFile(tmp(), 4 * GiB, 'torn-mounted.img');
      lib.mkfs(dev, { systemUuid: MASTER, minDeviceSize: 0 });
      const s = lib.LogSession.open(dev, { systemUuid: MASTER });
      s.createFile('kept', MiB);
      s.close();
      const d = lib.Device.open(dev, { writable: true });
      const meta = lib.mapMeta(d);
      meta.log.fill(0xee, lib.entryOffset(1), lib.entryOffset(1) + 300);
      lib.LogHeaderLayout.set(meta.log, 'nextIndex', 2);
      lib.LogHeaderLayout.set(meta.log, 'nextSeqnum', 2);
      d.flush(meta.log, 0, meta.log.length);
      d.close();
      const mpt = path.join(tmp(), 'mnt');
      const m = mounts.mount(dev, mpt);
      expect(m.code).toBe(0);
      expect(fs.statSync(path.join(mpt, 'kept')).size).toBe(MiB);
      expect(famfs(['creat', '-s', '1m', path.join(mpt, 'new')], mounts.env()).code).toBe(0);
      expect(fs.statSync(path.join(mpt, 'new')).size).toBe(MiB);
      const rep = lib.fsckDevice(dev, { systemUuid: MASTER, allowMounted: true });
      expect([
        rep.collisionCount,
        rep.files,
        rep.badEntries.map((b: { index: number; torn: boolean }) => [b.index, b.torn]),
      ]).toEqual([0, 2, [[1, false]]]);
      c.runs++;
    },
    300_000,
  );

  reliabilityTest(
    'full.device-cp',
    'cp -r into a nearly full device: refused whole naming the cause, nothing written; the part that fits copies whole, fsck clean',
    (c) => {
      const { dev, mpt } = mountedDevice(1 * GiB);
      const env = mounts.env();
      // Leave 24 MiB (12 allocation units) free.
      const used = lib.fsckDevice(dev, { systemUuid: MASTER, allowMounted: true }).capacity.freeBytes;
      expect(famfs(['creat', '-s', String(used - 24 * MiB), path.join(mpt, 'filler')], env).code).toBe(0);
      const src = path.join(tmp(), 'big-src');
      fs.mkdirSync(src);
      const rnd = prng(SEED + 7);
      for (let i = 0; i < 20; i++) {
        const b = Buffer.alloc(MiB + 4096 * i);
        for (let k = 0; k < b.length; k += 512) b[k] = Math.floor(rnd() * 256);
        fs.writeFileSync(path.join(src, `g${String(i).padStart(2, '0')}`), b);
      }
      const untouched = deviceProblems(dev, false).report.log.entriesUsed;
      const r = famfs(['cp', '-r', src, path.join(mpt, 'dst')], env);
      c.runs++;
      expect(r.code).toBe(28);
      expect(r.stderr).toMatch(/no contiguous free space.*; nothing was copied/);
      expect(deviceProblems(dev, false).report.log.entriesUsed).toBe(untouched);
      expect(fs.existsSync(path.join(mpt, 'dst'))).toBe(false);
      // The twelve that fit copy whole.
      const part = path.join(tmp(), 'part');
      fs.mkdirSync(part);
      for (const name of fs.readdirSync(src).sort().slice(0, 12))
        fs.copyFileSync(path.join(src, name), path.join(part, name));
      expect(famfs(['cp', '-r', part, path.join(mpt, 'dst')], env).code).toBe(0);
      c.runs++;
      const logged = loggedPaths(dev);
      const copied = [...logged.files.keys()].filter((p) => p.startsWith('dst/')).sort();
      expect(copied.length).toBe(12);
      for (const p of copied)
        expect(fs.readFileSync(path.join(mpt, p)).equals(fs.readFileSync(path.join(src, path.basename(p))))).toBe(true);
      const shown = fs.readdirSync(path.join(mpt, 'dst')).sort();
      expect(shown).toEqual(copied.map((p) => path.basename(p)));
      expect(deviceProblems(dev, false).problems).toEqual([]);
      expect(lib.fsckDevice(dev, { systemUuid: MASTER, allowMounted: true }).capacity.freeBytes).toBe(0);
      // Directories still fit (they take no space); and the whole copy is refused again, writing nothing.
      expect(famfs(['mkdir', path.join(mpt, 'still-fits')], env).code).toBe(0);
      const full = deviceProblems(dev, false).report.log.entriesUsed;
      const again = famfs(['cp', '-r', `${src}/.`, path.join(mpt, 'dst')], env);
      c.runs++;
      expect(again.code).toBe(28);
      expect(deviceProblems(dev, false).problems).toEqual([]);
      expect(deviceProblems(dev, false).report.log.entriesUsed).toBe(full);
      expect(loggedPaths(dev).files.size).toBe(logged.files.size);
      c.set('copiedWhenItFits', copied.length);
      c.set(
        'refusal',
        r.stderr.split('\n').find((l) => /no contiguous free space/.test(l)),
      );
    },
  );

  reliabilityTest(
    'full.log-mkdir-creat-cp',
    'filling the log with mkdir -p, creat -M and cp -r: a request that does not fit is refused whole, one that fits is complete and visible, fsck clean',
    (c) => {
      const { dev, mpt } = mountedDevice(8 * GiB);
      const env = mounts.env();
      const s = lib.LogSession.open(dev, { systemUuid: MASTER });
      const total = s.lastIndex + 1;
      for (let i = s.nextIndex; i < total - 3; i++) s.mkdir(`z${i}`);
      s.close();
      // mkdir -p of five levels with three slots left: refused whole, before the first entry.
      const mk = famfs(['mkdir', '-p', path.join(mpt, 'p/q/r/s/t')], env);
      expect(mk.code).toBe(1);
      expect(mk.stderr).toMatch(/the log has 3 free entries, 5 are needed/);
      c.set('refusal', mk.stderr.trim());
      expect(fs.existsSync(path.join(mpt, 'p'))).toBe(false);
      c.runs++;
      // Three levels fit exactly.
      expect(famfs(['mkdir', '-p', path.join(mpt, 'p/q/r')], env).code).toBe(0);
      expect(fs.statSync(path.join(mpt, 'p/q/r')).isDirectory()).toBe(true);
      c.runs++;
      const cr = famfs(['creat', '-M', `${path.join(mpt, 'x1')},1m`, '-M', `${path.join(mpt, 'x2')},1m`], env);
      expect(cr.code).toBe(2);
      expect(cr.stderr).toMatch(/the log is full/);
      c.runs++;
      const src = sourceTree(path.join(tmp(), 'src'), 3, SEED);
      const cp = famfs(['cp', '-r', src, path.join(mpt, 'p/cp')], env);
      expect(cp.code).not.toBe(0);
      expect(cp.stderr).toMatch(/the log is full/);
      c.runs++;
      const after = deviceProblems(dev, false);
      expect(after.problems).toEqual([]);
      expect(after.report.log.entriesUsed).toBe(total);
      const all = loggedPaths(dev);
      expect(
        mountViewProblems(mpt, all.files, new Array<string>().concat(all.dirs.filter((d) => !d.startsWith('z')))),
      ).toEqual([]);
      expect(famfs(['umount', mpt], env).code).toBe(0);
      mounts.forget();
      expect(famfs(['fsck', dev]).code).toBe(0);
      expect(mounts.mount(dev, mpt).code).toBe(0);
      expect(fs.statSync(path.join(mpt, 'p/q/r')).isDirectory()).toBe(true);
      c.set('logSlots', total);
    },
  );
});
