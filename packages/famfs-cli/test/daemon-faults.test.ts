/**
 * famfs_fused under faults: a storm of 16 parallel reader processes (with a writer adding files
 * meanwhile) gets only correct answers; SIGKILL of the daemon in the middle of such a storm
 * leaves a mount that famfs umount cleans, every time; SIGTERM unmounts cleanly (idle, under
 * load, and with a file held open); the kernel emulator's malformed and random requests, sent to
 * the daemon's session over the same shadow tree and device a live mount serves, never stop it.
 * Each case prints a RELIABILITY line.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { daemonsFor, fuseMountsUnder, mountSuite, TestMounts } from './mounts';
import { famfs, sparseFile, useTempDir } from './run';
import {
  CaseContext,
  famfsAsync,
  GiB,
  KiB,
  lib,
  MASTER,
  MiB,
  ProcResult,
  prng,
  reliabilityTest,
  runNode,
} from './reliability-report';
import { emulateMount, fuzzSession } from '../../../kernel/emulator/src';

const READERS = 16;
const STORM_OPS = Number(process.env.FAMFS_STORM_OPS ?? 300);
const KILL_CYCLES = Number(process.env.FAMFS_DAEMON_KILL_CYCLES ?? 4);

const tmp = useTempDir();
const mounts = new TestMounts(tmp);

interface Manifest {
  files: Array<{ rel: string; size: number; offset: number }>;
  dirs: Record<string, string[]>;
}

/**
 * A device with 24 files of random bytes (sizes 1 byte to 6 MiB) in three directories, and the
 * manifest the readers check against (file -> device offset, directory -> names).
 */
function populatedDevice(size = 16 * GiB): { dev: string; manifest: Manifest; manifestFile: string } {
  const dev = sparseFile(tmp(), size);
  lib.mkfs(dev, { systemUuid: MASTER, minDeviceSize: 0 });
  const rnd = prng(4242);
  const s = lib.LogSession.open(dev, { systemUuid: MASTER });
  const manifest: Manifest = { files: [], dirs: { '': [] } };
  try {
    for (const d of ['d0', 'd1', 'd1/deep']) {
      s.mkdir(d);
      manifest.dirs[d] = [];
      const parent = d.includes('/') ? d.slice(0, d.lastIndexOf('/')) : '';
      manifest.dirs[parent].push(path.basename(d));
    }
    for (let i = 0; i < 24; i++) {
      const dir = ['', 'd0', 'd1', 'd1/deep'][i % 4];
      const rel = dir ? `${dir}/f${i}` : `f${i}`;
      const size = i === 0 ? 1 : Math.floor(rnd() * 6 * MiB) + 1;
      const e = s.createFile(rel, size);
      manifest.files.push({ rel, size, offset: e.fmap.extents[0].offset });
      manifest.dirs[dir].push(`f${i}`);
    }
  } finally {
    s.close();
  }
  const fd = fs.openSync(dev, 'r+');
  for (const f of manifest.files) fs.writeSync(fd, crypto.randomBytes(f.size), 0, f.size, f.offset);
  fs.closeSync(fd);
  for (const k of Object.keys(manifest.dirs)) manifest.dirs[k].sort();
  const manifestFile = path.join(tmp(), 'manifest.json');
  fs.writeFileSync(manifestFile, JSON.stringify(manifest));
  return { dev, manifest, manifestFile };
}

/**
 * A reader: `ops` random reads (fresh open, pread of up to 256 KiB at a random offset, close),
 * every 8th a readdir of a random directory and a stat, each answer compared with the device.
 * With a duration instead of a count it reads until then, and tolerates errors (for kills).
 */
