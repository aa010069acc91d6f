import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { readBoundDriver, readDaxSize } from '../../src/device/sysfs';
import { fakeHostEnv } from '../../src/testing';
import { readBytes } from '../support';
import { FakeSysfs, GiB, useFakeSysfs } from './fake-sysfs';

// The harness is only worth something if it behaves like the kernel, so it has its own tests.

const fake = useFakeSysfs();

function attr(driver: string, a: string): string {
  return path.join(fake().sysfsRoot, 'bus', 'dax', 'drivers', driver, a);
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as NodeJS.ErrnoException).code;
  }
  return undefined;
}

describe('fake sysfs layout', () => {
  test('devices are symlinks into devices/, with a relative driver link and a size file', () => {
    const f = fake();
    f.addDevice('dax0.0', { mode: 'fsdev_dax', size: 4 * GiB });
    const bus = path.join(f.sysfsRoot, 'bus', 'dax', 'devices', 'dax0.0');
    expect(fs.lstatSync(bus).isSymbolicLink()).toBe(true);
    expect(fs.readlinkSync(path.join(bus, 'driver'))).toBe('../../../bus/dax/drivers/fsdev_dax');
    expect(fs.realpathSync(path.join(bus, 'driver'))).toBe(path.dirname(attr('fsdev_dax', 'bind')));
    expect(readBoundDriver(f.sysfsRoot, 'dax0.0')).toBe('fsdev_dax');
    expect(readDaxSize(f.sysfsRoot, 'dax0.0')).toBe(4 * GiB);
    // A device bound to fsdev_dax got there through new_id, so the driver lists its id.
    expect(f.idsOf('fsdev_dax').has('dax0.0')).toBe(true);
  });

  test('an unbound device has no driver link', () => {
    fake().addDevice('dax1.0', { mode: 'none' });
    expect(fake().driverOf('dax1.0')).toBeNull();
    expect(fake().modeOf('dax1.0')).toBe('none');
  });
});

