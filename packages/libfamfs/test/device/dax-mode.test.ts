import * as fs from 'fs';
import * as path from 'path';
import {
  daxDeviceName,
  DaxModeError,
  defaultSysfsWriter,
  readDaxMode,
  reconfigureCommand,
  setDaxMode,
} from '../../src/device/dax-mode';
import { expectDaxError } from './dax-expect';
import { FakeSysfs, useFakeSysfs } from './fake-sysfs';

const fake = useFakeSysfs();

/** Writes as 'driver/attr=result', the order the kernel saw them. */
function journal(f: FakeSysfs): string[] {
  return f.writes.map((w) => `${w.driver}/${w.attr}=${w.result}`);
}

describe('daxDeviceName', () => {
  test('a dax character device gives its bus name, also through a symlink alias', () => {
    const f = fake();
    const node = f.addDevice('dax0.0');
    const alias = path.join(f.root, 'by-id-cxl-mem0');
    fs.symlinkSync(node, alias);
    expect(daxDeviceName(node, f)).toBe('dax0.0');
    expect(daxDeviceName(alias, f)).toBe('dax0.0');
  });

  test('regular files, block devices and missing paths are not dax devices', () => {
    const f = fake();
    const image = path.join(f.root, 'famfs.img');
    fs.writeFileSync(image, '');
    // A regular file named like a dax device must not stand for the host's real dax0.0.
    const lookalike = path.join(f.root, 'dax0.0');
    fs.writeFileSync(lookalike, '');
    expect(daxDeviceName(image, f)).toBeNull();
    expect(daxDeviceName(lookalike, f)).toBeNull();
    expect(daxDeviceName(lookalike)).toBeNull();
    expect(daxDeviceName(f.addBlockNode('pmem0'), f)).toBeNull();
    expect(daxDeviceName(f.addBlockNode('dax7.0'), f)).toBeNull();
    expect(daxDeviceName(path.join(f.root, 'nope', 'dax0.0'), f)).toBeNull();
    // A real character device that is not a dax device.
    expect(daxDeviceName('/dev/null')).toBeNull();
  });
});

describe('readDaxMode', () => {
  test('every mode is detected from the driver link', () => {
    const f = fake();
    const cases = [
      ['dax0.0', 'device_dax', 'device_dax', 'device_dax'],
      ['dax1.0', 'fsdev_dax', 'fsdev_dax', 'fsdev_dax'],
      ['dax2.0', 'system-ram', 'system-ram', 'kmem'],
      ['dax3.0', 'none', 'none', null],
    ] as const;
    for (const [name, mode, expected, driver] of cases) {
      const node = f.addDevice(name, { mode });
      expect(readDaxMode(node, f.options())).toEqual({ device: node, name, mode: expected, driver });
    }
    const odd = f.addDevice('dax4.0', { mode: { driver: 'dax_cxl_mystery' } });
    expect(readDaxMode(odd, f.options())).toMatchObject({ mode: 'unknown', driver: 'dax_cxl_mystery' });
  });

  test('non-dax paths read as null', () => {
    const f = fake();
    const image = path.join(f.root, 'famfs.img');
    fs.writeFileSync(image, '');
    expect(readDaxMode(image, f.options())).toBeNull();
    expect(readDaxMode(f.addBlockNode('pmem0'), f.options())).toBeNull();
  });

  test('a dax node without a sysfs entry is a not-found error', () => {
    const f = fake();
    const node = f.addDevice('dax0.0');
    fs.rmSync(path.join(f.sysfsRoot, 'bus', 'dax', 'devices', 'dax0.0'));
    expectDaxError(() => readDaxMode(node, f.options()), {
      reason: 'not-found',
      code: 'ENOENT',
      mentions: [node, path.join(f.sysfsRoot, 'bus', 'dax', 'devices', 'dax0.0')],
      fix: 'daxctl list',
    });
  });

  test('the sysfs root defaults to FAMFS_SYSFS_ROOT', () => {
    const f = fake();
    const node = f.addDevice('dax0.0', { mode: 'fsdev_dax' });
    const saved = process.env.FAMFS_SYSFS_ROOT;
    process.env.FAMFS_SYSFS_ROOT = f.sysfsRoot;
    try {
      expect(readDaxMode(node, { nodeKind: f.nodeKind })?.mode).toBe('fsdev_dax');
    } finally {
      if (saved === undefined) delete process.env.FAMFS_SYSFS_ROOT;
      else process.env.FAMFS_SYSFS_ROOT = saved;
    }
  });
});

