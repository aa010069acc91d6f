/**
 * Clients that follow the master's log, on real mounts made with `famfs mount`, with no
 * `famfs logplay` anywhere:
 * - a client mounted before the master creates 1,000 files in 50 directories (`famfs cp -r`)
 *   shows every one of them, byte for byte, within 1 s of the last create;
 * - with entry and attribute timeouts of 10 s, a file the master creates is listed by `ls` on the
 *   client within 200 ms, and a new directory shows in its parent's link count (the kernel was
 *   told to drop the parent's cached attributes);
 * - the master's own creations show at once on its own mount, even with --follow 0.
 *
 * The two bounds are the issue's; they are the only times asserted. They are multiplied by
 * FAMFS_TIME_SLACK when set, else by the machine's load per CPU when above 1 (the development VM
 * runs other jobs: a load of 14 on 2 CPUs makes every process wait its turn seven times over);
 * each case prints the factor and what it measured.
 */
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { mountSuite, TestMounts } from './mounts';
import { C_MASTER_UUID, famfs, OTHER_UUID, sparseFile, useTempDir } from './run';
import { famfsAsync, GiB, KiB, lib, MASTER, prng } from './reliability-report';
import { sleepMs } from '@famfs/native';

const SLACK = Number(process.env.FAMFS_TIME_SLACK ?? Math.max(1, os.loadavg()[0] / os.cpus().length));
console.log(
  `follow: time bounds multiplied by ${SLACK.toFixed(2)} (${process.env.FAMFS_TIME_SLACK ? 'FAMFS_TIME_SLACK' : `load ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} CPUs`})`,
);
const tmp = useTempDir();
const mounts = new TestMounts(tmp);

function device(size = 16 * GiB): string {
  const dev = sparseFile(tmp(), size);
  lib.mkfs(dev, { systemUuid: MASTER, minDeviceSize: 0 });
  return dev;
}

function mounted(dev: string, name: string, uuid: string, extra: string[] = []): string {
  const mpt = path.join(tmp(), name);
  const r = mounts.mount(dev, mpt, uuid, extra);
  if (r.code !== 0) throw new Error(`famfs mount ${name}: ${r.stderr}`);
  return mpt;
}

/** The log's next_index now, read from the device as any reader would. */
function nextIndex(dev: string): number {
  const d = lib.Device.open(dev, { writable: false });
  try {
    const r = lib.LogReader.open(d);
    try {
      return r.header().nextIndex;
    } finally {
      r.close();
    }
  } finally {
    d.close();
  }
}

/** A source tree of `dirs` directories of `per` small files each, with distinct bytes. */
function sourceTree(root: string, dirs: number, per: number, seed: number): Map<string, Buffer> {
  const rnd = prng(seed);
  const files = new Map<string, Buffer>();
  for (let d = 0; d < dirs; d++) {
    fs.mkdirSync(path.join(root, `d${d}`), { recursive: true });
    for (let f = 0; f < per; f++) {
      const b = Buffer.alloc(1 + Math.floor(rnd() * 8 * KiB));
      for (let k = 0; k < b.length; k += 64) b[k] = Math.floor(rnd() * 256);
      b.write(`d${d}/f${f}`);
      const rel = `d${d}/f${f}`;
      fs.writeFileSync(path.join(root, rel), b);
      files.set(rel, b);
    }
  }
  return files;
}

/**
 * One look through the mount at the files of `pending` not seen yet (stat under `dir`, with
 * their sizes): those seen are removed, with the time they were first seen.
 */
function look(mpt: string, dir: string, pending: Map<string, Buffer>, seenAt: number[]): void {
  for (const [rel, b] of pending) {
    try {
      if (fs.statSync(path.join(mpt, dir, rel)).size !== b.length) continue;
    } catch {
      continue; // not there yet
    }
    pending.delete(rel);
    seenAt.push(performance.now());
  }
}

/** GET /status from a daemon's diagnostics socket. */
function daemonStatus(shadow: string): Promise<Record<string, any>> {
  return new Promise((resolve, reject) => {
    const req = http.get({ socketPath: path.join(shadow, 'sock'), path: '/status' }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(JSON.parse(body)));
    });
    req.on('error', reject);
  });
}