const READER = `
const fs = require('fs');
const path = require('path');
const [mpt, dev, manifestFile, seedText, opsText, durationText, readyFile] = process.argv.slice(2);
const m = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
let a = Number(seedText) >>> 0;
const rnd = () => { a = (a + 0x6d2b79f5) >>> 0; let t = a; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
const devFd = fs.openSync(dev, 'r');
const out = { ops: 0, reads: 0, bytes: 0, readdirs: 0, stats: 0, mismatches: 0, errors: {}, first: '' };
const fail = (what) => { out.mismatches++; if (!out.first) out.first = what; };
const until = Number(durationText) > 0 ? Date.now() + Number(durationText) : Infinity;
const ops = Number(opsText);
const tolerant = Number(durationText) > 0;
const buf = Buffer.alloc(256 * 1024);
const want = Buffer.alloc(256 * 1024);
if (readyFile) fs.writeFileSync(readyFile, '');
let failedInARow = 0;
for (let i = 0; (ops === 0 || i < ops) && Date.now() < until && failedInARow < 50; i++) {
  out.ops++;
  try {
    if (i % 8 === 7) {
      const dirs = Object.keys(m.dirs);
      const d = dirs[Math.floor(rnd() * dirs.length)];
      const names = fs.readdirSync(path.join(mpt, d)).filter((n) => n !== '.meta' && !n.startsWith('new-')).sort();
      // Tolerant mode: an empty list is the mount point's own directory, once the mount is gone.
      if (tolerant && d === '' && names.length === 0) { const e = new Error('unmounted'); e.code = 'UNMOUNTED'; throw e; }
      out.readdirs++;
      if (names.join('/') !== m.dirs[d].join('/')) fail('readdir ' + d + ': ' + names.join(','));
      const f = m.files[Math.floor(rnd() * m.files.length)];
      const st = fs.statSync(path.join(mpt, f.rel));
      out.stats++;
      if (st.size !== f.size) fail('stat ' + f.rel + ': size ' + st.size);
      continue;
    }
    const f = m.files[Math.floor(rnd() * m.files.length)];
    const off = Math.floor(rnd() * f.size);
    const len = 1 + Math.floor(rnd() * buf.length);
    const fd = fs.openSync(path.join(mpt, f.rel), 'r');
    let n;
    try { n = fs.readSync(fd, buf, 0, len, off); } finally { fs.closeSync(fd); }
    const expect = Math.min(len, f.size - off);
    out.reads++;
    out.bytes += n;
    if (n !== expect) { fail(f.rel + ' @' + off + ': read ' + n + ' of ' + expect); continue; }
    fs.readSync(devFd, want, 0, n, f.offset + off);
    if (buf.compare(want, 0, n, 0, n) !== 0) fail(f.rel + ' @' + off + '+' + n + ': bytes differ');
    failedInARow = 0;
  } catch (e) {
    failedInARow++;
    out.errors[e.code || e.message] = (out.errors[e.code || e.message] || 0) + 1;
    if (Number(durationText) === 0 && !out.first) out.first = String(e.message);
  }
}
process.stdout.write(JSON.stringify(out) + '\\n');
`;

interface ReaderResult {
  ops: number;
  reads: number;
  bytes: number;
  readdirs: number;
  stats: number;
  mismatches: number;
  errors: Record<string, number>;
  first: string;
}

