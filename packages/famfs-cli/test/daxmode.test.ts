/**
 * famfs mkfs, fsck and logplay of a dax device in every mode, and famfs check-system, as a user
 * runs them: real famfs processes on the fake sysfs (see fake-host.ts for the seam). The mounts
 * are in daxmode-mount.test.ts.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { DaxMode } from '../../libfamfs/src/device/mode-names';
import { fakeEnv, FakeSysfs, journal, putInMode, ROUND_TRIP, setKernel, useFakeHost } from './fake-host';
import { famfs, readBytes, Run, useTempDir } from './run';

const fake = useFakeHost();
const tmp = useTempDir();

/** dax0.0 with a fresh famfs made by `famfs mkfs` (one file, made through the library), left in `mode`. */
function famfsDevice(f: FakeSysfs, mode: DaxMode): string {
  const node = f.addDevice('dax0.0');
  const made = famfs(['mkfs', node], fakeEnv(f));
  expect(made.stderr).toBe('');
  putInMode(f, 'dax0.0', mode);
  return node;
}

const run = (f: FakeSysfs, args: string[]): Run => famfs(args, fakeEnv(f));

/** One line on stderr that names the device, its mode and the fix. */
function expectOneSentence(r: Run, node: string, words: string[], fix: string): void {
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain(node);
  for (const w of words) expect(lines[0]).toContain(w);
  expect(lines[0].endsWith(`; fix: ${fix}`)).toBe(true);
}

describe('mkfs, fsck and logplay of an unmounted dax device, per mode', () => {
  test('device_dax: all three work, with no sysfs write', () => {
    const f = fake();
    const node = famfsDevice(f, 'device_dax');
    expect(run(f, ['fsck', node]).code).toBe(0);
    expect(run(f, ['logplay', '--daxdev', node, '--shadow', tmp()]).code).toBe(0);
    expect(run(f, ['mkfs', '-f', node]).code).toBe(0);
    expect(f.writes).toEqual([]);
  });

  test('fsdev_dax: each command switches to device_dax for its work and back', () => {
    const f = fake();
    const node = famfsDevice(f, 'fsdev_dax');
    const fsck = run(f, ['fsck', node]);
    expect(fsck.stderr).toBe('');
    expect(fsck.code).toBe(0);
    expect(fsck.stdout).toMatch(/No allocation errors found/);
    expect(journal(f)).toEqual(ROUND_TRIP);

    f.clearWrites();
    const lp = run(f, ['logplay', '--daxdev', node, '--shadow', tmp()]);
    expect(lp.stdout).toMatch(/famfs_logplay\(shadow\): 0 log entries/);
    expect(lp.code).toBe(0);
    expect(fs.existsSync(path.join(tmp(), 'root', '.meta', '.superblock'))).toBe(true);
    expect(journal(f)).toEqual(ROUND_TRIP);

    // mkfs writes and checks in one switch.
    f.clearWrites();
    const mk = run(f, ['mkfs', '-f', node]);
    expect(mk.stderr).toBe('');
    expect(mk.code).toBe(0);
    expect(mk.stdout).toMatch(/Famfs Superblock:/);
    expect(journal(f)).toEqual(ROUND_TRIP);
    // What mkfs wrote reached the memory, not the node (which reads zeros in fsdev_dax).
    expect(readBytes(f.mediaOf('dax0.0'), 0, 8).readBigUInt64LE(0)).not.toBe(0n);
    expect(readBytes(node, 0, 8).readBigUInt64LE(0)).toBe(0n);
    expect(f.modeOf('dax0.0')).toBe('fsdev_dax');
  });

  const refused: Array<[DaxMode, string[], string]> = [
    ['system-ram', ['system-ram mode'], 'daxctl reconfigure-device --mode=devdax --force dax0.0'],
    ['none', ['mode none (no driver bound)'], 'daxctl reconfigure-device --mode=devdax dax0.0'],
  ];
  test.each(refused)('%s: each command refuses in one sentence, exit 1 (mkfs 2), no writes', (mode, words, fix) => {
    const f = fake();
    const node = famfsDevice(f, mode);
    const mk = run(f, ['mkfs', '-f', node]);
    expect(mk.code).toBe(2);
    expectOneSentence(mk, node, words, fix);
    for (const args of [
      ['fsck', node],
      ['logplay', '--daxdev', node, '--shadow', tmp()],
    ]) {
      const r = run(f, args);
      expect(r.code).toBe(1);
      expectOneSentence(r, node, words, fix);
    }
    expect(f.writes).toEqual([]);
    expect(f.modeOf('dax0.0')).toBe(mode);
  });

  test('fsdev_dax: failing commands still switch back', () => {
    const f = fake();
    const node = famfsDevice(f, 'fsdev_dax');
    expect(run(f, ['mkfs', node]).stderr).toMatch(/already has a famfs superblock/);
    expect(run(f, ['logplay', '--daxdev', node, '--shadow', path.join(tmp(), 'missing')]).code).toBe(1);
    fs.writeFileSync(f.mediaOf('dax0.0'), Buffer.alloc(4096), { flag: 'r+' });
    const bad = run(f, ['fsck', node]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/no valid famfs superblock/);
    expect(journal(f)).toEqual([...ROUND_TRIP, ...ROUND_TRIP, ...ROUND_TRIP]);
    expect(f.modeOf('dax0.0')).toBe('fsdev_dax');
  });

  test('a switch the kernel refuses is rolled back; a restore it refuses names the fix', () => {
    const f = fake();
    const node = famfsDevice(f, 'fsdev_dax');
    f.failProbe('device_dax', 'ENOMEM');
    const sw = run(f, ['fsck', node]);
    expect(sw.code).toBe(5);
    expectOneSentence(
      sw,
      node,
      ['device_dax/bind: ENOMEM', 'still in fsdev_dax mode'],
      'daxctl reconfigure-device --mode=devdax dax0.0',
    );
    expect(f.modeOf('dax0.0')).toBe('fsdev_dax');

    f.clearFailures();
    f.failProbe('fsdev_dax', 'EBUSY');
    const rs = run(f, ['mkfs', '-f', node]);
    expect(rs.code).toBe(2);
    expectOneSentence(
      rs,
      node,
      ['could not restore', 'still in device_dax mode'],
      'daxctl reconfigure-device --mode=famfs dax0.0',
    );
  });
});