mountSuite('following the log')('clients follow the master without famfs logplay', () => {
  afterEach(() => mounts.cleanup());

  test('a client mounted first shows 1,000 new files in 50 directories, byte for byte, within 1 s of the last create', async () => {
    const dev = device();
    const master = mounted(dev, 'master', C_MASTER_UUID);
    const client = mounted(dev, 'client', OTHER_UUID);
    const src = path.join(tmp(), 'src');
    const files = sourceTree(src, 50, 20, 7);
    const before = nextIndex(dev);
    const expected = before + 1 + 50 + 1000; // dst, 50 directories, 1,000 files
    // The copy runs as its own process; this one watches the log for the last create.
    const cp = famfsAsync(['cp', '-r', src, path.join(master, 'dst')], {
      env: mounts.env(C_MASTER_UUID),
      timeoutMs: 120_000,
    });
    let lastCreate = 0;
    while (lastCreate === 0) {
      if (nextIndex(dev) >= expected) lastCreate = performance.now();
      else await new Promise((r) => setTimeout(r, 2));
    }
    // Each file is looked for until first seen; the time that counts is when the last one was.
    const pending = new Map(files);
    const seenAt: number[] = [];
    const deadline = lastCreate + 10_000;
    while (pending.size > 0 && performance.now() < deadline) {
      look(client, 'dst', pending, seenAt);
      if (pending.size > 0) await new Promise((r) => setTimeout(r, 5));
    }
    const visibleMs = Math.max(...seenAt) - lastCreate;
    const r = await cp;
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    console.log(
      `follow: 1,000 files in 50 directories shown by the client ${visibleMs.toFixed(0)} ms after the last create (bound ${(1000 * SLACK).toFixed(0)} ms)`,
    );
    expect([...pending.keys()]).toEqual([]);
    expect(visibleMs).toBeLessThanOrEqual(1000 * SLACK);
    // Byte for byte, read through the client's mount.
    for (const [rel, b] of files) expect(fs.readFileSync(path.join(client, 'dst', rel)).equals(b)).toBe(true);
    expect(fs.readdirSync(path.join(client, 'dst')).length).toBe(50);
  }, 180_000);

  test('with 10 s entry and attribute timeouts, ls on the client lists a new file within 200 ms; a new directory shows in its parent at once', () => {
    const dev = device();
    const master = mounted(dev, 'master', C_MASTER_UUID, ['-t', '10']);
    const client = mounted(dev, 'client', OTHER_UUID, ['-t', '10']);
    expect(famfs(['mkdir', path.join(master, 'dir')], mounts.env()).code).toBe(0);
    const ls = () => spawnSync('ls', ['-a', path.join(client, 'dir')], { encoding: 'utf8' }).stdout.split('\n');
    const links = () => fs.statSync(path.join(client, 'dir')).nlink;
    // The client's kernel caches the directory, its attributes and its names for 10 s from here.
    expect(fs.statSync(path.join(client, 'dir')).isDirectory()).toBe(true);
    expect(ls()).not.toContain('f0');
    const nlink0 = links();
    const latencies: number[] = [];
    for (let i = 0; i < 5; i++) {
      const s = lib.LogSession.open(dev, { systemUuid: MASTER });
      try {
        s.createFile(`dir/f${i}`, 4096);
      } finally {
        s.close();
      }
      const t0 = performance.now();
      let seen = -1;
      while (performance.now() - t0 < 5000) {
        if (ls().includes(`f${i}`)) {
          seen = performance.now() - t0;
          break;
        }
        sleepMs(5);
      }
      latencies.push(seen);
    }
    // A subdirectory logged by the master: the parent's cached link count is dropped by the
    // daemon's invalidation, so stat shows the new count long before the 10 s run out.
    const s = lib.LogSession.open(dev, { systemUuid: MASTER });
    try {
      s.mkdir('dir/sub');
    } finally {
      s.close();
    }
    const t0 = performance.now();
    let nlinkMs = -1;
    while (performance.now() - t0 < 5000) {
      if (links() === nlink0 + 1) {
        nlinkMs = performance.now() - t0;
        break;
      }
      sleepMs(5);
    }
    console.log(
      `follow: ls listed each new file after ${latencies.map((l) => l.toFixed(0)).join(', ')} ms; the parent's nlink changed after ${nlinkMs.toFixed(0)} ms (bound ${(200 * SLACK).toFixed(0)} ms)`,
    );
    for (const l of latencies) {
      expect(l).toBeGreaterThanOrEqual(0);
      expect(l).toBeLessThanOrEqual(200 * SLACK);
    }
    expect(nlinkMs).toBeGreaterThanOrEqual(0);
    expect(nlinkMs).toBeLessThanOrEqual(200 * SLACK);
  });

  test('a log header going backwards stops the following: one log line, /status says so, the mount keeps serving', async () => {
    const dev = device();
    const master = mounted(dev, 'master', C_MASTER_UUID);
    expect(famfs(['creat', '-s', '1m', path.join(master, 'kept')], mounts.env()).code).toBe(0);
    const mpt = path.join(tmp(), 'client');
    const r = mounts.mount(dev, mpt, OTHER_UUID);
    expect(r.code).toBe(0);
    const shadow = /shadow (\S+);/.exec(r.stdout)![1];
    expect((await daemonStatus(shadow)).follow).toMatchObject({ state: 'following', intervalMs: 100 });
    // Another writer rewinds the header: nothing a log that only grows can do.
    const d = lib.Device.open(dev, { writable: true });
    try {
      lib.LogHeaderLayout.set(lib.mapMeta(d).log, 'nextIndex', 0);
    } finally {
      d.close();
    }
    const t0 = Date.now();
    let st = await daemonStatus(shadow);
    while (st.follow.state !== 'stopped' && Date.now() - t0 < 10_000) {
      sleepMs(50);
      st = await daemonStatus(shadow);
    }
    expect(st.follow).toMatchObject({ state: 'stopped', stoppedBecause: 'the log header went backwards' });
    expect(st.log).toMatchObject({ entriesRead: 1, files: 1 });
    expect(fs.statSync(path.join(mpt, 'kept')).size).toBe(1 << 20);
    expect(fs.existsSync(path.join(mpt, 'nothing'))).toBe(false);
    const lines = fs.readFileSync(mounts.daemonLog(mpt), 'utf8').split('\n');
    expect(lines.filter((l) => l.includes('stopped following'))).toEqual([
      expect.stringMatching(/stopped following the log: the log header went backwards: next_index 0, but 1 entries/),
    ]);
    const lp = famfs(['logplay', mpt], mounts.env(OTHER_UUID));
    expect(lp.stderr).toMatch(/stopped following its log: the log header went backwards/);
  });

  test("the master's own creations show at once on its mount, also with --follow 0 (no following); the client with --follow 0 waits for famfs logplay", () => {
    const dev = device();
    const master = mounted(dev, 'master', C_MASTER_UUID, ['--follow', '0']);
    const client = mounted(dev, 'client', OTHER_UUID, ['--follow', '0']);
    const env = mounts.env();
    expect(famfs(['creat', '-s', '1m', path.join(master, 'mine')], env).code).toBe(0);
    expect(fs.statSync(path.join(master, 'mine')).size).toBe(1 << 20);
    expect(famfs(['mkdir', '-p', path.join(master, 'x/y')], env).code).toBe(0);
    expect(fs.statSync(path.join(master, 'x/y')).isDirectory()).toBe(true);
    expect(fs.existsSync(path.join(client, 'mine'))).toBe(false);
    const lp = famfs(['logplay', client], mounts.env(OTHER_UUID));
    expect(lp.stdout).toMatch(/3 log entries; 1 new files; 2 new directories/);
    expect(fs.statSync(path.join(client, 'mine')).size).toBe(1 << 20);
    expect(fs.statSync(path.join(client, 'x/y')).isDirectory()).toBe(true);
  });
});
