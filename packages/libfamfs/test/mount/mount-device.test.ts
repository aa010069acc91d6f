/**
 * What `famfs mount` does with a dax device before starting the daemon (prepareMountDevice), for
 * every kernel generation and device mode, on the fake sysfs: the mode it needs, C famfs'
 * --set-daxmode rule (switch only when asked, else one sentence naming the fix), the replay
 * around the switches, and the mode put back when anything fails.
 */
import * as fs from 'fs';
import * as path from 'path';
import { DaxMode } from '../../src/device/dax-mode';
import { prepareMountDevice, PrepareMountOptions } from '../../src/mount/mount-device';
import { isFamfsError } from '../../src/errors';
import { mkfs } from '../../src/log/mkfs';
import { LogSession } from '../../src/log/log-session';
import { prepareShadowRoot } from '../../src/shadow/tree';
import { MASTER, useTempDir } from '../support';
import { expectDaxError } from '../device/dax-expect';
import { FakeSysfs, useFakeSysfs } from '../device/fake-sysfs';

const fake = useFakeSysfs();
const tmp = useTempDir('famfs-mountdev-');
const RETRY = 'famfs mount --set-daxmode /dev/dax0.0 /mnt/famfs';

type Kernel = 'v10' | 'stock' | 'unknown';

function host(f: FakeSysfs, kernel: Kernel): PrepareMountOptions['host'] {
  if (kernel === 'v10') f.setKallsyms([['famfs_fuse_iomap_begin', 'fuse']]);
  if (kernel === 'stock') f.setKallsyms([['fuse_iomap_begin', 'fuse']]);
  f.setFilesystems(['fuse']);
  return { ...f.kernelOptions(), ...f.options() };
}

/** dax0.0 holding a famfs with one file, left in `mode`; the journal starts empty. */
function device(f: FakeSysfs, mode: DaxMode): string {
  const node = f.addDevice('dax0.0');
  mkfs(node, { systemUuid: MASTER, dax: f.options() });
  const s = LogSession.open(node, { systemUuid: MASTER });
  s.createFile('f', 1 << 20);
  s.close();
  f.reconfigure('dax0.0', mode);
  f.clearWrites();
  return node;
}

function prepare(f: FakeSysfs, node: string, kernel: Kernel, setDaxMode = false) {
  const root = prepareShadowRoot(tmp());
  return prepareMountDevice(node, root, { host: host(f, kernel), setDaxMode, retryCommand: RETRY, systemUuid: MASTER });
}

const journal = (f: FakeSysfs): string[] => f.journal();

const shadowFile = (): boolean => fs.existsSync(path.join(tmp(), 'root', 'f'));

