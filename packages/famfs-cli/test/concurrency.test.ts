/**
 * Concurrency on the master: many processes appending at once (creat, cp, mkdir mixed, racing
 * on the same names), library writers opening and closing sessions in a tight loop, a second
 * master-role mount of the same device, a process holding the log lock, and a race for the last
 * free space. Never a double allocation (fsck, and the extents compared directly), never a
 * duplicate path, every process's result visible. Each case prints a RELIABILITY line.
 */
import * as fs from 'fs';
import * as path from 'path';
import { mountSuite, TestMounts } from './mounts';
import { famfs, sparseFile, useTempDir } from './run';
import {
  deviceProblems,
  famfsAsync,
  GiB,
  KiB,
  lib,
  LIB_PATH,
  loggedPaths,
  MASTER,
  MiB,
  mountViewProblems,
  ProcResult,
  reliabilityTest,
  runNode,
  sourceTree,
} from './reliability-report';

const ROUNDS = Number(process.env.FAMFS_CONCURRENCY_ROUNDS ?? 4);

const tmp = useTempDir();
const mounts = new TestMounts(tmp);

function mountedDevice(size: number, name = 'dev.img', mpt = 'mnt'): { dev: string; mpt: string } {
  const dev = sparseFile(tmp(), size, name);
  lib.mkfs(dev, { systemUuid: MASTER, minDeviceSize: 0 });
  const m = path.join(tmp(), mpt);
  const r = mounts.mount(dev, m);
  if (r.code !== 0) throw new Error(`mount failed: ${r.stderr}`);
  return { dev, mpt: m };
}

const exitsOf = (rs: ProcResult[]) =>
  rs.map((r) => (r.code === 0 ? 0 : `${r.code}: ${r.stderr.trim().split('\n')[0]}`));

/** A library writer: `cycles` times open a session, log a file (and every 5th time a directory), close. */
const HAMMER = `
const lib = require(process.argv[2]);
const [dev, tag, cyclesText] = process.argv.slice(3);
for (let i = 0; i < Number(cyclesText); i++) {
  const s = lib.LogSession.open(dev);
  try {
    s.createFile(tag + '-' + i, 4096 + ((i * 7919) % 5) * 1024 * 1024);
    if (i % 5 === 0) s.mkdir(tag + '-d' + i);
  } finally { s.close(); }
}
`;

/** Holds the log lock (an open LogSession) for a while, then logs a file and lets go. */
const HOLDER = `
const lib = require(process.argv[2]);
const [dev, holdText] = process.argv.slice(3);
const s = lib.LogSession.open(dev);
process.stdout.write('LOCKED ' + Date.now() + '\\n');
const until = Date.now() + Number(holdText);
while (Date.now() < until) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
s.createFile('held-by-holder', 1 << 20);
process.stdout.write('RELEASED ' + Date.now() + '\\n');
s.close();
`;