describe('famfs check-system', () => {
  test('a ready famfs host: every fact, a note for a device to switch before mounting, exit 0', () => {
    const f = fake();
    setKernel(f, 'v10');
    const fsdev = f.addDevice('dax0.0', { mode: 'fsdev_dax', size: 16 * 1024 ** 3 });
    const devdax = f.addDevice('dax1.0');
    const r = run(f, ['check-system']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('kernel:         7.1.0-famfs\n');
    expect(r.stdout).toContain(
      'famfs kernel:   famfs V10 (FUSE famfs in the fuse module; daxdevs pulled with GET_DAXDEV)\n',
    );
    expect(r.stdout).toContain('fsdev_dax:      loaded\nmounts need:    dax devices in fsdev_dax mode\n');
    expect(r.stdout).toContain('/dev/fuse:      present\nCAP_SYS_RAWIO:  yes\ndax devices:    2\n');
    expect(r.stdout).toContain(`  ${fsdev}  fsdev_dax  16 GiB\n  ${devdax}  device_dax  8 GiB\n`);
    expect(r.stdout).toMatch(/problems:\n {2}note: dax device .*dax1\.0 is in device_dax mode.*\n/);
    expect(r.stdout).toMatch(/\n {4}fix: daxctl reconfigure-device --mode=famfs dax1\.0\n/);
    expect(r.stdout.endsWith('\nready: yes\n')).toBe(true);

    const j = run(f, ['check-system', '--json']);
    expect(j.code).toBe(0);
    const json = JSON.parse(j.stdout);
    expect(json).toMatchObject({
      ready: true,
      kernel: {
        famfsKernel: 'v10',
        capSysRawio: true,
        fuseDevicePresent: true,
        summary: expect.stringMatching(/^famfs V10/),
      },
      daxDevices: [
        { device: fsdev, mode: 'fsdev_dax', size: 16 * 1024 ** 3 },
        { device: devdax, mode: 'device_dax' },
      ],
      problems: [{ id: 'dax-needs-fsdev', severity: 'note', device: devdax }],
    });
  });

  test('stock kernel, no /dev/fuse, no capability, a device in system-ram: each problem with its fix, exit 1', () => {
    const f = fake();
    setKernel(f, 'stock');
    fs.rmSync(path.join(f.devRoot, 'fuse'));
    f.setCapEff(0n);
    f.addDevice('dax0.0', { mode: 'system-ram' });
    const r = run(f, ['check-system']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      'famfs kernel:   none (a stock kernel: famfs_fused serves file data from the device itself)\n',
    );
    expect(r.stdout).toContain('CAP_SYS_RAWIO:  no\n');
    expect(r.stdout).toContain('mounts need:    dax devices in device_dax mode\n');
    expect(r.stdout).toMatch(
      /error: this kernel has no famfs support.*\n {4}fix: boot a kernel with the famfs FUSE patches/,
    );
    expect(r.stdout).toMatch(/error: \/dev\/fuse is missing.*\n {4}fix: modprobe fuse/);
    expect(r.stdout).toMatch(/warning: dax device .*dax0\.0 is in system-ram mode.*\n {4}fix: /);
    expect(r.stdout).toContain('fix: daxctl reconfigure-device --mode=devdax --force dax0.0');
    expect(r.stdout.endsWith('\nready: no\n')).toBe(true);
    const json = JSON.parse(run(f, ['check-system', '--json']).stdout);
    expect(json.ready).toBe(false);
    expect(json.problems.map((p: { id: string }) => p.id)).toEqual(['no-famfs-kernel', 'no-fuse-device', 'dax-mode']);
  });

  test('no dax bus and unreadable kallsyms: unknown kernel, warnings only', () => {
    const f = fake();
    f.removeDaxBus();
    f.addFuseDevice();
    const r = run(f, ['check-system']);
    expect(r.stdout).toContain('famfs kernel:   unknown (/proc/kallsyms is missing, unreadable or empty)\n');
    expect(r.stdout).toContain('dax devices:    none\n');
    expect(r.stdout).toMatch(/warning: cannot tell whether this kernel supports famfs/);
    expect(r.code).toBe(0);
  });
});
