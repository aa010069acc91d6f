/**
 * A real mount of the toy file system through /dev/fuse, served by a session worker.
 * Needs root and /dev/fuse; otherwise skipped with a printed reason (FAMFS_REQUIRE_MOUNT=1 makes
 * that a failure). The worker runs from dist, so the package is built in beforeAll.
 */
import * as fs from 'fs';
import * as path from 'path';
import { execFile, execFileSync } from 'child_process';
import { promisify } from 'util';
import { mountFuse, unmountFuse } from '../src/mount/mount';
import { startSession, SessionHandle } from '../src/session/start';
import { describeStats } from '../src/session/session';
import { initFlagNames, Opcode } from '../src/protocol/abi';
import { patternBytes } from '../src/testing/memfs';
import { cleanupTempDirs, releaseMount, tempDir } from './helpers';

afterAll(cleanupTempDirs);

const run = promisify(execFile);
const PKG = path.resolve(__dirname, '..');

function mountUnavailable(): string | null {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'not running as root';
  if (!fs.existsSync('/dev/fuse')) return '/dev/fuse is missing';
  return null;
}

const reason = mountUnavailable();
if (reason && process.env.FAMFS_REQUIRE_MOUNT !== '1') {
  console.log(`mount.test.ts skipped: ${reason}`);
}
const maybe = reason && process.env.FAMFS_REQUIRE_MOUNT !== '1' ? describe.skip : describe;

maybe('real FUSE mount of the in-memory file system', () => {
  let dir: string;
  beforeAll(() => {
    if (reason) throw new Error(`FAMFS_REQUIRE_MOUNT=1 but ${reason}`);
    dir = tempDir('famfs-fused-mount-');
    // The worker runs compiled code: build libfamfs (its dist is what the worker imports) and this package.
    const tsc = require.resolve('typescript/bin/tsc');
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.json'], {
      cwd: path.resolve(PKG, '../libfamfs'),
      stdio: 'pipe',
    });
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: PKG, stdio: 'pipe' });
  });

  test('ls, stat, cat, 4 MiB read in 1 MiB chunks, unmount ends the worker; auto probe: ENOTTY', async () => {
    const mnt = path.join(dir, 'mnt');
    fs.mkdirSync(mnt);
    const big = { size: 4 << 20, seed: 1234 };
    let handle: SessionHandle | null = null;
    let mounted = false;
    try {
      const m = mountFuse({ mountpoint: mnt, fsname: 'famfs-toy', subtype: 'famfs-toy', maxRead: 1 << 20 });
      mounted = true;
      handle = startSession({
        fd: m.fd,
        fsModule: path.join(PKG, 'dist/testing/memfs.js'),
        fsOptions: {
          files: { '/hello.txt': 'hello world\n', '/data/big.bin': big },
          rootXattrs: { 'user.famfs.shadow': '/x' },
        },
        // "auto": after INIT the session probes the push generation's DAXDEV_OPEN on the real /dev/fuse.
        session: { profile: 'auto' },
        mountpoint: mnt,
        statsIntervalMs: 20,
        log: (l) => console.log(`worker: ${l}`),
      });
      const init = await handle.initialized;
      expect(init).not.toBeNull();
      // A stock kernel has no DAXDEV_OPEN: ENOTTY, so the session stays on v10.
      console.log(`DAXDEV_OPEN probe on a real /dev/fuse: ${JSON.stringify(init!.probes)}`);
      expect(init!.probes).toEqual([{ profile: 'push', ioctl: 0x4010e504, answer: 'ENOTTY', present: false }]);
      expect(init!.profile).toBe('v10');
      console.log(
        `mounted; kernel 7.${init!.kernelMinor} offered ${initFlagNames(init!.kernelFlags).join(',')}; ` +
          `we replied 7.${init!.minor} ${initFlagNames(init!.flags).join(',')}`,
      );

      const ls = await run('ls', ['-a', mnt]);
      expect(ls.stdout.split('\n').filter(Boolean).sort()).toEqual(['.', '..', 'data', 'hello.txt']);
      const st = await run('stat', ['-c', '%s %F %a', path.join(mnt, 'hello.txt')]);
      expect(st.stdout.trim()).toBe('12 regular file 644');
      const cat = await run('cat', [path.join(mnt, 'hello.txt')]);
      expect(cat.stdout).toBe('hello world\n');

      // Read the 4 MiB file with 1 MiB reads (O_DIRECT, so each becomes a READ of up to 1 MiB).
      const expected = patternBytes(big.size, big.seed);
      const fh = await fs.promises.open(path.join(mnt, 'data/big.bin'), fs.constants.O_RDONLY | fs.constants.O_DIRECT);
      const got = Buffer.alloc(big.size);
      try {
        let at = 0;
        for (;;) {
          const { bytesRead } = await fh.read(got, at, Math.min(1 << 20, big.size - at), at);
          if (bytesRead === 0 || at + bytesRead >= big.size) {
            at += bytesRead;
            break;
          }
          at += bytesRead;
        }
        expect(at).toBe(big.size);
      } finally {
        await fh.close();
      }
      expect(got.equals(expected)).toBe(true);
      // And once more through the page cache.
      expect((await fs.promises.readFile(path.join(mnt, 'data/big.bin'))).equals(expected)).toBe(true);

      // Stats come while serving: the first request after each 20 ms interval posts them.
      const deadline = Date.now() + 5000;
      while ((handle.stats()?.requests.get(Opcode.READ) ?? 0) < 4 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 30));
        fs.closeSync(fs.openSync(path.join(mnt, 'hello.txt'), 'r')); // OPEN and RELEASE reach the worker
      }
      expect(handle.stats()!.requests.get(Opcode.READ)).toBeGreaterThanOrEqual(4);

      unmountFuse(mnt);
      mounted = false;
      const exit = await handle.exited;
      expect(exit.reason).toBe('closed');
      const counts = describeStats(exit.stats!.requests);
      console.log(`requests served: ${JSON.stringify(counts)}`);
      expect(counts.INIT).toBe(1);
      expect(counts.READ).toBeGreaterThanOrEqual(4);
      expect(exit.stats!.fsExceptions).toBe(0);
      expect(exit.stats!.replyErrors).toBe(0);
    } finally {
      await releaseMount(mnt, mounted, handle, dir);
    }
  });
});