describe('fake kernel writes', () => {
  test('bind of a bound device is EBUSY, unbind from the wrong driver is ENODEV', () => {
    const f = fake();
    f.addDevice('dax0.0');
    expect(codeOf(() => f.writer(attr('device_dax', 'bind'), 'dax0.0'))).toBe('EBUSY');
    expect(codeOf(() => f.writer(attr('fsdev_dax', 'unbind'), 'dax0.0'))).toBe('ENODEV');
    expect(codeOf(() => f.writer(attr('device_dax', 'bind'), 'dax9.9'))).toBe('ENODEV');
    expect(f.modeOf('dax0.0')).toBe('device_dax');
  });

  test('unbind through the device driver link, then a plain fsdev_dax bind is EINVAL (no id)', () => {
    const f = fake();
    f.addDevice('dax0.0');
    f.writer(path.join(f.sysfsRoot, 'bus', 'dax', 'devices', 'dax0.0', 'driver', 'unbind'), 'dax0.0\n');
    expect(f.modeOf('dax0.0')).toBe('none');
    expect(codeOf(() => f.writer(attr('fsdev_dax', 'bind'), 'dax0.0'))).toBe('EINVAL');
    f.writer(attr('device_dax', 'bind'), 'dax0.0');
    expect(f.modeOf('dax0.0')).toBe('device_dax');
  });

  test('new_id attaches every unbound device the driver now matches (driver_attach)', () => {
    const f = fake();
    f.addDevice('dax0.0', { mode: 'none' });
    f.addDevice('dax1.0', { mode: 'none' });
    f.writer(attr('fsdev_dax', 'new_id'), 'dax0.0');
    expect(f.modeOf('dax0.0')).toBe('fsdev_dax');
    expect(f.modeOf('dax1.0')).toBe('none');
    // device_dax matches by type: a new_id for one device attaches the other unbound one too.
    f.writer(attr('device_dax', 'new_id'), 'dax0.0');
    expect(f.modeOf('dax1.0')).toBe('device_dax');
  });

  test('a kmem-typed region matches kmem by type, and device_dax only by id', () => {
    const f = fake();
    f.addDevice('dax0.0', { mode: 'none', kmemRegion: true });
    expect(codeOf(() => f.writer(attr('device_dax', 'bind'), 'dax0.0'))).toBe('EINVAL');
    f.writer(attr('kmem', 'bind'), 'dax0.0');
    expect(f.modeOf('dax0.0')).toBe('system-ram');
    f.writer(attr('kmem', 'unbind'), 'dax0.0');
    f.writer(attr('device_dax', 'new_id'), 'dax0.0');
    expect(f.modeOf('dax0.0')).toBe('device_dax');
  });

  test('new_id and remove_id want a daxX.Y name; remove_id of an absent id is fine', () => {
    const f = fake();
    expect(codeOf(() => f.writer(attr('fsdev_dax', 'new_id'), 'pmem0'))).toBe('EINVAL');
    f.writer(attr('fsdev_dax', 'remove_id'), 'dax3.0');
    expect(f.idsOf('fsdev_dax').has('dax3.0')).toBe(false);
  });

  test('a failing probe leaves new_id silent and makes bind fail', () => {
    const f = fake();
    f.addDevice('dax0.0', { mode: 'none' });
    f.failProbe('fsdev_dax', 'ENOMEM');
    f.writer(attr('fsdev_dax', 'new_id'), 'dax0.0');
    expect(f.modeOf('dax0.0')).toBe('none');
    expect(codeOf(() => f.writer(attr('fsdev_dax', 'bind'), 'dax0.0'))).toBe('ENOMEM');
    f.clearFailures();
    f.writer(attr('fsdev_dax', 'bind'), 'dax0.0');
    expect(f.modeOf('dax0.0')).toBe('fsdev_dax');
  });

  test('failWrites fails matching writes before they take effect, `times` times', () => {
    const f = fake();
    f.addDevice('dax0.0');
    f.failWrites({ driver: 'device_dax', attr: 'unbind', code: 'EACCES', times: 1 });
    expect(codeOf(() => f.writer(attr('device_dax', 'unbind'), 'dax0.0'))).toBe('EACCES');
    expect(f.modeOf('dax0.0')).toBe('device_dax');
    f.writer(attr('device_dax', 'unbind'), 'dax0.0');
    expect(f.modeOf('dax0.0')).toBe('none');
    expect(f.writes.map((w) => `${w.driver}/${w.attr}=${w.result}`)).toEqual([
      'device_dax/unbind=EACCES',
      'device_dax/unbind=ok',
    ]);
  });

  test('writes to anything but a dax driver attribute are ENOENT', () => {
    const f = fake();
    f.addDevice('dax0.0', { mode: 'none' });
    const viaLink = path.join(f.sysfsRoot, 'bus', 'dax', 'devices', 'dax0.0', 'driver', 'unbind');
    expect(codeOf(() => f.writer(viaLink, 'dax0.0'))).toBe('ENOENT');
    expect(codeOf(() => f.writer(attr('nosuch', 'bind'), 'dax0.0'))).toBe('ENOENT');
    expect(codeOf(() => f.writer(attr('device_dax', 'uevent'), 'dax0.0'))).toBe('ENOENT');
  });
});

describe('fake device nodes', () => {
  test('raw access works in device_dax only: ENODEV in fsdev_dax, ENXIO without a cdev driver', () => {
    const f = fake();
    const nodes = {
      device_dax: f.addDevice('dax0.0', { mode: 'device_dax' }),
      fsdev_dax: f.addDevice('dax1.0', { mode: 'fsdev_dax' }),
      'system-ram': f.addDevice('dax2.0', { mode: 'system-ram' }),
      none: f.addDevice('dax3.0', { mode: 'none' }),
      unknown: f.addDevice('dax4.0', { mode: { driver: 'dax_cxl_mystery' } }),
    };
    fs.closeSync(f.rawOpen(nodes.device_dax));
    expect(codeOf(() => f.rawOpen(nodes.fsdev_dax))).toBe('ENODEV');
    expect(codeOf(() => f.rawOpen(nodes['system-ram']))).toBe('ENXIO');
    expect(codeOf(() => f.rawOpen(nodes.none))).toBe('ENXIO');
    expect(codeOf(() => f.rawOpen(nodes.unknown))).toBe('ENXIO');
  });

  test('nodes are char devices to nodeKind; block nodes are block; anything else is stat()ed', () => {
    const f = fake();
    const dax = f.addDevice('dax0.0');
    const pmem = f.addBlockNode('pmem0');
    expect(f.nodeKind(dax)).toBe('char');
    expect(f.nodeKind(pmem)).toBe('block');
    expect(f.nodeKind(f.sysfsRoot)).toBe('directory');
  });
});

