/**
 * Shared plumbing of the reliability tests (crash.test.ts, concurrency.test.ts,
 * daemon-faults.test.ts): the machine-readable result line each case prints, real processes run
 * and killed at chosen moments, and the invariant checks done on a device after every fault.
 *
 * Result lines (parsed by scripts/reliability-report.js into docs/reliability.md):
 *
 *   RELIABILITY <case-id> runs=<n> outcome=<pass|fail> ms=<wall time> details=<one-line JSON>
 *
 * A case prints its line whether it passes or fails (from a finally), so a failing run still
 * leaves its count and the first problem in the log. A case in a skipped suite prints nothing;
 * the report lists it as not run.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { C_MASTER_UUID, FAMFS_BIN } from './run';

export const lib = require('./built-libfamfs');
export const MASTER = Buffer.from(C_MASTER_UUID.replace(/-/g, ''), 'hex');
export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;
/** For child processes: `require(LIB_PATH)` is the built libfamfs as one object (built-libfamfs.js). */
export const LIB_PATH = path.resolve(__dirname, 'built-libfamfs.js');
/** The built libfamfs' dist directory, whose modules a child may patch (the crash stepper does). */
export const LIB_DIST: string = lib.LIB_DIST;

export const RESULT_PREFIX = 'RELIABILITY';

/** What a case tells the report: how many times it ran its scenario, and anything worth showing. */
export class CaseContext {
  runs = 0;
  readonly details: Record<string, unknown> = {};

  /** Adds `n` to a counter in the details. */
  count(key: string, n = 1): void {
    this.details[key] = ((this.details[key] as number | undefined) ?? 0) + n;
  }

  set(key: string, value: unknown): void {
    this.details[key] = value;
  }

  /** Keeps the largest value seen under `key`. */
  max(key: string, value: number): void {
    const cur = this.details[key] as number | undefined;
    if (cur === undefined || value > cur) this.details[key] = Math.round(value);
  }
}

export function resultLine(
  id: string,
  title: string,
  runs: number,
  outcome: 'pass' | 'fail',
  ms: number,
  details: Record<string, unknown>,
): string {
  const json = JSON.stringify({ title, ...details }).replace(/[\r\n]+/g, ' ');
  return `${RESULT_PREFIX} ${id} runs=${runs} outcome=${outcome} ms=${Math.round(ms)} details=${json}`;
}

/**
 * A jest test that reports itself: `fn` counts its runs in the context; the result line is
 * printed (console.log, and appended to $FAMFS_RELIABILITY_LOG when set) pass or fail.
 */
export function reliabilityTest(
  id: string,
  title: string,
  fn: (c: CaseContext) => void | Promise<void>,
  timeoutMs?: number,
): void {
  test(
    `[${id}] ${title}`,
    async () => {
      const c = new CaseContext();
      const t0 = performance.now();
      let outcome: 'pass' | 'fail' = 'fail';
      try {
        await fn(c);
        outcome = 'pass';
      } catch (e) {
        c.set(
          'error',
          String((e as Error)?.message ?? e)
            .split('\n')
            .slice(0, 6)
            .join(' | ')
            .slice(0, 600),
        );
        throw e;
      } finally {
        const line = resultLine(id, title, c.runs, outcome, performance.now() - t0, c.details);
        console.log(line);
        if (process.env.FAMFS_RELIABILITY_LOG) fs.appendFileSync(process.env.FAMFS_RELIABILITY_LOG, line + '\n');
      }
    },
    timeoutMs,
  );
}

/** Seeded randoms (mulberry32): a failing run can be replayed from the seed in its details. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface ProcResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** The kill was sent while the process was still running. */
  killed: boolean;
}

export interface SpawnOptions {
  env?: Record<string, string>;
  /** SIGKILL this many ms after the spawn (or after `killAfterLine` was printed). */
  killAfterMs?: number;
  /** Start the kill timer when stdout first contains this text (children that announce a phase). */
  killAfterLine?: string;
  /** A hard limit: SIGKILL and reject after this long (default 60 s). */
  timeoutMs?: number;
  input?: string;
}

/** Runs `node <args>` as a real process; optionally SIGKILLs it at a chosen moment. */
export function runNode(args: string[], o: SpawnOptions = {}): Promise<ProcResult> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child: ChildProcess = spawn(process.execPath, args, {
      env: { ...process.env, FAMFS_SYSTEM_UUID: C_MASTER_UUID, ...o.env },
      stdio: [o.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let killed = false;
    let exited = false;
    let timer: NodeJS.Timeout | undefined;
    const kill = () => {
      if (exited) return;
      killed = true;
      child.kill('SIGKILL');
    };
    const armKill = () => {
      if (o.killAfterMs === undefined || timer) return;
      if (o.killAfterMs <= 0) kill();
      else timer = setTimeout(kill, o.killAfterMs);
    };
    const hard = setTimeout(() => {
      kill();
      reject(new Error(`node ${args.join(' ').slice(0, 200)}: still running after ${o.timeoutMs ?? 60000} ms`));
    }, o.timeoutMs ?? 60000);
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (o.killAfterLine !== undefined && stdout.includes(o.killAfterLine)) armKill();
    });
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    if (o.input !== undefined) child.stdin!.end(o.input);
    child.on('error', reject);
    child.on('exit', () => {
      exited = true;
    });
    child.on('close', (code, signal) => {
      exited = true;
      if (timer) clearTimeout(timer);
      clearTimeout(hard);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - t0, killed: killed && signal === 'SIGKILL' });
    });
    if (o.killAfterLine === undefined) armKill();
  });
}