describe('setDaxMode', () => {
  test('device_dax -> fsdev_dax the libdaxctl way: remove_id, unbind, new_id (which attaches)', () => {
    const f = fake();
    const node = f.addDevice('dax0.0');
    expect(setDaxMode(node, 'fsdev_dax', f.options())).toEqual({
      device: node,
      name: 'dax0.0',
      from: 'device_dax',
      to: 'fsdev_dax',
      changed: true,
    });
    expect(f.modeOf('dax0.0')).toBe('fsdev_dax');
    expect(journal(f)).toEqual(['device_dax/remove_id=ok', 'device_dax/unbind=ok', 'fsdev_dax/new_id=ok']);
    expect(f.writes.every((w) => w.value === 'dax0.0')).toBe(true);
  });

  test('fsdev_dax -> device_dax drops the fsdev_dax id and binds device_dax with a plain bind', () => {
    const f = fake();
    const node = f.addDevice('dax0.0', { mode: 'fsdev_dax' });
    expect(setDaxMode(node, 'device_dax', f.options()).to).toBe('device_dax');
    expect(f.idsOf('fsdev_dax').has('dax0.0')).toBe(false);
    expect(journal(f)).toEqual(['fsdev_dax/remove_id=ok', 'fsdev_dax/unbind=ok', 'device_dax/bind=ok']);
  });

  test('binding device_dax leaves other unbound devices alone (its new_id would attach them all)', () => {
    const f = fake();
    const node = f.addDevice('dax0.0', { mode: 'fsdev_dax' });
    f.addDevice('dax1.0', { mode: 'none' });
    setDaxMode(node, 'device_dax', f.options());
    expect(f.modeOf('dax1.0')).toBe('none');
  });

  test('device_dax falls back to new_id when a plain bind does not match (a kmem-typed region)', () => {
    const f = fake();
    const node = f.addDevice('dax0.0', { mode: 'none', kmemRegion: true });
    expect(setDaxMode(node, 'device_dax', f.options()).to).toBe('device_dax');
    expect(journal(f)).toEqual(['device_dax/bind=EINVAL', 'device_dax/new_id=ok']);
  });

  test('an unbound device is just bound', () => {
    const f = fake();
    const node = f.addDevice('dax0.0', { mode: 'none' });
    expect(setDaxMode(node, 'fsdev_dax', f.options())).toMatchObject({ from: 'none', to: 'fsdev_dax', changed: true });
    expect(journal(f)).toEqual(['fsdev_dax/new_id=ok']);
  });

  test('bind is written when new_id did not attach, and a failed new_id alone is not fatal', () => {
    const f = fake();
    const node = f.addDevice('dax0.0', { mode: 'none' });
    f.failWrites({ driver: 'device_dax', attr: 'new_id', code: 'ENOMEM', times: 1 });
    f.failWrites({ driver: 'device_dax', attr: 'bind', code: 'EAGAIN', times: 1 });
    // The first bind fails, new_id fails (no id, no attach), the second bind is written anyway.
    expect(setDaxMode(node, 'device_dax', f.options()).to).toBe('device_dax');
    expect(journal(f)).toEqual(['device_dax/bind=EAGAIN', 'device_dax/new_id=ENOMEM', 'device_dax/bind=ok']);
  });

  test('already in the mode: nothing is written', () => {
    const f = fake();
    const node = f.addDevice('dax0.0', { mode: 'fsdev_dax' });
    expect(setDaxMode(node, 'fsdev_dax', f.options()).changed).toBe(false);
    expect(f.writes).toEqual([]);
  });

  test('system-ram and unknown drivers are refused in one line, untouched', () => {
    const f = fake();
    const ram = f.addDevice('dax2.0', { mode: 'system-ram' });
    const odd = f.addDevice('dax4.0', { mode: { driver: 'dax_cxl_mystery' } });
    expectDaxError(() => setDaxMode(ram, 'device_dax', f.options()), {
      reason: 'wrong-mode',
      code: 'EDAXMODE',
      mentions: [ram, 'system-ram', 'kmem'],
      fix: 'daxctl reconfigure-device --mode=devdax --force dax2.0',
    });
    expectDaxError(() => setDaxMode(odd, 'fsdev_dax', f.options()), {
      reason: 'wrong-mode',
      code: 'EDAXMODE',
      mentions: [odd, 'unknown mode', 'dax_cxl_mystery'],
      fix: 'daxctl reconfigure-device --mode=famfs dax4.0',
    });
    expect(f.writes).toEqual([]);
  });

  test('a missing target driver is reported before anything is unbound', () => {
    const f = fake();
    const node = f.addDevice('dax0.0');
    f.removeDriver('fsdev_dax');
    expectDaxError(() => setDaxMode(node, 'fsdev_dax', f.options()), {
      reason: 'driver-missing',
      code: 'ENOENT',
      mentions: [node, 'device_dax mode', 'fsdev_dax driver is not loaded'],
      fix: 'modprobe fsdev_dax',
    });
    expect(f.writes).toEqual([]);
    expect(f.modeOf('dax0.0')).toBe('device_dax');
  });

  test('a failed unbind leaves the device as it was, id included', () => {
    const f = fake();
    const node = f.addDevice('dax0.0', { mode: 'fsdev_dax' });
    f.failWrites({ attr: 'unbind', code: 'EBUSY' });
    expectDaxError(() => setDaxMode(node, 'device_dax', f.options()), {
      reason: 'switch-failed',
      code: 'EIO',
      mentions: [node, 'from fsdev_dax to device_dax', 'driver/unbind: EBUSY', 'still in fsdev_dax mode'],
      fix: 'daxctl reconfigure-device --mode=devdax dax0.0',
    });
    expect(f.modeOf('dax0.0')).toBe('fsdev_dax');
    expect(f.idsOf('fsdev_dax').has('dax0.0')).toBe(true);
  });

  test('a failed bind is rolled back to the old driver', () => {
    const f = fake();
    const node = f.addDevice('dax0.0');
    f.failProbe('fsdev_dax', 'ENXIO');
    expectDaxError(() => setDaxMode(node, 'fsdev_dax', f.options()), {
      reason: 'switch-failed',
      code: 'EIO',
      mentions: [node, 'fsdev_dax/bind: ENXIO', 'still in device_dax mode'],
      fix: 'daxctl reconfigure-device --mode=famfs dax0.0',
    });
    expect(f.modeOf('dax0.0')).toBe('device_dax');
    expect(f.idsOf('fsdev_dax').has('dax0.0')).toBe(false);
    expect(journal(f)).toEqual([
      'device_dax/remove_id=ok',
      'device_dax/unbind=ok',
      'fsdev_dax/new_id=ok',
      'fsdev_dax/bind=ENXIO',
      'fsdev_dax/remove_id=ok',
      'device_dax/bind=ok',
    ]);
  });

  test('when the rollback fails too, the error says the device is left without a driver', () => {
    const f = fake();
    const node = f.addDevice('dax0.0');
    f.failProbe('fsdev_dax');
    f.failProbe('device_dax');
    const err = expectDaxError(() => setDaxMode(node, 'fsdev_dax', f.options()), {
      reason: 'switch-failed',
      code: 'EIO',
      mentions: [node, 'now in mode none (no driver bound)'],
      fix: 'daxctl reconfigure-device --mode=famfs dax0.0',
    });
    expect(err.mode).toBe('none');
    expect(f.modeOf('dax0.0')).toBe('none');
  });

  test('a path that is not a dax device cannot have its mode set', () => {
    const f = fake();
    const image = path.join(f.root, 'famfs.img');
    fs.writeFileSync(image, '');
    const err = expectDaxError(() => setDaxMode(image, 'fsdev_dax', f.options()), {
      reason: 'not-dax',
      code: 'EINVAL',
      mentions: [image, 'not a dax device'],
      fix: 'daxctl list',
    });
    expect(err).toBeInstanceOf(DaxModeError);
    expect(f.writes).toEqual([]);
  });
});

