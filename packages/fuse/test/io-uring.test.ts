/**
 * A real mount served through FUSE over io_uring (SessionOptions.ioUring), and the same option on
 * a kernel that does not offer it. The fuse module's enable_uring is switched for each test and
 * put back as it was. Needs root, /dev/fuse, a kernel with the parameter (6.14+) and io_uring
 * enabled (kernel.io_uring_disabled 0); otherwise skipped with a printed reason.
 */
import * as fs from 'fs';
import * as path from 'path';
import { execFile, execFileSync } from 'child_process';
import { promisify } from 'util';
import { mountFuse, unmountFuse } from '../src/mount/mount';
import { startSession, SessionHandle, SessionExit } from '../src/session/start';
import { describeStats } from '../src/session/session';
import { patternBytes } from '../src/testing/memfs';
import { cleanupTempDirs, releaseMount, tempDir } from './helpers';

afterAll(cleanupTempDirs);

const run = promisify(execFile);
const PKG = path.resolve(__dirname, '..');
const ENABLE_URING = '/sys/module/fuse/parameters/enable_uring';

function unavailable(): string | null {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'not running as root';
  if (!fs.existsSync('/dev/fuse')) return '/dev/fuse is missing';
  if (!fs.existsSync(ENABLE_URING)) return `${ENABLE_URING} is missing (a kernel without FUSE over io_uring)`;
  try {
    if (fs.readFileSync('/proc/sys/kernel/io_uring_disabled', 'utf8').trim() !== '0') return 'io_uring is disabled';
  } catch {
    // older kernels have no such switch: io_uring is on
  }
  return null;
}

const reason = unavailable();
if (reason) console.log(`io-uring.test.ts skipped: ${reason}`);
const maybe = reason ? describe.skip : describe;

/** Sets enable_uring for the duration of fn, then puts the old value back. */
async function withEnableUring<T>(on: boolean, fn: () => Promise<T>): Promise<T> {
  const old = fs.readFileSync(ENABLE_URING, 'utf8').trim();
  fs.writeFileSync(ENABLE_URING, on ? 'Y' : 'N');
  try {
    return await fn();
  } finally {
    fs.writeFileSync(ENABLE_URING, old);
  }
}