/** Runs the built `famfs` as a separate process (asynchronously, so several can run at once). */
export function famfsAsync(args: string[], o: SpawnOptions = {}): Promise<ProcResult> {
  return runNode([FAMFS_BIN, ...args], o);
}

/**
 * The invariants that must hold on a famfs device after any fault: every complete entry valid
 * (the only bad entry allowed is a torn last one, when `allowTorn`), no tree conflicts, no
 * allocation collisions (by fsck, and again by comparing the extents themselves). Returns the problems (empty when it holds) and the fsck report.
 */
export function deviceProblems(dev: string, allowTorn = true): { problems: string[]; report: any } {
  const report = lib.fsckDevice(dev, { systemUuid: MASTER, allowMounted: true });
  const problems: string[] = [];
  if (report.collisionCount !== 0)
    problems.push(
      `${report.collisionCount} colliding allocation units: ${JSON.stringify(report.collisions.slice(0, 3))}`,
    );
  for (const b of report.badEntries) {
    if (!(allowTorn && b.torn && b.index === report.log.entriesUsed - 1))
      problems.push(`bad entry ${b.index}${b.torn ? ' (torn)' : ''}: ${b.reason}`);
  }
  for (const t of report.treeConflicts) problems.push(`tree conflict at entry ${t.index} '${t.path}': ${t.reason}`);
  problems.push(...extentOverlaps(dev));
  return { problems, report };
}

/** The log replayed (read-only, the device may be mounted). */
export function replayOf(dev: string): any {
  const d = lib.Device.open(dev, { writable: false });
  try {
    const meta = lib.mapMeta(d);
    d.invalidate(meta.log, 0, meta.log.length);
    return lib.replayLog(meta.log, meta.sb, dev);
  } finally {
    d.close();
  }
}

/** Every file and directory the log holds, by path (entries from index `from` on). */
export function loggedPaths(dev: string, from = 0): { files: Map<string, number>; dirs: string[]; next: number } {
  const r = replayOf(dev);
  const files = new Map<string, number>();
  const dirs: string[] = [];
  for (const [p, i] of r.files as Map<string, number>) if (i >= from) files.set(p, r.entries[i].size);
  for (const [p, i] of r.dirs as Map<string, number>) if (i >= from) dirs.push(p);
  return { files, dirs, next: r.header.nextIndex };
}

/**
 * What the mount at `mpt` shows for logged paths that it should show: a list of problems
 * (missing, wrong kind, wrong size). Paths under .meta are skipped.
 */
export function mountViewProblems(mpt: string, files: Map<string, number>, dirs: string[]): string[] {
  const problems: string[] = [];
  for (const [p, size] of files) {
    if (p.startsWith('.meta/')) continue;
    try {
      const st = fs.statSync(path.join(mpt, p));
      if (!st.isFile()) problems.push(`${p}: not a file in the mount`);
      else if (st.size !== size) problems.push(`${p}: size ${st.size} in the mount, ${size} in the log`);
    } catch (e) {
      problems.push(`${p}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message} in the mount`);
    }
  }
  for (const d of dirs) {
    try {
      if (!fs.statSync(path.join(mpt, d)).isDirectory()) problems.push(`${d}: not a directory in the mount`);
    } catch (e) {
      problems.push(`${d}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message} in the mount`);
    }
  }
  return problems;
}

/** Creates a file through the library master of the mount at `mpt` (a "next create"). */
export function createThroughMaster(mpt: string, rel: string, size: number): void {
  const m = lib.FamfsMaster.open(mpt, { systemUuid: MASTER });
  try {
    m.createFile(rel, size);
  } finally {
    m.close();
  }
}

/** A small source tree for cp: `nfiles` files of assorted small sizes, one subdirectory. */
export function sourceTree(dir: string, nfiles: number, seed: number): string {
  const rnd = prng(seed);
  fs.mkdirSync(path.join(dir, 'sub'), { recursive: true });
  for (let i = 0; i < nfiles; i++) {
    const size = 1 + Math.floor(rnd() * 48 * KiB);
    const b = Buffer.alloc(size);
    for (let j = 0; j < size; j += 4096) b[j] = Math.floor(rnd() * 256);
    b.write(`file ${i} of seed ${seed}`);
    fs.writeFileSync(path.join(dir, i % 3 === 0 ? 'sub' : '', `f${i}`), b);
  }
  return dir;
}

export const quantile = (xs: number[], q: number): number => {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

/**
 * Double allocation, checked independently of fsck's bitmap: every file's extents (or strips),
 * sorted by offset, must not overlap one another nor the superblock and log.
 */
export function extentOverlaps(dev: string): string[] {
  const r = replayOf(dev);
  const d = lib.Device.open(dev, { writable: false });
  let metaEnd: number;
  try {
    const meta = lib.mapMeta(d);
    metaEnd = lib.LOG_OFFSET + meta.sb.logLen;
  } finally {
    d.close();
  }
  const spans: Array<{ start: number; end: number; path: string }> = [];
  for (const [p, i] of r.files as Map<string, number>) {
    const e = r.entries[i];
    const exts = e.fmap.kind === 'simple' ? e.fmap.extents : e.fmap.strips;
    for (const x of exts) spans.push({ start: x.offset, end: x.offset + x.len, path: p });
  }
  spans.sort((a, b) => a.start - b.start);
  const out: string[] = [];
  for (let k = 0; k < spans.length; k++) {
    if (spans[k].start < metaEnd) out.push(`${spans[k].path} overlaps the superblock/log`);
    if (k > 0 && spans[k].start < spans[k - 1].end)
      out.push(`${spans[k - 1].path} and ${spans[k].path} overlap at 0x${spans[k].start.toString(16)}`);
  }
  return out;
}
