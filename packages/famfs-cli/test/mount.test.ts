/**
 * famfs mount / umount / logplay MOUNTPOINT on real FUSE mounts, run as a user would: spawned
 * binaries, a sparse device file, two "hosts" (system UUIDs) on one machine. Needs root and
 * /dev/fuse; skipped with a printed reason otherwise, unless FAMFS_REQUIRE_MOUNT=1.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { daemonsFor, fuseMountsUnder, mountSuite, TestMounts } from './mounts';
import { C_MASTER_UUID, famfs, OTHER_UUID, readBytes, sparseFile, useTempDir } from './run';
import { waitFor } from '../src/wait';

const lib = require('./built-libfamfs');
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const MASTER = Buffer.from(C_MASTER_UUID.replace(/-/g, ''), 'hex');

const tmp = useTempDir();
const mounts = new TestMounts(tmp);
const env = (uuid?: string) => mounts.env(uuid);
const mount = (dev: string, mpt: string, uuid?: string, extra?: string[]) => mounts.mount(dev, mpt, uuid, extra);

/** A device with a directory and files whose data is a known pattern written straight to the device. */
function populatedDevice(dir: string) {
  const dev = sparseFile(dir, 8 * GiB);
  lib.mkfs(dev, { systemUuid: MASTER });
  const s = lib.LogSession.open(dev, { systemUuid: MASTER });
  const files: Record<string, { size: number; offset: number }> = {};
  try {
    s.mkdir('dir', { mode: 0o755 });
    for (const [name, size] of [
      ['dir/small', 1000],
      ['big', 5 * MiB + 7],
      ['dir/two-mib', 2 * MiB],
    ] as const) {
      const e = s.createFile(name, size, { mode: 0o644 });
      files[name] = { size, offset: e.fmap.extents[0].offset };
    }
  } finally {
    s.close();
  }
  const fd = fs.openSync(dev, 'r+');
  for (const [name, f] of Object.entries(files)) {
    const data = Buffer.alloc(f.size);
    for (let i = 0; i < f.size; i++) data[i] = (i * 31 + name.length) & 0xff;
    fs.writeSync(fd, data, 0, data.length, f.offset);
  }
  fs.closeSync(fd);
  return { dev, files };
}

mountSuite('famfs mount tests')('famfs mount on a file-backed device', () => {
  afterEach(() => mounts.cleanup());

  test('master and client mounts serve the device bytes; writes and logplay cross between them; umount leaves nothing', () => {
    const { dev, files } = populatedDevice(tmp());
    const m1 = path.join(tmp(), 'm1');
    const m2 = path.join(tmp(), 'm2');
    const r1 = mount(dev, m1);
    expect(r1.stderr).toBe('');
    expect(r1.code).toBe(0);
    expect(r1.stdout).toMatch(/as master; shadow .*; 4 log entries; 3 files; 1 directories/);
    const shadow1 = /shadow (\S+);/.exec(r1.stdout)![1];
    // The daemon writes the shadow tree in the background, after the mount answers.
    expect(waitFor(() => fs.existsSync(path.join(shadow1, 'root', 'dir', 'small')), 10_000)).toBe(true);

    const ls = execFileSync('ls', ['-lRa', m1], { encoding: 'utf8' });
    expect(ls).toMatch(/\.meta/);
    expect(ls).toMatch(/two-mib/);
    for (const [name, f] of Object.entries(files)) {
      expect(fs.statSync(path.join(m1, name)).size).toBe(f.size);
      expect(fs.readFileSync(path.join(m1, name)).equals(readBytes(dev, f.offset, f.size))).toBe(true);
    }
    expect(fs.statSync(path.join(m1, '.meta/.log')).mode & 0o777).toBe(0o644);

    // A second host: another system UUID, the same device.
    expect(mount(dev, m2, OTHER_UUID).code).toBe(0);
    expect(fs.statSync(path.join(m2, '.meta/.log')).mode & 0o777).toBe(0o444);
    const big = path.join('big');
    expect(fs.readFileSync(path.join(m2, big)).equals(fs.readFileSync(path.join(m1, big)))).toBe(true);

    // A write through the master's mount is seen at once through the client's.
    const fd = fs.openSync(path.join(m1, 'dir/small'), 'r+');
    fs.writeSync(fd, Buffer.from('hello from the master'), 0, 21, 100);
    fs.closeSync(fd);
    expect(fs.readFileSync(path.join(m2, 'dir/small')).subarray(100, 121).toString()).toBe('hello from the master');

    // The master logs a new file; the client follows the log and shows it at once; famfs logplay
    // reports it as what the mount gained since the mount (or the last logplay).
    const s = lib.LogSession.open(dev, { systemUuid: MASTER });
    s.createFile('dir/new', 4096);
    s.close();
    expect(fs.statSync(path.join(m2, 'dir/new')).size).toBe(4096);
    const lp = famfs(['logplay', m2], env(OTHER_UUID));
    expect(lp.code).toBe(0);
    expect(lp.stdout).toMatch(/famfs_logplay\(mount\): 5 log entries; 1 new files; 0 new directories/);
    expect(famfs(['logplay', m2], env(OTHER_UUID)).stdout).toMatch(/5 log entries; 0 new files; 0 new directories/);

    for (const m of [m1, m2]) {
      const u = famfs(['umount', m], env());
      expect(u.code).toBe(0);
    }
    mounts.forget();
    expect(fuseMountsUnder(tmp())).toEqual([]);
    expect(daemonsFor(tmp())).toEqual([]);
    expect(fs.existsSync(shadow1)).toBe(false);
  });

  test('refusals leave nothing mounted and no daemon: no superblock, mounted twice, used shadow', () => {
    const { dev } = populatedDevice(tmp());
    const blank = sparseFile(tmp(), 8 * GiB, 'blank.img');
    const m1 = path.join(tmp(), 'm1');
    const nos = mount(blank, m1);
    expect(nos.code).not.toBe(0);
    expect(nos.stderr).toMatch(/no valid famfs superblock/);
    expect(fuseMountsUnder(tmp())).toEqual([]);

    expect(mount(dev, m1).code).toBe(0);
    const twice = mount(dev, path.join(tmp(), 'm2'));
    expect(twice.code).toBe(1);
    expect(twice.stderr).toMatch(/already mounted at .* by this host/);

    const shadow = path.join(tmp(), 'shadow');
    fs.mkdirSync(path.join(shadow, 'root'), { recursive: true });
    const used = mount(blank, path.join(tmp(), 'm3'), C_MASTER_UUID, ['-S', shadow]);
    expect(used.stderr).toMatch(/already holds a root/);
    expect(fuseMountsUnder(tmp())).toEqual([m1]);
    expect(daemonsFor(tmp())).toHaveLength(1);
  });

  test('a SIGKILLed daemon leaves a mount that famfs umount cleans', () => {
    const { dev } = populatedDevice(tmp());
    const m1 = path.join(tmp(), 'm1');
    const shadow = path.join(tmp(), 'sh');
    fs.mkdirSync(shadow);
    expect(mount(dev, m1, C_MASTER_UUID, ['-S', shadow]).code).toBe(0);
    const [pid] = daemonsFor(tmp());
    process.kill(pid, 'SIGKILL');
    const u = famfs(['umount', m1], env());
    expect(u.code).toBe(0);
    expect(fuseMountsUnder(tmp())).toEqual([]);
    expect(fs.existsSync(path.join(shadow, 'root'))).toBe(false);
    // The same shadow path can be used again.
    expect(mount(dev, m1, C_MASTER_UUID, ['-S', shadow]).code).toBe(0);
  });
});
