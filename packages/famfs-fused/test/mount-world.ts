/**
 * A famfs world for daemon tests: a device made with libfamfs (directories, simple and striped
 * files whose bytes are written straight into the device at their extents), its log replayed into
 * a shadow tree, and the famfs_fused binary started in the foreground as a child process.
 * Mount tests need root and /dev/fuse: `mountSkipReason` says why not (FAMFS_REQUIRE_MOUNT=1 turns
 * that into a failure). `cleanup` unmounts and stops only the daemon the test started, by PID.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ChildProcess, spawn, spawnSync } from 'child_process';
import { LogSession, mkfs } from '@famfs/libfamfs/log';
import { logplayDevice } from '@famfs/libfamfs/shadow';
import type { FileEntry } from '@famfs/libfamfs/format';
import { isMounted, unmountFuse } from '@famfs/fuse';
import { patternBytes } from '@famfs/fuse/testing';
import { readDevice, tempDir, writeDevice } from './helpers';

export const PKG = path.resolve(__dirname, '..');
export const BIN = path.join(PKG, 'bin/famfs_fused.js');
export const MiB = 1 << 20;
export const GiB = 1 << 30;
export const MASTER = Buffer.from('303132333435363738393a3b3c3d3e3f', 'hex');

export function mountUnavailable(): string | null {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'not running as root';
  if (!fs.existsSync('/dev/fuse')) return '/dev/fuse is missing';
  return null;
}

export interface World {
  dir: string;
  dev: string;
  shadow: string;
  mnt: string;
  /** Expected contents by path. */
  content: Record<string, Buffer>;
  entries: Record<string, FileEntry>;
}

export function makeWorld(): World {
  const dir = tempDir('famfs-mnt-');
  const dev = path.join(dir, 'dev.img');
  fs.writeFileSync(dev, '');
  fs.truncateSync(dev, 8 * GiB);
  mkfs(dev, { systemUuid: MASTER });
  const entries: Record<string, FileEntry> = {};
  const s = LogSession.open(dev, { systemUuid: MASTER });
  try {
    s.mkdir('a', { mode: 0o755, uid: 1000, gid: 1000 });
    s.mkdir('a/b');
    entries['a/f1'] = s.createFile('a/f1', MiB, { mode: 0o644, uid: 1000, gid: 1001 });
    entries['top'] = s.createFile('top', 3_000_000);
    entries['a/b/deep'] = s.createFile('a/b/deep', 4 * MiB + 1, { mode: 0o600 });
    const striped: FileEntry = {
      type: 'file',
      path: 'striped',
      size: 7 * MiB,
      flags: 2,
      mode: 0o644,
      uid: 0,
      gid: 0,
      fmap: {
        kind: 'interleaved',
        nstrips: 2,
        chunkSize: 2 * MiB,
        strips: [
          { devIndex: 0, offset: 5 * GiB, len: 4 * MiB },
          { devIndex: 0, offset: 4 * GiB, len: 4 * MiB },
        ],
      },
    };
    s.appendRaw(striped);
    entries['striped'] = striped;
  } finally {
    s.close();
  }
  const content: Record<string, Buffer> = {};
  let seed = 11;
  for (const [p, e] of Object.entries(entries)) {
    if (e.fmap.kind !== 'simple') continue;
    content[p] = patternBytes(e.size, seed++);
    writeDevice(dev, e.fmap.extents[0].offset, content[p]);
  }
  // striped: chunk 0 -> strip 0 @0, chunk 1 -> strip 1 @0, chunk 2 -> strip 0 @2M, chunk 3 -> strip 1 @2M.
  const chunks = [0, 1, 2, 3].map((k) => patternBytes(2 * MiB, 100 + k));
  writeDevice(dev, 5 * GiB, chunks[0]);
  writeDevice(dev, 4 * GiB, chunks[1]);
  writeDevice(dev, 5 * GiB + 2 * MiB, chunks[2]);
  writeDevice(dev, 4 * GiB + 2 * MiB, chunks[3]);
  content['striped'] = Buffer.concat(chunks).subarray(0, 7 * MiB);

  const shadow = path.join(dir, 'shadow');
  fs.mkdirSync(shadow);
  // logplay writes .meta/.superblock and .meta/.log too (writeMetaFiles), the log 0644 on the master.
  const r = logplayDevice(dev, shadow, { systemUuid: MASTER });
  expect(r.problems).toEqual([]);
  content['.meta/.superblock'] = readDevice(dev, 0, 2 * MiB);
  content['.meta/.log'] = readDevice(dev, 2 * MiB, 8 * MiB);
  const mnt = path.join(dir, 'mnt');
  fs.mkdirSync(mnt);
  return { dir, dev, shadow, mnt, content, entries };
}

export interface Daemon {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** MASTER as text: the daemon's system UUID, so a world's mount is the master's. */
export const MASTER_UUID_TEXT = '30313233-3435-3637-3839-3a3b3c3d3e3f';

export function startDaemon(args: string[], env: Record<string, string> = {}): Daemon {
  const child = spawn(process.execPath, [BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, FAMFS_SYSTEM_UUID: MASTER_UUID_TEXT, ...env },
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, stderr: () => err, exited };
}

export async function waitFor(what: string, cond: () => boolean, ms = 15000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Unmounts if still mounted and kills the daemon we started if it still runs. */
export async function cleanup(w: World, d: Daemon | null): Promise<void> {
  if (isMounted(w.mnt)) {
    try {
      unmountFuse(w.mnt);
    } catch {
      try {
        unmountFuse(w.mnt, { lazy: true });
      } catch {
        // gone
      }
    }
  }
  if (d && d.child.exitCode === null && d.child.signalCode === null && d.child.pid) {
    process.kill(d.child.pid, 'SIGKILL');
    await d.exited;
  }
}

export function sh(cmd: string, args: string[]): { status: number | null; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return { status: r.status, out: (r.stdout ?? '') + (r.stderr ?? '') };
}
