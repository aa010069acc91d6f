/**
 * The diagnostics socket of a real famfs_fused mount: up once the daemon serves, mode 0660, the
 * C endpoints answering with the daemon's real state (lookup counters, pid, a log level that
 * changes what is logged, an icache dump), /status, a storm of hostile socket clients that never
 * delays the FUSE replies of 16 concurrent readers, and the socket gone after each way the
 * daemon can stop (SIGTERM, a plain umount).
 */
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { isMounted, unmountFuse } from '@famfs/fuse';
import { cleanupTempDirs } from '../helpers';
import { cleanup, Daemon, makeWorld, mountUnavailable, startDaemon, waitFor, World } from '../mount-world';

afterAll(cleanupTempDirs);

const reason = mountUnavailable();
const required = process.env.FAMFS_REQUIRE_MOUNT === '1';
if (reason && !required) console.log(`daemon-socket.test.ts skipped: ${reason}`);
const maybe = reason && !required ? describe.skip : describe;

function get(
  sock: string,
  p: string,
  method = 'GET',
  body?: string,
): Promise<{ status: number; type?: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { socketPath: sock, path: p, method, headers: body ? { 'Content-Length': Buffer.byteLength(body) } : {} },
      (res) => {
        let data = '';
        res.on('data', (c: Buffer) => (data += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body: data }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function serve(w: World): Promise<Daemon> {
  const d = startDaemon(['-f', '-o', `shadow=${w.shadow},daxdev=${w.dev}`, w.mnt]);
  await waitFor(
    'the pid file',
    () => fs.existsSync(path.join(w.shadow, 'famfs_fused.pid')) || d.child.exitCode !== null,
  );
  if (d.child.exitCode !== null) throw new Error(`daemon exited: ${d.stderr()}`);
  return d;
}

/** Reads every file of `content` `rounds` times on a worker thread; resolves with the mismatches. */
function reader(mnt: string, files: Record<string, string>, rounds: number): Promise<string[]> {
  const src = `
    const { parentPort, workerData } = require('worker_threads');
    const fs = require('fs');
    const crypto = require('crypto');
    const bad = [];
    for (let r = 0; r < workerData.rounds; r++)
      for (const [p, sum] of Object.entries(workerData.files)) {
        const got = crypto.createHash('sha256').update(fs.readFileSync(workerData.mnt + '/' + p)).digest('hex');
        if (got !== sum) bad.push(p);
      }
    parentPort.postMessage(bad);`;
  return new Promise((resolve, reject) => {
    const wk = new Worker(src, { eval: true, workerData: { mnt, files, rounds } });
    wk.once('message', resolve);
    wk.once('error', reject);
  });
}

/** One hostile client of five kinds; resolves when its connection is over. */
function hostile(sock: string, kind: number): Promise<void> {
  return new Promise((resolve) => {
    const c = net.connect(sock);
    c.on('error', () => resolve());
    c.on('close', () => resolve());
    c.setTimeout(3000, () => c.destroy());
    c.on('connect', () => {
      if (kind === 0)
        c.write('GET /icache_stats HTTP/1.1\r\nHost: x\r\n'); // slow: never finishes
      else if (kind === 1) c.write(Buffer.from([0, 255, 13, 10, 13, 10, 1, 2, 3]));
      else if (kind === 2)
        c.write('POST /log_level HTTP/1.1\r\nContent-Length: 1000000000\r\n\r\n' + 'x'.repeat(65536));
      else if (kind === 3) c.end(); // half-open
      // kind 4: connects and says nothing
    });
  });
}

maybe('famfs_fused diagnostics socket on a real mount', () => {
  beforeAll(() => {
    if (reason) throw new Error(`FAMFS_REQUIRE_MOUNT=1 but ${reason}`);
  });

  test('endpoints answer with the daemon state; log_level changes what is logged; SIGTERM removes the socket', async () => {
    const w = makeWorld();
    let d: Daemon | null = null;
    try {
      d = await serve(w);
      const sock = path.join(w.shadow, 'sock');
      const st = fs.lstatSync(sock);
      expect(st.isSocket()).toBe(true);
      expect(st.mode & 0o777).toBe(0o660);

      expect(await get(sock, '/pid')).toEqual({ status: 200, type: 'text/yaml', body: `pid: ${d.child.pid}\n` });
      const parse = (b: string) =>
        Object.fromEntries([...b.matchAll(/(\w+):\s+(\d+)/g)].map((m) => [m[1], Number(m[2])]));
      const before = parse((await get(sock, '/icache_stats')).body);
      fs.statSync(path.join(w.mnt, 'a/f1'));
      expect(fs.existsSync(path.join(w.mnt, 'no-such-file'))).toBe(false);
      const after = parse((await get(sock, '/icache_stats')).body);
      expect(after.search_count).toBeGreaterThanOrEqual(before.search_count + 3);
      expect(after.search_fail_ct).toBeGreaterThanOrEqual(before.search_fail_ct + 1);
      expect(after.nodes_scanned).toBeGreaterThanOrEqual(before.nodes_scanned);

      // Log level: 5 by default; at 7 every lookup is logged, back at 5 none is.
      expect(await get(sock, '/log_level')).toEqual({ status: 200, type: 'text/plain', body: '5\n' });
      expect((await get(sock, '/log_level', 'POST', '7')).body).toBe('log level set to 7 (from 5)\n');
      fs.statSync(path.join(w.mnt, 'top'));
      await waitFor('a debug line', () => /lookup top ->/.test(d!.stderr()), 5000);
      expect((await get(sock, '/log_level', 'PUT', '5')).body).toBe('log level set to 5 (from 7)\n');
      const mark = d.stderr().length;
      fs.statSync(path.join(w.mnt, 'striped'));
      fs.readFileSync(path.join(w.mnt, 'top'));
      await new Promise((r) => setTimeout(r, 200));
      expect(d.stderr().slice(mark)).not.toMatch(/lookup striped ->/);

      // The dump is written by the session thread after its next request.
      expect(await get(sock, '/icache_dump')).toEqual({
        status: 200,
        type: 'text/yaml',
        body: 'icache: dumping icache to syslog\n',
      });
      expect(fs.existsSync(path.join(w.mnt, 'not-cached-by-the-kernel'))).toBe(false);
      await waitFor('the icache dump', () => /icache: nodeid 1 dir \//.test(d!.stderr()), 5000);

      const status = await get(sock, '/status');
      expect(status.type).toBe('application/json');
      const s = JSON.parse(status.body) as Record<string, unknown>;
      expect(s).toMatchObject({ device: w.dev, dataPath: 'stock', abiProfile: 'v10', pid: d.child.pid });
      expect(s.files as number).toBeGreaterThanOrEqual(1);
      expect(await get(sock, '/inodes')).toEqual({
        status: 200,
        type: 'text/yaml',
        body: 'inodes:\n  total: 1500\n  open: 12\n  deleted: 7\n',
      });
      expect((await get(sock, '/nope')).status).toBe(404);

      process.kill(d.child.pid!, 'SIGTERM');
      expect(await d.exited).toEqual({ code: 0, signal: null });
      expect(fs.existsSync(sock)).toBe(false);
    } catch (e) {
      if (d) console.log(`daemon output:\n${d.stderr()}`);
      throw e;
    } finally {
      await cleanup(w, d);
    }
  });

  test('200 hostile socket clients during a 16-reader storm: every read correct, daemon alive; plain umount removes the socket', async () => {
    const w = makeWorld();
    let d: Daemon | null = null;
    try {
      d = await serve(w);
      const sock = path.join(w.shadow, 'sock');
      const crypto = await import('crypto');
      const sums: Record<string, string> = {};
      for (const [p, b] of Object.entries(w.content)) sums[p] = crypto.createHash('sha256').update(b).digest('hex');
      const readers = Array.from({ length: 16 }, () => reader(w.mnt, sums, 3));
      const clients = Array.from({ length: 200 }, (_, i) => hostile(sock, i % 5));
      const results = await Promise.all(readers);
      await Promise.all(clients);
      expect(results.flat()).toEqual([]);
      expect(d.child.exitCode).toBeNull();
      expect((await get(sock, '/pid')).body).toBe(`pid: ${d.child.pid}\n`);

      unmountFuse(w.mnt);
      expect(await d.exited).toEqual({ code: 0, signal: null });
      expect(isMounted(w.mnt)).toBe(false);
      expect(fs.existsSync(sock)).toBe(false);
    } catch (e) {
      if (d) console.log(`daemon output:\n${d.stderr()}`);
      throw e;
    } finally {
      await cleanup(w, d);
    }
  });
});