maybe('FUSE over io_uring', () => {
  beforeAll(() => {
    // The worker runs compiled code: build libfamfs (which the worker imports) and this package.
    const tsc = require.resolve('typescript/bin/tsc');
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.json'], {
      cwd: path.resolve(PKG, '../libfamfs'),
      stdio: 'pipe',
    });
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: PKG, stdio: 'pipe' });
  });

  /** Mounts the toy file system with ioUring asked for, runs body, unmounts; returns the session's end. */
  async function serve(
    files: Record<string, unknown>,
    body: (mnt: string, handle: SessionHandle) => Promise<void>,
    maxWrite?: number,
  ): Promise<{ exit: SessionExit; logs: string[] }> {
    const dir = tempDir('famfs-fuse-uring-');
    const mnt = path.join(dir, 'mnt');
    fs.mkdirSync(mnt);
    const logs: string[] = [];
    let handle: SessionHandle | null = null;
    let mounted = false;
    try {
      const m = mountFuse({ mountpoint: mnt, fsname: 'famfs-toy', subtype: 'famfs-toy', maxRead: 1 << 20 });
      mounted = true;
      handle = startSession({
        fd: m.fd,
        fsModule: path.join(PKG, 'dist/testing/memfs.js'),
        fsOptions: { files, timeout: 0 },
        session: { ioUring: true, maxWrite },
        mountpoint: mnt,
        log: (l) => logs.push(l),
      });
      await body(mnt, handle);
      unmountFuse(mnt);
      mounted = false;
      return { exit: await handle.exited, logs };
    } finally {
      await releaseMount(mnt, mounted, handle, dir);
    }
  }

  test('enable_uring on: requests come through the ring, FORGETs through /dev/fuse, bytes intact, unmount ends it', async () => {
    const big = { size: 4 << 20, seed: 77 };
    const { exit, logs } = await withEnableUring(true, () =>
      serve({ '/hello.txt': 'hello ring\n', '/data/big.bin': big }, async (mnt, handle) => {
        const init = await handle.initialized;
        expect(init).not.toBeNull();
        expect(init!.ioUring).toBe(true);

        const ls = await run('ls', ['-a', mnt]);
        expect(ls.stdout.split('\n').filter(Boolean).sort()).toEqual(['.', '..', 'data', 'hello.txt']);
        expect((await run('stat', ['-c', '%s %F', path.join(mnt, 'hello.txt')])).stdout.trim()).toBe('11 regular file');
        expect((await run('cat', [path.join(mnt, 'hello.txt')])).stdout).toBe('hello ring\n');
        expect(fs.existsSync(path.join(mnt, 'missing'))).toBe(false);

        // 1 MiB O_DIRECT reads: each is one READ whose whole reply goes through a ring entry.
        const expected = patternBytes(big.size, big.seed);
        const fh = await fs.promises.open(
          path.join(mnt, 'data/big.bin'),
          fs.constants.O_RDONLY | fs.constants.O_DIRECT,
        );
        const got = Buffer.alloc(big.size);
        try {
          for (let at = 0; at < big.size;) {
            const { bytesRead } = await fh.read(got, at, Math.min(1 << 20, big.size - at), at);
            expect(bytesRead).toBeGreaterThan(0);
            at += bytesRead;
          }
        } finally {
          await fh.close();
        }
        expect(got.equals(expected)).toBe(true);
        expect((await fs.promises.readFile(path.join(mnt, 'data/big.bin'))).equals(expected)).toBe(true);

        // Evicting the mount's unused inodes makes the kernel send FORGETs, which do not go
        // through the ring: the session reads them from /dev/fuse. A stat afterwards keeps the
        // session busy until they are surely in.
        fs.writeFileSync('/proc/sys/vm/drop_caches', '2');
        fs.statSync(path.join(mnt, 'hello.txt'));
      }),
    );
    expect(exit.reason).toBe('closed');
    const counts = describeStats(exit.stats!.requests);
    console.log(`through io_uring: ${JSON.stringify(counts)}; ring requests ${exit.stats!.ringRequests}`);
    expect(exit.stats!.ringRequests).toBeGreaterThanOrEqual(8);
    expect(counts.READ).toBeGreaterThanOrEqual(4);
    expect((counts.FORGET ?? 0) + (counts.BATCH_FORGET ?? 0)).toBeGreaterThanOrEqual(1);
    // INIT and the FORGETs came through /dev/fuse; everything else through the ring.
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    expect(exit.stats!.ringRequests).toBe(total - 1 - (counts.FORGET ?? 0) - (counts.BATCH_FORGET ?? 0));
    expect(exit.stats!.fsExceptions).toBe(0);
    expect(exit.stats!.replyErrors).toBe(0);
    expect(logs.filter((l) => /io_uring/.test(l))).toEqual([]);
  });

  test('enable_uring off: the kernel does not offer it, and the session serves through /dev/fuse', async () => {
    const { exit } = await withEnableUring(false, () =>
      serve({ '/hello.txt': 'hello dev\n' }, async (mnt, handle) => {
        const init = await handle.initialized;
        expect(init!.ioUring).toBe(false);
        expect((await run('cat', [path.join(mnt, 'hello.txt')])).stdout).toBe('hello dev\n');
      }),
    );
    expect(exit.reason).toBe('closed');
    expect(exit.stats!.ringRequests).toBe(0);
    expect(describeStats(exit.stats!.requests).READ).toBeGreaterThanOrEqual(1);
  });

  test('a request larger than the session buffer is answered EIO by the ring, never handed out; every queue keeps serving', async () => {
    const cpus = fs
      .readFileSync('/sys/devices/system/cpu/online', 'utf8')
      .trim()
      .split(',')
      .flatMap((r) => {
        const [a, b = a] = r.split('-').map(Number);
        return Array.from({ length: b - a + 1 }, (_, k) => a + k);
      });
    // max_write 4096: the session reads into 8192 bytes (the ring entries still take 128 KiB).
    const { exit } = await withEnableUring(true, () =>
      serve(
        { '/f': 'small\n' },
        async (mnt, handle) => {
          expect((await handle.initialized)!.ioUring).toBe(true);
          // One client per online CPU, pinned there, so that each CPU's queue is used.
          for (const cpu of cpus) {
            const on = ['-c', String(cpu)];
            // SETXATTR with a 20,000-byte value: a request of about 20 KB.
            const big = await run('taskset', [
              ...on,
              'setfattr',
              '-n',
              'user.big',
              '-v',
              'x'.repeat(20000),
              path.join(mnt, 'f'),
            ]).then(
              () => 'succeeded',
              (e: { stderr?: string }) => e.stderr ?? '',
            );
            expect(big).toMatch(/Input\/output error/);
            expect((await run('taskset', [...on, 'cat', path.join(mnt, 'f')])).stdout).toBe('small\n');
          }
        },
        4096,
      ),
    );
    expect(exit.reason).toBe('closed');
    expect(describeStats(exit.stats!.requests).SETXATTR).toBeUndefined();
  });
});
