/**
 * creat, verify and mkdir on real mounts, as a user runs them: the C famfs' error cases, the
 * capacity and log limits, and concurrent creators on the master.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { mountSuite, TestMounts } from './mounts';
import { C_MASTER_UUID, FAMFS_BIN, famfs, OTHER_UUID, sparseFile, useTempDir } from './run';

const lib = require('./built-libfamfs');
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const MASTER = Buffer.from(C_MASTER_UUID.replace(/-/g, ''), 'hex');

const tmp = useTempDir();
const mounts = new TestMounts(tmp);

/** mkfs (library: any size) and mount as the master; returns the device and mount point. */
function mounted(size = 8 * GiB, logLen?: number): { dev: string; mpt: string } {
  const dev = sparseFile(tmp(), size);
  lib.mkfs(dev, { systemUuid: MASTER, minDeviceSize: 0, logLen });
  const mpt = path.join(tmp(), 'mnt');
  const r = mounts.mount(dev, mpt);
  if (r.code !== 0) throw new Error(`mount failed: ${r.stderr}`);
  return { dev, mpt };
}

const run = (args: string[], uuid = C_MASTER_UUID) => famfs(args, mounts.env(uuid));
/** fsck of a device that is mounted: through the library, which allows it on request. */
const fsckMounted = (dev: string) => lib.fsckDevice(dev, { systemUuid: MASTER, allowMounted: true });
const entriesUsed = (dev: string) => fsckMounted(dev).log.entriesUsed;