describe('a famfs kernel with fsdev_dax: mounts need fsdev_dax', () => {
  test('fsdev_dax: the replay switches to device_dax and back; nothing else changes', () => {
    const f = fake();
    const p = prepare(f, device(f, 'fsdev_dax'), 'v10');
    expect(p).toMatchObject({ role: 'master', modeChanged: false, readThrough: null, kernel: { famfsKernel: 'v10' } });
    expect(p.plan).toMatchObject({
      need: 'fsdev_dax',
      switchFirst: false,
      switchLast: false,
      before: { mode: 'fsdev_dax' },
    });
    expect(p.serve).toBe('shadow');
    expect(p.replay?.newFiles).toBe(1);
    expect(shadowFile()).toBe(true);
    expect(journal(f)).toEqual([
      'fsdev_dax/remove_id=ok',
      'fsdev_dax/unbind=ok',
      'device_dax/bind=ok',
      'device_dax/remove_id=ok',
      'device_dax/unbind=ok',
      'fsdev_dax/new_id=ok',
    ]);
    expect(f.modeOf('dax0.0')).toBe('fsdev_dax');
  });

  test('device_dax without --set-daxmode: one sentence naming the retry, nothing replayed or written', () => {
    const f = fake();
    const node = device(f, 'device_dax');
    expectDaxError(() => prepare(f, node, 'v10'), {
      reason: 'wrong-mode',
      code: 'EDAXMODE',
      mentions: [node, 'device_dax mode', 'famfs mounts on this kernel need fsdev_dax mode'],
      fix: RETRY,
    });
    expect(f.writes).toEqual([]);
    expect(shadowFile()).toBe(false);
  });

  test('device_dax with --set-daxmode: replayed as it is, then switched; restoreMode puts it back', () => {
    const f = fake();
    const p = prepare(f, device(f, 'device_dax'), 'v10', true);
    expect(p.modeChanged).toBe(true);
    expect(p.plan).toMatchObject({ switchFirst: false, switchLast: true });
    expect(shadowFile()).toBe(true);
    expect(f.modeOf('dax0.0')).toBe('fsdev_dax');
    p.restoreMode(new Error('the daemon did not come up'));
    expect(f.modeOf('dax0.0')).toBe('device_dax');
  });

  test('no driver with --set-daxmode: bound to fsdev_dax first (it has no node to read), then replayed', () => {
    const f = fake();
    const node = device(f, 'none');
    expectDaxError(() => prepare(f, node, 'v10'), {
      reason: 'wrong-mode',
      code: 'EDAXMODE',
      mentions: [node, 'mode none'],
      fix: RETRY,
    });
    const p = prepare(f, node, 'v10', true);
    expect(p.plan).toMatchObject({ switchFirst: true, switchLast: false });
    expect(journal(f)[0]).toBe('fsdev_dax/new_id=ok');
    expect(f.modeOf('dax0.0')).toBe('fsdev_dax');
    p.restoreMode(new Error('later failure'));
    expect(f.modeOf('dax0.0')).toBe('none');
  });

  test('system-ram: refused with or without --set-daxmode, nothing written', () => {
    const f = fake();
    const node = device(f, 'system-ram');
    for (const set of [false, true]) {
      expectDaxError(() => prepare(f, node, 'v10', set), {
        reason: 'wrong-mode',
        code: 'EDAXMODE',
        mentions: [node, 'system-ram mode'],
        fix: 'daxctl reconfigure-device --mode=devdax --force dax0.0 && daxctl reconfigure-device --mode=famfs dax0.0',
      });
    }
    expect(f.writes).toEqual([]);
  });

  test('a replay that fails puts back the mode --set-daxmode changed', () => {
    const f = fake();
    const node = device(f, 'none');
    fs.writeFileSync(f.mediaOf('dax0.0'), Buffer.alloc(4096), { flag: 'r+' });
    let code: string | undefined;
    try {
      prepare(f, node, 'v10', true);
    } catch (e) {
      code = isFamfsError(e) ? e.code : String(e);
    }
    expect(code).toBe('EBADSUPER');
    expect(f.modeOf('dax0.0')).toBe('none');
  });

  test('unknown kernel (no kallsyms): the fsdev_dax driver decides, as for C famfs', () => {
    const f = fake();
    const p = prepare(f, device(f, 'fsdev_dax'), 'unknown');
    expect(p.kernel.famfsKernel).toBe('unknown');
    expect(p.plan.need).toBe('fsdev_dax');
  });

  test('a famfs kernel without fsdev_dax (an older series) mounts device_dax as it is', () => {
    const f = fake();
    const node = device(f, 'device_dax');
    f.removeDriver('fsdev_dax');
    const p = prepare(f, node, 'v10');
    expect(p.plan).toMatchObject({ need: 'device_dax', switchFirst: false, switchLast: false });
    expect(f.writes).toEqual([]);
  });
});

describe('a kernel without famfs: famfs_fused maps the device, so mounts need device_dax', () => {
  test('device_dax: nothing to do', () => {
    const f = fake();
    const p = prepare(f, device(f, 'device_dax'), 'stock');
    expect(p.kernel.famfsKernel).toBe('none');
    expect(p.plan.need).toBe('device_dax');
    expect(f.writes).toEqual([]);
  });

  test('fsdev_dax (a kernel without famfs asked for DAX): refused, or switched with --set-daxmode', () => {
    const f = fake();
    const node = device(f, 'fsdev_dax');
    expectDaxError(() => prepare(f, node, 'stock'), {
      reason: 'wrong-mode',
      code: 'EDAXMODE',
      mentions: [node, 'fsdev_dax mode', 'this kernel has no famfs support', 'only device_dax mode'],
      fix: RETRY,
    });
    expect(f.writes).toEqual([]);
    const p = prepare(f, node, 'stock', true);
    expect(p.plan).toMatchObject({ switchFirst: true, switchLast: false });
    expect(f.modeOf('dax0.0')).toBe('device_dax');
    // famfs_fused can map a device_dax device: it reads the log itself, nothing is replayed here.
    expect(p.serve).toBe('log');
    expect(p.replay).toBeUndefined();
    expect(shadowFile()).toBe(false);
  });
});

test('a regular file is not a dax device: no plan, no kernel requirement', () => {
  const f = fake();
  const image = path.join(tmp(), 'famfs.img');
  fs.writeFileSync(image, '');
  fs.truncateSync(image, 8 * 1024 ** 3);
  mkfs(image, { systemUuid: MASTER });
  const shadow = fs.mkdtempSync(path.join(tmp(), 'shadow-'));
  const p = prepareMountDevice(image, prepareShadowRoot(shadow), { host: host(f, 'v10'), systemUuid: MASTER });
  expect(p.plan).toEqual({ device: image, before: null, need: null, switchFirst: false, switchLast: false });
  expect(p.serve).toBe('log');
  expect(p.replay).toBeUndefined();
  expect(f.writes).toEqual([]);
});