describe('messages and the real writer', () => {
  test('a device reached through an alias is named by the alias and its bus name', () => {
    const f = fake();
    const alias = path.join(f.root, 'cxl-shared');
    fs.symlinkSync(f.addDevice('dax2.0', { mode: 'system-ram' }), alias);
    expectDaxError(() => setDaxMode(alias, 'device_dax', f.options()), {
      reason: 'wrong-mode',
      code: 'EDAXMODE',
      mentions: [`dax device ${alias} (dax2.0) is in system-ram mode`],
      fix: 'daxctl reconfigure-device --mode=devdax --force dax2.0',
    });
  });

  test('the default writer writes an existing attribute and never creates one', () => {
    const f = fake();
    const file = path.join(f.root, 'bind');
    fs.writeFileSync(file, '');
    defaultSysfsWriter(file, 'dax0.0');
    expect(fs.readFileSync(file, 'utf8')).toBe('dax0.0');
    expect(() => defaultSysfsWriter(path.join(f.root, 'missing'), 'dax0.0')).toThrow(/ENOENT/);
    expect(fs.existsSync(path.join(f.root, 'missing'))).toBe(false);
  });
});

describe('reconfigureCommand', () => {
  test('names the daxctl modes, with --force and two steps out of system-ram', () => {
    const devdax = 'daxctl reconfigure-device --mode=devdax dax0.0';
    const famfs = 'daxctl reconfigure-device --mode=famfs dax0.0';
    const forced = 'daxctl reconfigure-device --mode=devdax --force dax0.0';
    expect(reconfigureCommand('dax0.0', 'device_dax')).toBe(devdax);
    expect(reconfigureCommand('dax0.0', 'fsdev_dax', 'none')).toBe(famfs);
    expect(reconfigureCommand('dax0.0', 'device_dax', 'system-ram')).toBe(forced);
    expect(reconfigureCommand('dax0.0', 'fsdev_dax', 'system-ram')).toBe(`${forced} && ${famfs}`);
  });
});