mountSuite('famfs creat/verify/mkdir')('creat, verify and mkdir on a mounted famfs', () => {
  afterEach(() => mounts.cleanup());

  test('creat -r then verify: the C famfs stream, through the mount and the device', () => {
    const { mpt } = mounted();
    const f = path.join(mpt, 'data');
    expect(run(['creat', '-r', '-S', '1', '-s', '3m', f]).code).toBe(0);
    const bytes = fs.readFileSync(f);
    expect(bytes.length).toBe(3 * MiB);
    expect(bytes.subarray(0, 16).toString('hex')).toBe('284991ee66b6fb343a87ca18de441778');
    const ok = run(['verify', '-S', '1', '-f', f]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe(`Success: verified ${3 * MiB} bytes in file ${f}\n`);
    const bad = run(['verify', '-S', '2', '-f', f]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^Verify fail: .* at offset 0 of 3145728 bytes/);
    // A write through the mount breaks it at that offset.
    const fd = fs.openSync(f, 'r+');
    fs.writeSync(fd, Buffer.from([bytes[1234567] ^ 0xff]), 0, 1, 1234567);
    fs.closeSync(fd);
    expect(run(['verify', '-S', '1', '-f', f]).stderr).toMatch(/at offset 1234567 of/);
  });

  test('the error cases of the C famfs (reference §6.3): seeds, sizes, existing files, outside famfs', () => {
    const { mpt, dev } = mounted();
    const f = path.join(mpt, 'f');
    expect(run(['creat', '-S', '1', '-s', '1m', f]).stderr).toMatch(/--seed needs --randomize/);
    expect(run(['creat', '-s', '0', f]).code).toBe(1);
    expect(run(['creat', f]).stderr).toMatch(/needs a size/);
    expect(run(['creat', '-t', '1000', '-M', 'a,1m', '-r']).code).toBe(1);
    expect(run(['creat', '-t', '-1', '-M', 'a,1m', '-r']).code).toBe(1);
    expect(run(['creat', '-M', 'a,1m', '-S', '1', '-r']).stderr).toMatch(/cannot be combined/);
    expect(run(['creat', '-s', '1m', f]).code).toBe(0);
    const used = entriesUsed(dev);
    expect(run(['creat', '-s', '1m', f]).code).toBe(0); // same size: a no-op
    expect(run(['creat', f]).code).toBe(0); // no size: a no-op
    expect(entriesUsed(dev)).toBe(used);
    const diff = run(['creat', '-s', '2m', f]);
    expect(diff.code).toBe(1);
    expect(diff.stderr).toMatch(/exists with size 1048576/);
    const outside = run(['creat', '-s', '1m', path.join(tmp(), 'not-famfs')]);
    expect(outside.code).toBe(1);
    expect(outside.stderr).toMatch(/not in a mounted famfs/);
    expect(run(['verify', '-f', f]).code).toBe(1);
    expect(run(['verify', '-S', '1', '-f', f, '-m', `${f},1`]).code).toBe(1);
  });

  test('-M creates several files with their seeds; verify -m checks them', () => {
    const { mpt } = mounted();
    const a = path.join(mpt, 'a');
    const b = path.join(mpt, 'b');
    expect(run(['creat', '-r', '-M', `${a},1m,11`, '-M', `${b},5000,12`]).code).toBe(0);
    expect(run(['verify', '-m', `${a},11`, '-m', `${b},12`]).code).toBe(0);
    expect(run(['verify', '-m', `${a},12`, '-m', `${b},11`, '-m', `${b},12`]).code).toBe(2);
  });

  test('verify right after creat: a file whose shadow YAML the daemon has not written yet is taken from the log', () => {
    const dev = sparseFile(tmp(), 8 * GiB);
    lib.mkfs(dev, { systemUuid: MASTER, minDeviceSize: 0 });
    const mpt = path.join(tmp(), 'mnt');
    const shadow = path.join(tmp(), 'shadow');
    fs.mkdirSync(shadow);
    expect(mounts.mount(dev, mpt, C_MASTER_UUID, ['-S', shadow]).code).toBe(0);
    const f = path.join(mpt, 'late');
    expect(run(['creat', '-r', '-S', '3', '-s', '1m', f]).code).toBe(0);
    // The daemon writes the shadow tree in the background, after the file shows in the mount.
    // Once it has, its YAML is taken away: the state a verify run at once can meet.
    const yaml = path.join(shadow, 'root', 'late');
    const deadline = Date.now() + 10_000;
    while (!fs.existsSync(yaml) && Date.now() < deadline)
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    const written = fs.readFileSync(yaml);
    fs.rmSync(yaml);
    const r = run(['verify', '-S', '3', '-f', f]);
    expect(r).toMatchObject({ code: 0, stdout: `Success: verified ${MiB} bytes in file ${f}\n` });
    expect(fs.readFileSync(yaml)).toEqual(written);
  });

  test('mode, uid and gid are logged and survive a remount; mkdir -p logs each component', () => {
    const { mpt, dev } = mounted();
    expect(run(['mkdir', '-p', '-m', '0700', path.join(mpt, 'x/y/z')]).code).toBe(0);
    expect(entriesUsed(dev)).toBe(3);
    expect(run(['mkdir', '-p', path.join(mpt, 'x/y/z')]).code).toBe(0);
    expect(entriesUsed(dev)).toBe(3);
    expect(run(['creat', '-s', '4k', '-m', '0600', '-u', '1234', '-g', '4321', path.join(mpt, 'x/y/z/f')]).code).toBe(
      0,
    );
    expect(famfs(['umount', mpt], mounts.env()).code).toBe(0);
    mounts.forget();
    expect(mounts.mount(dev, mpt).code).toBe(0);
    const st = fs.statSync(path.join(mpt, 'x/y/z/f'));
    expect([st.mode & 0o777, st.uid, st.gid, st.size]).toEqual([0o600, 1234, 4321, 4096]);
    expect(fs.statSync(path.join(mpt, 'x/y')).mode & 0o777).toBe(0o700);
  });

  test('mkdir refusals: existing, missing parent, a file in the way, the mount point, .. escaping', () => {
    const { mpt } = mounted();
    expect(run(['mkdir', path.join(mpt, 'd')]).code).toBe(0);
    expect(run(['mkdir', path.join(mpt, 'd')]).stderr).toMatch(/already exists/);
    expect(run(['mkdir', path.join(mpt, 'no/such')]).stderr).toMatch(/does not exist/);
    expect(run(['creat', '-s', '1k', path.join(mpt, 'file')]).code).toBe(0);
    expect(run(['mkdir', path.join(mpt, 'file')]).code).toBe(1);
    expect(run(['mkdir', '-p', path.join(mpt, 'file/sub')]).stderr).toMatch(/is a file/);
    expect(run(['mkdir', mpt]).code).toBe(114);
    expect(run(['mkdir', path.join(mpt, '..', 'escape')]).stderr).toMatch(/not in a mounted famfs|not inside/);
  });

  test('a client may not create: refused, and the log stays byte-for-byte the same', () => {
    const { dev } = mounted();
    const client = path.join(tmp(), 'client');
    expect(mounts.mount(dev, client, OTHER_UUID).code).toBe(0);
    const fd = fs.openSync(dev, 'r');
    const log = Buffer.alloc(10 * MiB);
    fs.readSync(fd, log, 0, log.length, 0);
    for (const args of [
      ['creat', '-s', '1m', path.join(client, 'x')],
      ['mkdir', path.join(client, 'd')],
    ]) {
      const r = run(args, OTHER_UUID);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/is not the famfs master/);
    }
    const after = Buffer.alloc(10 * MiB);
    fs.readSync(fd, after, 0, after.length, 0);
    fs.closeSync(fd);
    expect(after.equals(log)).toBe(true);
  });

  test('a 1 GiB device holds exactly 507 files of 1 MiB; the 508th is out of space; fsck stays clean', () => {
    const { mpt, dev } = mounted(1 * GiB);
    const specs = Array.from({ length: 507 }, (_, i) => ['-M', `${path.join(mpt, `f${i}`)},1m`]).flat();
    expect(run(['creat', ...specs]).code).toBe(0);
    const r = run(['creat', '-s', '1m', path.join(mpt, 'f507')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no contiguous free space/);
    expect(run(['mkdir', path.join(mpt, 'dirs-still-fit')]).code).toBe(0);
    expect(fsckMounted(dev)).toMatchObject({ files: 507, collisionCount: 0, capacity: { freeBytes: 0 } });
  });

  test('filling the 8 MiB log: the next create is a clear log-full error; fsck and a fresh mount still work', () => {
    const { mpt, dev } = mounted();
    // Most of the log through the library (fast), the last slots through the command.
    const s = lib.LogSession.open(dev, { systemUuid: MASTER });
    for (let i = 0; i < 15418; i++) s.mkdir(`d${i}`);
    s.close();
    expect(run(['creat', '-M', `${path.join(mpt, 'd1/a')},1k`, '-M', `${path.join(mpt, 'd2/b')},1k`]).code).toBe(0);
    const full = run(['creat', '-s', '1k', path.join(mpt, 'one-more')]);
    expect(full.code).toBe(1);
    expect(full.stderr).toMatch(/the log is full \(15420 entries\)/);
    expect(run(['mkdir', path.join(mpt, 'one-more-dir')]).stderr).toMatch(/log is full/);
    expect(famfs(['umount', mpt], mounts.env()).code).toBe(0);
    mounts.forget();
    expect(famfs(['fsck', dev]).code).toBe(0);
    expect(mounts.mount(dev, mpt).code).toBe(0);
    expect(fs.statSync(path.join(mpt, 'd2/b')).size).toBe(1024);
  });

  test('8 concurrent creat processes making 100 files each: all 800 exist, no collisions', async () => {
    const { mpt, dev } = mounted();
    const one = (p: number) =>
      new Promise<number>((resolve, reject) => {
        const args = Array.from({ length: 100 }, (_, i) => [
          '-M',
          `${path.join(mpt, `p${p}-${i}`)},${100 + i}k`,
        ]).flat();
        const child = spawn(process.execPath, [FAMFS_BIN, 'creat', ...args], {
          env: { ...process.env, ...mounts.env() },
          stdio: 'ignore',
        });
        child.on('error', reject);
        child.on('exit', (code) => resolve(code ?? 1));
      });
    const codes = await Promise.all(Array.from({ length: 8 }, (_, p) => one(p)));
    expect(codes).toEqual(Array(8).fill(0));
    expect(fs.readdirSync(mpt).filter((n) => n.startsWith('p'))).toHaveLength(800);
    expect(fsckMounted(dev)).toMatchObject({ files: 800, collisionCount: 0, badEntries: [] });
  });
});