describe('fake memory behind the nodes', () => {
  test('the node reaches the memory in device_dax only (else it reads zeros); an fd opened then keeps it', () => {
    const f = fake();
    const node = f.addDevice('dax0.0', { size: 4 * GiB });
    expect(fs.statSync(node).size).toBe(4 * GiB);
    fs.writeFileSync(node, 'famfs', { flag: 'r+' });
    const held = fs.openSync(node, 'r');
    try {
      f.writer(attr('device_dax', 'unbind'), 'dax0.0');
      f.writer(attr('fsdev_dax', 'new_id'), 'dax0.0');
      expect(f.modeOf('dax0.0')).toBe('fsdev_dax');
      expect(fs.statSync(node).size).toBe(4 * GiB);
      expect(readBytes(node, 0, 5)).toEqual(Buffer.alloc(5));
      const b = Buffer.alloc(5);
      fs.readSync(held, b, 0, 5, 0);
      expect(b.toString()).toBe('famfs');
    } finally {
      fs.closeSync(held);
    }
    f.writer(attr('fsdev_dax', 'remove_id'), 'dax0.0');
    f.writer(attr('fsdev_dax', 'unbind'), 'dax0.0');
    f.writer(attr('device_dax', 'bind'), 'dax0.0');
    expect(readBytes(node, 0, 5).toString()).toBe('famfs');
  });

  test('the state is on disk: another FakeSysfs of the same root (another process) continues it', () => {
    const f = fake();
    f.addDevice('dax0.0', { mode: 'fsdev_dax' });
    f.failWrites({ driver: 'device_dax', attr: 'bind', code: 'EACCES', times: 1 });
    const other = FakeSysfs.open(f.root);
    expect(other.nodeKind(path.join(f.devRoot, 'dax0.0'))).toBe('char');
    expect(other.idsOf('fsdev_dax').has('dax0.0')).toBe(true);
    other.writer(attr('fsdev_dax', 'unbind'), 'dax0.0');
    expect(codeOf(() => other.writer(attr('device_dax', 'bind'), 'dax0.0'))).toBe('EACCES');
    f.writer(attr('device_dax', 'bind'), 'dax0.0');
    expect(other.modeOf('dax0.0')).toBe('device_dax');
    expect(f.writes.map((w) => `${w.driver}/${w.attr}=${w.result}`)).toEqual([
      'fsdev_dax/unbind=ok',
      'device_dax/bind=EACCES',
      'device_dax/bind=ok',
    ]);
  });

  test('a process started with fakeHostEnv sees the fake as its host', () => {
    const f = fake();
    f.addDevice('dax0.0', { mode: 'fsdev_dax', size: 4 * GiB });
    f.setKallsyms([['famfs_fuse_iomap_begin', 'fuse']]);
    const dist = path.resolve(__dirname, '../../dist/device/index.js');
    const script = `const d = require(${JSON.stringify(dist)});
      const m = d.readDaxMode(${JSON.stringify(path.join(f.devRoot, 'dax0.0'))});
      d.setDaxMode(m.device, 'device_dax');
      console.log(JSON.stringify({ mode: m.mode, kernel: d.detectKernelSupport().famfsKernel }));`;
    const env = { ...process.env, ...fakeHostEnv(f) };
    const r = spawnSync(process.execPath, ['-e', script], { env, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ mode: 'fsdev_dax', kernel: 'v10' });
    expect(f.modeOf('dax0.0')).toBe('device_dax');
    // Without the fake's state file next to it, FAMFS_SYSFS_ROOT is only a sysfs root.
    const plain = spawnSync(process.execPath, ['-e', script], {
      env: { ...process.env, ...fakeHostEnv(f), FAMFS_SYSFS_ROOT: path.join(f.root, 'elsewhere', 'sys') },
      encoding: 'utf8',
    });
    expect(plain.status).not.toBe(0);
  });
});