mountSuite('famfs concurrency')('concurrent writers on the master', () => {
  afterEach(() => mounts.cleanup());

  reliabilityTest(
    'concurrency.mixed-cli',
    'rounds of 10 concurrent famfs processes (3 creat -M, 3 cp -r, 4 mkdir -p) racing on shared names too',
    async (c) => {
      const { dev, mpt } = mountedDevice(16 * GiB);
      const env = mounts.env();
      const src = sourceTree(path.join(tmp(), 'src'), 12, 99);
      const srcFiles = (dir: string, rel = ''): string[] =>
        fs
          .readdirSync(path.join(dir, rel), { withFileTypes: true })
          .flatMap((d) => (d.isDirectory() ? srcFiles(dir, path.join(rel, d.name)) : [path.join(rel, d.name)]));
      const sources = srcFiles(src);
      for (let round = 0; round < ROUNDS; round++) {
        const jobs: Promise<ProcResult>[] = [];
        for (let p = 0; p < 3; p++) {
          const files = Array.from({ length: 15 }, (_, j) => [
            '-M',
            `${path.join(mpt, `r${round}p${p}-f${j}`)},${(((p + j) % 6) + 1) * 300 * KiB}`,
          ]).flat();
          // All three also create the same file (same size): one logs it, the others find it.
          jobs.push(
            famfsAsync(
              ['creat', ...(p === 0 ? ['-r'] : []), ...files, '-M', `${path.join(mpt, `shared-r${round}`)},1m`],
              { env },
            ),
          );
        }
        for (let p = 3; p < 6; p++)
          jobs.push(famfsAsync(['cp', '-r', src, path.join(mpt, `r${round}p${p}-cp`)], { env }));
        for (let p = 6; p < 8; p++)
          jobs.push(famfsAsync(['mkdir', '-p', path.join(mpt, `shared-dir-r${round}/a/b`)], { env }));
        for (let p = 8; p < 10; p++)
          jobs.push(famfsAsync(['mkdir', '-p', path.join(mpt, `r${round}p${p}/x/y/z`)], { env }));
        const results = await Promise.all(jobs);
        c.runs += results.length;
        expect({ round, exits: exitsOf(results) }).toEqual({ round, exits: Array(10).fill(0) });
        const { problems, report } = deviceProblems(dev, false);
        expect({ round, problems }).toEqual({ round, problems: [] });
        const all = loggedPaths(dev);
        expect(mountViewProblems(mpt, all.files, all.dirs)).toEqual([]);
        // Exactly what the processes asked for, each path once.
        const perRound = 3 * 15 + 1 + 3 * sources.length;
        expect({ round, files: report.files }).toEqual({ round, files: (round + 1) * perRound });
        expect({ round, dirs: report.directories }).toEqual({ round, dirs: (round + 1) * (3 * 2 + 3 + 2 * 4) });
        for (let p = 3; p < 6; p++) {
          for (const f of sources) {
            const same = fs
              .readFileSync(path.join(mpt, `r${round}p${p}-cp`, f))
              .equals(fs.readFileSync(path.join(src, f)));
            expect({ f, same }).toEqual({ f, same: true });
          }
        }
      }
      c.set('rounds', ROUNDS);
      c.set('filesLogged', loggedPaths(dev).files.size);
    },
    300_000,
  );

  reliabilityTest(
    'concurrency.library-hammer',
    '6 processes each opening a log session, appending and closing 100 times, all at once',
    async (c) => {
      const dev = sparseFile(tmp(), 16 * GiB);
      lib.mkfs(dev, { systemUuid: MASTER, minDeviceSize: 0 });
      const script = path.join(tmp(), 'hammer.js');
      fs.writeFileSync(script, HAMMER);
      const n = 6;
      const cycles = 100;
      const results = await Promise.all(
        Array.from({ length: n }, (_, k) => runNode([script, LIB_PATH, dev, `h${k}`, String(cycles)])),
      );
      c.runs = n * cycles;
      expect(exitsOf(results)).toEqual(Array(n).fill(0));
      const { problems, report } = deviceProblems(dev, false);
      expect(problems).toEqual([]);
      expect([report.files, report.directories]).toEqual([n * cycles, n * (cycles / 5)]);
      c.set('appends', report.log.entriesUsed);
      c.set('processes', n);
    },
  );

  reliabilityTest(
    'concurrency.second-master',
    'a second master-role mount of the same device is refused (by path, symlink or hard link); creators on the mount are serialized by the log lock',
    async (c) => {
      const { dev, mpt } = mountedDevice(16 * GiB);
      const env = mounts.env();
      // The same device path, a symlink to it, or a hard link (the same inode): all refused.
      const m2 = path.join(tmp(), 'm2');
      fs.symlinkSync(dev, path.join(tmp(), 'link.img'));
      fs.linkSync(dev, path.join(tmp(), 'hard.img'));
      for (const p of [dev, path.join(tmp(), 'link.img'), path.join(tmp(), 'hard.img')]) {
        const r = mounts.mount(p, m2);
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(/already mounted at .* by this host/);
        c.count('refused');
      }
      // Creators racing on the one master mount never share space: each takes the device lock.
      const targets = [mpt];
      const jobs: Promise<ProcResult>[] = [];
      for (const [t, m] of targets.entries()) {
        for (let p = 0; p < 4; p++) {
          const files = Array.from({ length: 25 }, (_, j) => [
            '-M',
            `${path.join(m, `m${t}p${p}-${j}`)},${((j % 3) + 1) * MiB}`,
          ]).flat();
          jobs.push(famfsAsync(['creat', ...files], { env }));
        }
      }
      const results = await Promise.all(jobs);
      c.runs += results.length;
      expect(exitsOf(results)).toEqual(Array(results.length).fill(0));
      expect(deviceProblems(dev, false).problems).toEqual([]);
      const all = loggedPaths(dev);
      expect(all.files.size).toBe(targets.length * 100);
      for (const m of targets) {
        expect(famfs(['logplay', m], env).code).toBe(0);
        expect(mountViewProblems(m, all.files, all.dirs)).toEqual([]);
      }
      // A process holding the log lock: a famfs creat started meanwhile waits for it, then succeeds.
      const holder = path.join(tmp(), 'holder.js');
      fs.writeFileSync(holder, HOLDER);
      const hold = 1500;
      let creat: Promise<ProcResult> | undefined;
      let creatStarted = 0;
      const held = runNode([holder, LIB_PATH, dev, String(hold)], {});
      // Start the creat once the holder has the lock.
      for (let i = 0; i < 500 && !creat; i++) {
        await new Promise((r) => setTimeout(r, 10));
        if (lockHeld(dev)) {
          creatStarted = Date.now();
          creat = famfsAsync(['creat', '-s', '1m', path.join(mpt, 'while-locked')], { env });
        }
      }
      expect(creat).toBeDefined();
      const [h, cr] = await Promise.all([held, creat!]);
      const released = Number(/RELEASED (\d+)/.exec(h.stdout)?.[1]);
      const creatEnded = creatStarted + cr.ms;
      expect(cr.code).toBe(0);
      expect(creatEnded).toBeGreaterThanOrEqual(released - 20); // it finished only once the holder let go
      c.set('creatWaitedForLockMs', Math.round(cr.ms));
      c.runs++;
      expect(deviceProblems(dev, false).problems).toEqual([]);
      expect(fs.statSync(path.join(mpt, 'while-locked')).size).toBe(MiB);
      const paths = loggedPaths(dev).files;
      expect(paths.has('held-by-holder') && paths.has('while-locked')).toBe(true);
    },
    300_000,
  );

  reliabilityTest(
    'concurrency.last-space-race',
    '8 processes racing for the last 40 allocation units: exactly 40 files made, every refusal names the cause, fsck clean',
    async (c) => {
      const { dev, mpt } = mountedDevice(1 * GiB);
      const env = mounts.env();
      const free = lib.fsckDevice(dev, { systemUuid: MASTER, allowMounted: true }).capacity.freeBytes;
      expect(famfs(['creat', '-s', String(free - 80 * MiB), path.join(mpt, 'filler')], env).code).toBe(0);
      const jobs = Array.from({ length: 8 }, (_, p) =>
        famfsAsync(
          ['creat', ...Array.from({ length: 10 }, (_, j) => ['-M', `${path.join(mpt, `race${p}-${j}`)},2m`]).flat()],
          { env },
        ),
      );
      const results = await Promise.all(jobs);
      c.runs = results.length;
      const failures = results.reduce((n, r) => n + (r.code ?? 0), 0);
      expect(failures).toBe(40);
      for (const r of results) {
        const lines = r.stderr.split('\n').filter(Boolean);
        expect(lines.length).toBe(r.code);
        for (const l of lines) expect(l).toMatch(/no contiguous free space/);
      }
      const { problems, report } = deviceProblems(dev, false);
      expect(problems).toEqual([]);
      expect(report.files).toBe(41);
      expect(report.capacity.freeBytes).toBe(0);
      const all = loggedPaths(dev);
      expect(mountViewProblems(mpt, all.files, all.dirs)).toEqual([]);
      c.set('created', 40);
      c.set('refused', failures);
    },
  );
});

/** Whether some process holds the device's log lock (a non-blocking flock attempt fails). */
function lockHeld(dev: string): boolean {
  const d = lib.Device.open(dev, { writable: false });
  try {
    const native = require('../../native/dist/index.js');
    try {
      native.flock(d.fd, native.LOCK_EX | native.LOCK_NB);
      native.flock(d.fd, native.LOCK_UN);
      return false;
    } catch {
      return true;
    }
  } finally {
    d.close();
  }
}
