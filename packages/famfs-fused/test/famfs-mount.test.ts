/**
 * Real mounts through the famfs_fused binary (bin/famfs_fused.js, run from dist): a device made
 * with libfamfs, file contents written straight into the device at their extents, the log
 * replayed into a shadow tree, then the daemon started in the foreground as a child process.
 *
 * Needs root and /dev/fuse; otherwise skipped with a printed reason (FAMFS_REQUIRE_MOUNT=1 makes
 * that a failure). Every test unmounts in finally and stops only the daemon it started, by PID.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as native from '@famfs/native';
import { isMounted, mountInfo, unmountFuse } from '@famfs/fuse';
import { parseArgs, runDaemon } from '../src/daemon/main';
import { cleanupTempDirs, readDevice, tempDir, writeDevice } from './helpers';
import { BIN, cleanup, Daemon, GiB, makeWorld, MiB, mountUnavailable, sh, startDaemon, waitFor } from './mount-world';

afterAll(cleanupTempDirs);

const reason = mountUnavailable();
const required = process.env.FAMFS_REQUIRE_MOUNT === '1';
if (reason && !required) console.log(`famfs-mount.test.ts skipped: ${reason}`);
const maybe = reason && !required ? describe.skip : describe;

maybe('famfs_fused binary: real mount', () => {
  beforeAll(() => {
    // The binary runs from dist/, which the jest global setup keeps fresh.
    if (reason) throw new Error(`FAMFS_REQUIRE_MOUNT=1 but ${reason}`);
  });

  test('--help and --version exit 0; bad command lines exit 1 and mount nothing', async () => {
    const help = sh(process.execPath, [BIN, '--help']);
    expect(help.status).toBe(0);
    expect(help.out).toMatch(/usage: famfs_fused/);
    const ver = sh(process.execPath, [BIN, '--version']);
    expect(ver.status).toBe(0);
    expect(ver.out).toMatch(/famfs_fused .*0\.1\.0/);
    const dir = tempDir('famfs-mnt-bad-');
    const mnt = path.join(dir, 'mnt');
    fs.mkdirSync(mnt);
    fs.mkdirSync(path.join(dir, 'shadow'));
    const unknown = sh(process.execPath, [BIN, '-f', '-o', `shadow=${dir},bogus=1`, mnt]);
    expect(unknown.status).toBe(1);
    expect(unknown.out).toMatch(/unknown -o option "bogus"/);
    expect(sh(process.execPath, [BIN, '-f', mnt]).out).toMatch(/shadow=PATH is required/);
    const noRoot = sh(process.execPath, [BIN, '-f', '-o', `shadow=${path.join(dir, 'shadow')}`, mnt]);
    expect(noRoot.status).toBe(1);
    expect(noRoot.out).toMatch(/does not exist/);
    expect(sh(process.execPath, [BIN, '-f', '-o', `shadow=${dir},cache=sometimes`, mnt]).status).toBe(1);
    expect(isMounted(mnt)).toBe(false);
  });

  test('a device that cannot be opened: exit 1 and no mount left behind', async () => {
    const dir = tempDir('famfs-mnt-nodev-');
    const mnt = path.join(dir, 'mnt');
    fs.mkdirSync(mnt);
    fs.mkdirSync(path.join(dir, 'shadow/root'), { recursive: true });
    // A directory exists (so the command line passes) but is no device: the file system cannot be built.
    const d = startDaemon(['-f', '-o', `shadow=${path.join(dir, 'shadow')},daxdev=${dir}`, mnt]);
    const r = await d.exited;
    expect(r.code).toBe(1);
    expect(d.stderr()).toMatch(/is a directory, not a famfs device/);
    expect(isMounted(mnt)).toBe(false);
    expect(d.stderr()).not.toMatch(/serving/);
  });

  test('the file system fails to start after the mount: unmounted, exit code 1', async () => {
    const dir = tempDir('famfs-mnt-boom-');
    const mnt = path.join(dir, 'mnt');
    fs.mkdirSync(mnt);
    fs.mkdirSync(path.join(dir, 'shadow/root'), { recursive: true });
    const boom = path.join(dir, 'boom.js');
    fs.writeFileSync(boom, "exports.createFileSystem = () => { throw new Error('boom'); };\n");
    const parsed = parseArgs(['-f', '-o', `shadow=${path.join(dir, 'shadow')}`, mnt]);
    if (parsed.kind !== 'run') throw new Error('parse');
    try {
      expect(await runDaemon(parsed.options, { fsModule: boom })).toBe(1);
      expect(isMounted(mnt)).toBe(false);
    } finally {
      if (isMounted(mnt)) unmountFuse(mnt, { lazy: true });
    }
  });

  test('ls, stat, read, mmap, write, refused ops, xattr, statfs, flock; SIGTERM unmounts and exits 0', async () => {
    const w = makeWorld();
    let d: Daemon | null = null;
    try {
      d = startDaemon(['-f', '-o', `shadow=${w.shadow},daxdev=${w.dev},fsname=${w.dev}`, w.mnt]);
      const pidFile = path.join(w.shadow, 'famfs_fused.pid');
      await waitFor('the mount and pid file', () => fs.existsSync(pidFile) || d!.child.exitCode !== null);
      expect(d.child.exitCode).toBeNull();
      expect(fs.readFileSync(pidFile, 'utf8').trim()).toBe(String(d.child.pid));
      const info = mountInfo(w.mnt);
      expect(info).toHaveLength(1);
      expect(info[0].source).toBe(w.dev);
      expect(info[0].fstype).toBe('fuse.famfs');
      // --abi auto (the default) probed the push generation's ioctl on the real /dev/fuse: ENOTTY, so V10.
      const generation = /famfs kernel ABI v10 \(DAXDEV_OPEN \(ioctl 0x4010e504\) answered ENOTTY: no push/;
      await waitFor('the generation log line', () => generation.test(d!.stderr()));

      // ls -lR, stat
      const ls = sh('ls', ['-lRa', w.mnt]);
      expect(ls.status).toBe(0);
      for (const n of ['.meta', 'a', 'striped', 'top', 'f1', 'b', 'deep', '.log', '.superblock'])
        expect(ls.out).toContain(n);
      expect(sh('stat', ['-c', '%s %a %u %g %F', path.join(w.mnt, 'a/f1')]).out.trim()).toBe(
        `${MiB} 644 1000 1001 regular file`,
      );
      expect(sh('stat', ['-c', '%s %a', path.join(w.mnt, 'a/b/deep')]).out.trim()).toBe(`${4 * MiB + 1} 600`);
      expect(sh('stat', ['-c', '%a %u', path.join(w.mnt, 'a')]).out.trim()).toBe('755 1000');
      expect(sh('stat', ['-c', '%s %a', path.join(w.mnt, '.meta/.log')]).out.trim()).toBe(`${8 * MiB} 644`);

      // Every file reads back as the device bytes.
      for (const [p, want] of Object.entries(w.content)) {
        const got = fs.readFileSync(path.join(w.mnt, p));
        expect({ p, len: got.length }).toEqual({ p, len: want.length });
        expect({ p, same: got.equals(want) }).toEqual({ p, same: true });
      }

      // xattr and statfs
      expect(native.getxattr(w.mnt, 'user.famfs.shadow')?.toString()).toBe(w.shadow);
      const df = sh('stat', ['-f', '-c', '%S %b %f', w.mnt]).out.trim().split(' ').map(Number);
      expect(df[0]).toBe(4096);
      expect(df[1]).toBe((8 * GiB) / 4096);
      expect(df[2]).toBeLessThan(df[1]);

      // mmap through the mount (direct I/O files with DIRECT_IO_ALLOW_MMAP).
      const topPath = path.join(w.mnt, 'top');
      const fd = fs.openSync(topPath, 'r+');
      try {
        const map = native.mmap(fd, 3_000_000, 0, true);
        try {
          expect(map.subarray(0, 3_000_000).equals(w.content['top'])).toBe(true);
          map.write('MMAPPED!', 4096);
          native.msync(map, 0, 8192, true);
        } finally {
          native.unmap(map);
        }
        const topOff = w.entries['top'].fmap.kind === 'simple' ? w.entries['top'].fmap.extents[0].offset : -1;
        expect(readDevice(w.dev, topOff + 4096, 8).toString()).toBe('MMAPPED!');

        // write(2) through the mount lands on the device at once; past EOF is EFBIG.
        const data = Buffer.from('written through famfs_fused');
        expect(fs.writeSync(fd, data, 0, data.length, 1_000_000)).toBe(data.length);
        expect(readDevice(w.dev, topOff + 1_000_000, data.length)).toEqual(data);
        expect(fs.writeSync(fd, Buffer.alloc(100, 1), 0, 100, 3_000_000 - 10)).toBe(10);
        expect(() => fs.writeSync(fd, Buffer.alloc(10, 1), 0, 10, 3_000_000)).toThrow(
          expect.objectContaining({ code: 'EFBIG' }),
        );
        expect(fs.fstatSync(fd).size).toBe(3_000_000);
      } finally {
        fs.closeSync(fd);
      }
      // Writes to the device are seen through the mount at once (direct I/O).
      writeDevice(
        w.dev,
        (w.entries['a/f1'].fmap as { extents: { offset: number }[] }).extents[0].offset,
        Buffer.from('FROM THE DEVICE'),
      );
      expect(fs.readFileSync(path.join(w.mnt, 'a/f1')).subarray(0, 15).toString()).toBe('FROM THE DEVICE');

      // Namespace changes and size changes are refused.
      expect(sh('truncate', ['-s', '0', topPath]).status).not.toBe(0);
      expect(sh('mkdir', [path.join(w.mnt, 'newdir')]).status).not.toBe(0);
      expect(sh('rm', ['-f', topPath]).status).not.toBe(0);
      expect(sh('rmdir', [path.join(w.mnt, 'a/b')]).status).not.toBe(0);
      expect(sh('ln', [topPath, path.join(w.mnt, 'hard')]).status).not.toBe(0);
      expect(sh('ln', ['-s', 'top', path.join(w.mnt, 'soft')]).status).not.toBe(0);
      expect(sh('mv', [topPath, path.join(w.mnt, 'moved')]).status).not.toBe(0);
      expect(sh('mknod', [path.join(w.mnt, 'fifo'), 'p']).status).not.toBe(0);
      const touch = sh('touch', [path.join(w.mnt, 'newfile')]);
      expect(touch.status).not.toBe(0);
      expect(touch.out).toMatch(/not supported/i);
      expect(fs.statSync(topPath).size).toBe(3_000_000);
      expect(fs.readdirSync(w.mnt).sort()).toEqual(['.meta', 'a', 'striped', 'top']);
      // chmod is kept in memory (C famfs_fused does the same).
      fs.chmodSync(topPath, 0o600);
      expect(fs.statSync(topPath).mode & 0o777).toBe(0o600);

      // flock through the mount: exclusive, and held against direct users of the device.
      const logPath = path.join(w.mnt, '.meta/.log');
      const held = sh('flock', [
        '-x',
        '-n',
        logPath,
        '-c',
        `flock -x -n ${logPath} true; echo inner=$?; flock -x -n ${w.dev} true; echo dev=$?`,
      ]);
      expect(held.status).toBe(0);
      expect(held.out).toContain('inner=1');
      expect(held.out).toContain('dev=1');
      expect(sh('flock', ['-x', '-n', logPath, 'true']).status).toBe(0);

      // SIGTERM: unmounted, exit 0, pid file gone.
      process.kill(d.child.pid!, 'SIGTERM');
      const r = await d.exited;
      expect(r).toEqual({ code: 0, signal: null });
      expect(isMounted(w.mnt)).toBe(false);
      expect(fs.existsSync(pidFile)).toBe(false);
    } catch (e) {
      if (d) console.log(`daemon output:\n${d.stderr()}`);
      throw e;
    } finally {
      await cleanup(w, d);
    }
  });

  test('unmounted from outside: the daemon exits 0', async () => {
    const w = makeWorld();
    let d: Daemon | null = null;
    try {
      d = startDaemon(['-f', '-d', '-o', `shadow=${w.shadow},daxdev=${w.dev},cache=always,timeout=5`, w.mnt]);
      await waitFor(
        'the mount',
        () => fs.existsSync(path.join(w.shadow, 'famfs_fused.pid')) || d!.child.exitCode !== null,
      );
      expect(fs.readFileSync(path.join(w.mnt, 'top')).equals(w.content['top'])).toBe(true);
      expect(mountInfo(w.mnt)[0].source).toBe(w.dev);
      unmountFuse(w.mnt);
      const r = await d.exited;
      expect(r).toEqual({ code: 0, signal: null });
      expect(d.stderr()).toMatch(/serving/);
    } catch (e) {
      if (d) console.log(`daemon output:\n${d.stderr()}`);
      throw e;
    } finally {
      await cleanup(w, d);
    }
  });
});
