/**
 * famfs mount of a dax device in every mode, on a famfs kernel and a stock one, and fsck and
 * logplay of a mounted device, on the fake sysfs (fake-host.ts) with real FUSE mounts. The kernel
 * under the mounts is this machine's stock one, so famfs_fused serves file data itself; on the
 * fake, it reaches the device's memory in every mode, as a famfs kernel does for its mounts. A
 * famfs command opening the node of a device in fsdev_dax mode reads zeros (the fake's rule), so
 * whatever a command reports about a mounted fsdev_dax device it read through the mount. Needs
 * root and /dev/fuse.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { DaxMode } from '../../libfamfs/src/device/mode-names';
import { fakeEnv, FakeSysfs, journal, putInMode, ROUND_TRIP, setKernel, useFakeHost } from './fake-host';
import { daemonsFor, fuseMountsUnder, mountSuite, TestMounts } from './mounts';
import { C_MASTER_UUID, famfs, OTHER_UUID, readBytes, Run, useTempDir } from './run';

const lib = require('./built-libfamfs');
const MASTER = Buffer.from(C_MASTER_UUID.replace(/-/g, ''), 'hex');
const MiB = 1024 ** 2;

const fake = useFakeHost();
const tmp = useTempDir();
const mounts = new TestMounts(tmp);
const made: string[] = [];

/** dax0.0 holding a famfs with a 1 MiB file `f` of known bytes, left in `mode`. */
function famfsDevice(f: FakeSysfs, mode: DaxMode): string {
  const node = f.addDevice('dax0.0');
  lib.mkfs(node, { systemUuid: MASTER });
  const s = lib.LogSession.open(node, { systemUuid: MASTER });
  const e = s.createFile('f', MiB, { mode: 0o644 });
  s.close();
  const fd = fs.openSync(f.mediaOf('dax0.0'), 'r+');
  fs.writeSync(fd, Buffer.alloc(MiB, 0x5a), 0, MiB, e.fmap.extents[0].offset);
  fs.closeSync(fd);
  putInMode(f, 'dax0.0', mode);
  return node;
}

function env(f: FakeSysfs, uuid = C_MASTER_UUID, extra: Record<string, string> = {}): Record<string, string> {
  return { ...mounts.env(uuid), ...fakeEnv(f), ...extra };
}

interface MountOptions {
  args?: string[];
  uuid?: string;
  env?: Record<string, string>;
}

function mount(f: FakeSysfs, node: string, mpt: string, opts: MountOptions = {}): Run {
  fs.mkdirSync(mpt, { recursive: true });
  const r = famfs(['mount', ...(opts.args ?? []), node, mpt], env(f, opts.uuid, opts.env));
  if (r.code === 0) made.push(mpt);
  return r;
}

/** Nothing mounted, no daemon, the shadow tree gone. */
function expectNothingLeft(r: Run): void {
  expect(fuseMountsUnder(tmp())).toEqual([]);
  expect(daemonsFor(tmp())).toEqual([]);
  const shadow = /shadow (\S+);/.exec(r.stdout)?.[1];
  if (shadow) expect(fs.existsSync(shadow)).toBe(false);
}