/** Starts READERS reader processes; `ready` resolves once every one of them is reading. */
function readers(
  mpt: string,
  dev: string,
  manifestFile: string,
  opts: { ops?: number; durationMs?: number; seed: number },
): { done: Promise<ReaderResult[]>; ready: Promise<void> } {
  const script = path.join(tmp(), 'reader.js');
  fs.writeFileSync(script, READER);
  const readyDir = fs.mkdtempSync(path.join(tmp(), 'ready-'));
  const done = Promise.all(
    Array.from({ length: READERS }, (_, k) =>
      runNode(
        [
          script,
          mpt,
          dev,
          manifestFile,
          String(opts.seed * 100 + k),
          String(opts.ops ?? 0),
          String(opts.durationMs ?? 0),
          path.join(readyDir, String(k)),
        ],
        { timeoutMs: 60_000 },
      ).then((r) => {
        if (r.code !== 0) throw new Error(`reader ${k}: exit ${r.code}: ${r.stderr}`);
        return JSON.parse(r.stdout) as ReaderResult;
      }),
    ),
  );
  const ready = (async () => {
    const t0 = Date.now();
    while (fs.readdirSync(readyDir).length < READERS) {
      if (Date.now() - t0 > 30_000) throw new Error('readers did not start');
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  return { done, ready };
}

function sum(rs: ReaderResult[]): ReaderResult {
  const t: ReaderResult = { ops: 0, reads: 0, bytes: 0, readdirs: 0, stats: 0, mismatches: 0, errors: {}, first: '' };
  for (const r of rs) {
    t.ops += r.ops;
    t.reads += r.reads;
    t.bytes += r.bytes;
    t.readdirs += r.readdirs;
    t.stats += r.stats;
    t.mismatches += r.mismatches;
    for (const [k, v] of Object.entries(r.errors)) t.errors[k] = (t.errors[k] ?? 0) + v;
    t.first ||= r.first;
  }
  return t;
}

/** Every file of the manifest read whole through the mount and compared with the device. */
function verifyAll(mpt: string, dev: string, m: Manifest): string[] {
  const fd = fs.openSync(dev, 'r');
  const bad: string[] = [];
  try {
    for (const f of m.files) {
      const want = Buffer.alloc(f.size);
      fs.readSync(fd, want, 0, f.size, f.offset);
      if (!fs.readFileSync(path.join(mpt, f.rel)).equals(want)) bad.push(f.rel);
    }
  } finally {
    fs.closeSync(fd);
  }
  return bad;
}

const alive = (pid: number) => {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('famfs_fused');
  } catch {
    return false;
  }
};

async function waitGone(pid: number, limitMs: number): Promise<number> {
  const t0 = Date.now();
  while (alive(pid)) {
    if (Date.now() - t0 > limitMs) throw new Error(`famfs_fused ${pid} still running ${limitMs} ms after the signal`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return Date.now() - t0;
}

function mountOnce(dev: string, mpt: string): { pid: number; shadow: string } {
  const r = mounts.mount(dev, mpt);
  if (r.code !== 0) throw new Error(`mount: ${r.stderr}`);
  const shadow = /shadow (\S+);/.exec(r.stdout)![1];
  const pids = daemonsFor(tmp());
  if (pids.length !== 1) throw new Error(`expected one daemon, found ${pids.length}`);
  return { pid: pids[0], shadow };
}

/** After a fault: famfs umount leaves no mount, no daemon, no shadow tree, no mount record. */
function expectCleanUmount(c: CaseContext, mpt: string, shadow: string): void {
  const u = famfs(['umount', mpt], mounts.env());
  expect({ code: u.code, stderr: u.stderr }).toEqual({ code: 0, stderr: '' });
  mounts.forget();
  expect(fuseMountsUnder(tmp())).toEqual([]);
  expect(daemonsFor(tmp())).toEqual([]);
  expect(fs.existsSync(shadow)).toBe(false);
  expect(fs.readdirSync(mounts.runDir).filter((n) => n.endsWith('.json'))).toEqual([]);
  c.count('cleanUmounts');
}

mountSuite('famfs daemon faults')('famfs_fused under faults', () => {
  afterEach(() => mounts.cleanup());

  reliabilityTest(
    'daemon.reader-storm',
    `${READERS} parallel reader processes (open/pread/close, readdir, stat) with a writer adding files: every answer matches the device`,
    async (c) => {
      const { dev, manifest, manifestFile } = populatedDevice();
      const mpt = path.join(tmp(), 'mnt');
      const { pid } = mountOnce(dev, mpt);
      const writer = (async () => {
        const rs: ProcResult[] = [];
        for (let i = 0; i < 10; i++)
          rs.push(
            await famfsAsync(['creat', '-r', '-s', `${64 + i}k`, path.join(mpt, `new-${i}`)], { env: mounts.env() }),
          );
        return rs;
      })();
      const t0 = Date.now();
      const [rs, ws] = await Promise.all([readers(mpt, dev, manifestFile, { ops: STORM_OPS, seed: 1 }).done, writer]);
      const t = sum(rs);
      c.runs = t.ops;
      c.set('readers', READERS);
      c.set('requests', { reads: t.reads, readdirs: t.readdirs, stats: t.stats, mib: Math.round(t.bytes / MiB) });
      c.set('stormMs', Date.now() - t0);
      c.set('mismatches', t.mismatches);
      c.set('errors', t.errors);
      expect({ mismatches: t.mismatches, errors: t.errors, first: t.first }).toEqual({
        mismatches: 0,
        errors: {},
        first: '',
      });
      expect(ws.map((w) => w.code)).toEqual(Array(10).fill(0));
      expect(alive(pid)).toBe(true);
      expect(verifyAll(mpt, dev, manifest)).toEqual([]);
      for (let i = 0; i < 10; i++) expect(fs.statSync(path.join(mpt, `new-${i}`)).size).toBe((64 + i) * KiB);
    },
    180_000,
  );

  reliabilityTest(
    'daemon.sigkill-under-load',
    `famfs_fused SIGKILLed during a ${READERS}-reader storm: readers get errors, never wrong bytes, never hang; famfs umount cleans; the remount serves correctly`,
    async (c) => {
      const { dev, manifest, manifestFile } = populatedDevice();
      const mpt = path.join(tmp(), 'mnt');
      const rnd = prng(77);
      const errors: Record<string, number> = {};
      let answered = 0;
      for (let cycle = 0; cycle < KILL_CYCLES; cycle++) {
        const { pid, shadow } = mountOnce(dev, mpt);
        const storm = readers(mpt, dev, manifestFile, { durationMs: 4000, seed: 10 + cycle });
        await storm.ready;
        await new Promise((r) => setTimeout(r, 100 + rnd() * 400));
        process.kill(pid, 'SIGKILL');
        const t = sum(await storm.done);
        answered += t.reads;
        for (const [k, v] of Object.entries(t.errors)) errors[k] = (errors[k] ?? 0) + v;
        expect({ cycle, mismatches: t.mismatches, first: t.mismatches ? t.first : '' }).toEqual({
          cycle,
          mismatches: 0,
          first: '',
        });
        expectCleanUmount(c, mpt, shadow);
        c.runs++;
      }
      c.set('readsAnsweredBeforeKills', answered);
      c.set('readerErrorsAfterKills', errors);
      mountOnce(dev, mpt);
      expect(verifyAll(mpt, dev, manifest)).toEqual([]);
    },
    180_000,
  );

  reliabilityTest(
    'daemon.sigterm',
    'SIGTERM to famfs_fused unmounts cleanly and exits: idle, under a reader storm, and with a file held open (it exits once the file is closed)',
    async (c) => {
      const { dev, manifest, manifestFile } = populatedDevice();
      const mpt = path.join(tmp(), 'mnt');
      const exitMs: Record<string, number> = {};
      for (const mode of ['idle', 'storm', 'file-held-open']) {
        const { pid, shadow } = mountOnce(dev, mpt);
        let storm: { done: Promise<ReaderResult[]>; ready: Promise<void> } | undefined;
        let holder: Promise<ProcResult> | undefined;
        if (mode === 'storm') {
          storm = readers(mpt, dev, manifestFile, { durationMs: 4000, seed: 30 });
          await storm.ready;
          await new Promise((r) => setTimeout(r, 200));
        }
        if (mode === 'file-held-open') {
          // A process with a famfs file open (the mount is busy): it lets go 1 s after the signal.
          const ready = path.join(tmp(), 'holder.ready');
          holder = runNode([
            '-e',
            `const fs=require('fs');const fd=fs.openSync(${JSON.stringify(path.join(mpt, manifest.files[3].rel))},'r');fs.writeFileSync(${JSON.stringify(ready)},'');setTimeout(()=>fs.closeSync(fd),1000);`,
          ]);
          for (let i = 0; i < 3000 && !fs.existsSync(ready); i++) await new Promise((r) => setTimeout(r, 10));
          expect(fs.existsSync(ready)).toBe(true);
        }
        process.kill(pid, 'SIGTERM');
        exitMs[mode] = await waitGone(pid, 15_000);
        if (storm) {
          const t = sum(await storm.done);
          expect({ mismatches: t.mismatches, first: t.mismatches ? t.first : '' }).toEqual({
            mismatches: 0,
            first: '',
          });
          c.set('sigtermStorm', { readsAnswered: t.reads, errorsAfter: t.errors });
        }
        if (holder) expect((await holder).code).toBe(0);
        // The daemon took the mount down itself and removed what the mount left: its shadow tree,
        // pid file and mount record (the rule famfs umount follows), so there is nothing to unmount.
        expect(fuseMountsUnder(tmp())).toEqual([]);
        expect(fs.existsSync(shadow)).toBe(false);
        expect(fs.readdirSync(mounts.runDir).filter((n) => n.endsWith('.json'))).toEqual([]);
        expect(fs.readFileSync(mounts.daemonLog(mpt), 'utf8')).not.toMatch(/fatal/);
        expect(famfs(['umount', mpt], mounts.env()).code).toBe(2);
        mounts.forget();
        c.count('cleanUmounts');
        c.runs++;
      }
      c.set('daemonExitMsAfterSigterm', exitMs);
      mountOnce(dev, mpt);
      expect(verifyAll(mpt, dev, manifest)).toEqual([]);
    },
    180_000,
  );

  reliabilityTest(
    'daemon.emulator-fuzz',
    "the kernel emulator's random and malformed requests against famfs_fused's session and file system, on the shadow tree and device a live mount serves",
    (c) => {
      const { dev, manifest } = populatedDevice();
      const mpt = path.join(tmp(), 'mnt');
      const { pid, shadow } = mountOnce(dev, mpt);
      const { FamfsFileSystem } = require(path.resolve(__dirname, '../../famfs-fused/src/famfs/famfs-fs.ts'));
      const seeds = [1, 2, 3, 4];
      const per = Number(process.env.FAMFS_FUZZ_REQUESTS ?? 2500);
      const totals: Record<string, number> = {};
      for (const seed of seeds) {
        const fsys = new FamfsFileSystem({ shadow, daxdev: dev, abi: 'v10', log: () => undefined });
        const { kernel, session } = emulateMount(fsys, { profile: 'v10', kernel: { allowFileDaxdev: true } });
        kernel.init();
        const r = fuzzSession(session, { count: per, seed: 0xd00d + seed });
        for (const [k, v] of Object.entries(r.outcomes)) totals[k] = (totals[k] ?? 0) + (v as number);
        expect({ seed, violations: r.violations, mismatches: r.baseline.mismatches }).toEqual({
          seed,
          violations: [],
          mismatches: [],
        });
        // Still serving: every file opens and reads the device's bytes through the emulated kernel.
        for (const f of manifest.files) {
          const h = kernel.open(`/${f.rel}`);
          const got = kernel.read(h, 0, f.size);
          kernel.release(h);
          const want = Buffer.alloc(f.size);
          const fd = fs.openSync(dev, 'r');
          fs.readSync(fd, want, 0, f.size, f.offset);
          fs.closeSync(fd);
          expect({ f: f.rel, same: got.equals(want) }).toEqual({ f: f.rel, same: true });
        }
        c.runs += r.sent;
        // The live daemon on the same shadow tree keeps serving too.
        expect(alive(pid)).toBe(true);
        expect(verifyAll(mpt, dev, { files: manifest.files.slice(0, 4), dirs: {} })).toEqual([]);
      }
      c.set('seeds', seeds.length);
      c.set('outcomes', totals);
    },
    180_000,
  );
});