mountSuite('dax mode mount tests')('famfs mount of a dax device', () => {
  afterEach(() => {
    const f = fake();
    for (const m of made.splice(0)) famfs(['umount', m], env(f));
    mounts.cleanup();
  });

  test('famfs kernel, fsdev_dax: the replay switches to device_dax and back, the mount comes up in fsdev_dax', () => {
    const f = fake();
    setKernel(f, 'v10');
    const node = famfsDevice(f, 'fsdev_dax');
    const mpt = path.join(tmp(), 'mnt');
    const r = mount(f, node, mpt);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      'famfs mount: kernel: famfs V10 (FUSE famfs in the fuse module; ' + 'daxdevs pulled with GET_DAXDEV)\n',
    );
    expect(r.stdout).toContain('famfs mount: dax device dax0.0 is in fsdev_dax mode\n');
    expect(r.stdout).toMatch(/as master; shadow .*; 1 log entries; 1 files; 0 directories/);
    expect(journal(f)).toEqual(ROUND_TRIP);
    expect(f.modeOf('dax0.0')).toBe('fsdev_dax');
    expect(fs.readdirSync(mpt).sort()).toEqual(['.meta', 'f']);
    expect(fs.readFileSync(path.join(mpt, 'f')).equals(Buffer.alloc(MiB, 0x5a))).toBe(true);
  });

  test("famfs kernel, device_dax: refused without --set-daxmode (C famfs' rule), switched with it", () => {
    const f = fake();
    setKernel(f, 'v10');
    const node = famfsDevice(f, 'device_dax');
    const mpt = path.join(tmp(), 'mnt');
    const no = mount(f, node, mpt);
    expect(no.code).toBe(1);
    expect(no.stderr.trimEnd().split('\n')).toEqual([
      `famfs mount: dax device ${node} is in device_dax mode (daxctl: devdax), but famfs mounts on this kernel ` +
        `need fsdev_dax mode (daxctl: famfs); fix: famfs mount --set-daxmode ${node} ${mpt}`,
    ]);
    expect(f.writes).toEqual([]);
    expectNothingLeft(no);

    const yes = mount(f, node, mpt, { args: ['--set-daxmode'] });
    expect(yes.stderr).toBe('');
    expect(yes.code).toBe(0);
    expect(yes.stdout).toContain(
      'famfs mount: dax device dax0.0 switched from device_dax to fsdev_dax mode (--set-daxmode)\n',
    );
    expect(journal(f)).toEqual(['device_dax/remove_id=ok', 'device_dax/unbind=ok', 'fsdev_dax/new_id=ok']);
    expect(f.modeOf('dax0.0')).toBe('fsdev_dax');
  });

  test('famfs kernel: system-ram refused even with -M; no driver refused, then bound with -M', () => {
    const f = fake();
    setKernel(f, 'v10');
    const node = famfsDevice(f, 'system-ram');
    const mpt = path.join(tmp(), 'mnt');
    const ram = mount(f, node, mpt, { args: ['-M'] });
    expect(ram.code).toBe(1);
    expect(ram.stderr).toContain(
      'system-ram mode (driver kmem): its memory belongs to the kernel, so famfs cannot ' +
        'use it; fix: daxctl reconfigure-device --mode=devdax --force dax0.0 && ' +
        'daxctl reconfigure-device --mode=famfs dax0.0\n',
    );
    expectNothingLeft(ram);

    putInMode(f, 'dax0.0', 'none');
    const none = mount(f, node, mpt);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain(
      'mode none (no driver bound), but famfs mounts on this kernel need fsdev_dax mode ' +
        '(daxctl: famfs); fix: famfs mount --set-daxmode',
    );
    expect(f.writes).toEqual([]);
    const bound = mount(f, node, mpt, { args: ['-M'] });
    expect(bound.stderr).toBe('');
    expect(bound.code).toBe(0);
    expect(bound.stdout).toContain('switched from none to fsdev_dax mode');
    expect(f.modeOf('dax0.0')).toBe('fsdev_dax');
  });

  test('a mount that fails after --set-daxmode switched the device puts the mode back', () => {
    const f = fake();
    setKernel(f, 'v10');
    const node = famfsDevice(f, 'device_dax');
    const r = mount(f, node, path.join(tmp(), 'mnt'), { args: ['-M'], env: { FAMFS_FUSED: '/bin/false' } });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/famfs_fused did not bring up/);
    expect(journal(f)).toEqual([
      'device_dax/remove_id=ok',
      'device_dax/unbind=ok',
      'fsdev_dax/new_id=ok',
      'fsdev_dax/remove_id=ok',
      'fsdev_dax/unbind=ok',
      'device_dax/bind=ok',
    ]);
    expect(f.modeOf('dax0.0')).toBe('device_dax');
    expectNothingLeft(r);
  });

  test('stock kernel: device_dax mounts as it is and serves the bytes; fsdev_dax refused, or switched with -M', () => {
    const f = fake();
    setKernel(f, 'stock');
    const node = famfsDevice(f, 'device_dax');
    const mpt = path.join(tmp(), 'mnt');
    const r = mount(f, node, mpt);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      'famfs mount: kernel: none (a stock kernel: famfs_fused serves file data from the device itself)\n',
    );
    expect(r.stdout).toContain('famfs mount: dax device dax0.0 is in device_dax mode\n');
    expect(fs.readFileSync(path.join(mpt, 'f')).equals(Buffer.alloc(MiB, 0x5a))).toBe(true);
    expect(f.writes).toEqual([]);
    expect(famfs(['umount', mpt], env(f)).code).toBe(0);
    made.length = 0;

    putInMode(f, 'dax0.0', 'fsdev_dax');
    const no = mount(f, node, mpt);
    expect(no.code).toBe(1);
    expect(no.stderr).toContain(
      `dax device ${node} is in fsdev_dax mode (daxctl: famfs), but this kernel has no ` +
        'famfs ' +
        'support, so famfs_fused must map the device itself, which only device_dax mode (daxctl: devdax) allows; ' +
        'fix: famfs mount --set-daxmode',
    );
    expect(f.writes).toEqual([]);
    const yes = mount(f, node, mpt, { args: ['-M'] });
    expect(yes.code).toBe(0);
    expect(yes.stdout).toContain('switched from fsdev_dax to device_dax mode');
    expect(fs.readFileSync(path.join(mpt, 'f')).equals(Buffer.alloc(MiB, 0x5a))).toBe(true);
  });

  test('a mounted device in fsdev_dax: fsck, logplay, check read through the mount; mkfs, fsck of it refused', () => {
    const f = fake();
    setKernel(f, 'v10');
    const node = famfsDevice(f, 'fsdev_dax');
    const mpt = path.join(tmp(), 'mnt');
    expect(mount(f, node, mpt).code).toBe(0);
    f.clearWrites();
    // The mount reaches the memory (famfs_fused stands in for the kernel's DAX path); the node does not.
    expect(fs.readFileSync(path.join(mpt, 'f')).equals(Buffer.alloc(MiB, 0x5a))).toBe(true);
    expect(readBytes(node, 0, 4096)).toEqual(Buffer.alloc(4096));

    const fsck = famfs(['fsck', mpt], env(f));
    expect(fsck.stderr).toBe('');
    expect(fsck.code).toBe(0);
    expect(fsck.stdout).toContain(`famfs_fsck: backing device: ${node}\n`);
    expect(fsck.stdout).toMatch(/\n {2}1 files\n {2}0 directories\n/);
    const json = JSON.parse(famfs(['fsck', '--json', path.join(mpt, 'f')], env(f)).stdout);
    expect(json).toMatchObject({ mount: { mountpoint: mpt, device: node }, files: 1, superblock: { role: 'master' } });

    const lp = famfs(['logplay', mpt], env(f));
    expect(lp.code).toBe(0);
    expect(lp.stdout).toMatch(/1 log entries; 0 new files/);
    const shadow = path.join(tmp(), 'shadow');
    fs.mkdirSync(shadow);
    const lpDev = famfs(['logplay', '--daxdev', node, '--shadow', shadow], env(f));
    expect(lpDev.code).toBe(0);
    expect(fs.existsSync(path.join(shadow, 'root', 'f'))).toBe(true);
    expect(famfs(['check', mpt], env(f)).code).toBe(0);
    expect(famfs(['getmap', path.join(mpt, 'f')], env(f)).code).toBe(0);

    const busy = famfs(['fsck', node], env(f));
    expect(busy.code).toBe(16);
    expect(busy.stderr).toMatch(/is mounted at .*; check the mounted file system by its path instead/);
    const mk = famfs(['mkfs', '-f', node], env(f));
    expect(mk.code).toBe(2);
    expect(mk.stderr).toMatch(/cannot mkfs .*: it is mounted at/);
    // Creating files still needs the device mapped (a known gap): refused in one sentence.
    const md = famfs(['mkdir', path.join(mpt, 'd')], env(f));
    expect(md.code).toBe(1);
    expect(md.stderr.trimEnd()).toBe(
      `famfs mkdir: dax device ${node} is in fsdev_dax mode (daxctl: famfs), whose ` +
        'node cannot be mapped, and appending to the log needs the device mapped (famfs-ts cannot do it through a ' +
        'mount yet); ' +
        'fix: daxctl reconfigure-device --mode=devdax dax0.0',
    );
    expect(f.writes).toEqual([]);
    expect(f.modeOf('dax0.0')).toBe('fsdev_dax');
  });

  test('a second host on a famfs kernel replays through the first mount; nothing is switched or opened raw', () => {
    const f = fake();
    setKernel(f, 'v10');
    const node = famfsDevice(f, 'fsdev_dax');
    expect(mount(f, node, path.join(tmp(), 'm1')).code).toBe(0);
    f.clearWrites();
    const m2 = path.join(tmp(), 'm2');
    const r = mount(f, node, m2, { uuid: OTHER_UUID });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/as client; shadow .*; 1 log entries; 1 files/);
    expect(fs.readFileSync(path.join(m2, 'f')).equals(Buffer.alloc(MiB, 0x5a))).toBe(true);
    expect(f.writes).toEqual([]);
  });
});
