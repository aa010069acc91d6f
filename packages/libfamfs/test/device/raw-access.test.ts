import * as fs from 'fs';
import * as path from 'path';
import { DaxModeError, ensureFsdevMode, RawAccessSession, withRawAccess } from '../../src/device/dax-mode';
import { expectDaxError, expectDaxRejection } from './dax-expect';
import { FakeSysfs, useFakeSysfs } from './fake-sysfs';

const fake = useFakeSysfs();
const notMounted = (): boolean => false;

function rawOpenWorks(f: FakeSysfs, node: string): boolean {
  try {
    fs.closeSync(f.rawOpen(node));
    return true;
  } catch (e) {
    return false;
  }
}

function journal(f: FakeSysfs): string[] {
  return f.writes.map((w) => `${w.driver}/${w.attr}=${w.result}`);
}

describe('withRawAccess', () => {
  test('fsdev_dax: switched to device_dax for fn, back to fsdev_dax after', () => {
    const f = fake();
    const node = f.addDevice('dax0.0', { mode: 'fsdev_dax' });
    expect(rawOpenWorks(f, node)).toBe(false);
    const seen: RawAccessSession[] = [];
    const result = withRawAccess(
      node,
      (session) => {
        seen.push(session);
        expect(f.modeOf('dax0.0')).toBe('device_dax');
        expect(rawOpenWorks(f, node)).toBe(true);
        return 42;
      },
      { ...f.options(), isMounted: notMounted },
    );
    expect(result).toBe(42);
    expect(seen).toEqual([{ device: node, name: 'dax0.0', mode: 'fsdev_dax', switched: true }]);
    expect(f.modeOf('dax0.0')).toBe('fsdev_dax');
    expect(f.idsOf('fsdev_dax').has('dax0.0')).toBe(true);
    expect(rawOpenWorks(f, node)).toBe(false);
  });

  test('device_dax: fn runs with nothing written', () => {
    const f = fake();
    const node = f.addDevice('dax0.0');
    const session = withRawAccess(node, (s) => s, { ...f.options(), isMounted: notMounted });
    expect(session).toEqual({ device: node, name: 'dax0.0', mode: 'device_dax', switched: false });
    expect(f.writes).toEqual([]);
  });

  test('regular files and block devices are no-ops (the mount table is not even asked)', () => {
    const f = fake();
    const image = path.join(f.root, 'famfs.img');
    fs.writeFileSync(image, '');
    const pmem = f.addBlockNode('pmem0');
    const isMounted = jest.fn(() => true);
    for (const p of [image, pmem]) {
      expect(withRawAccess(p, (s) => s.switched, { ...f.options(), isMounted })).toBe(false);
    }
    expect(isMounted).not.toHaveBeenCalled();
    expect(f.writes).toEqual([]);
  });

  test("fn throwing: the mode is restored and fn's error comes out unchanged", () => {
    const f = fake();
    const node = f.addDevice('dax0.0', { mode: 'fsdev_dax' });
    const boom = new Error('mkfs failed');
    expect(() =>
      withRawAccess(
        node,
        () => {
          throw boom;
        },
        { ...f.options(), isMounted: notMounted },
      ),
    ).toThrow(boom);
    expect(f.modeOf('dax0.0')).toBe('fsdev_dax');
  });

  test('async fn: restored only after the promise settles, on success and on rejection', async () => {
    const f = fake();
    const node = f.addDevice('dax0.0', { mode: 'fsdev_dax' });
    const opts = { ...f.options(), isMounted: notMounted };
    const ok = withRawAccess(
      node,
      async () => {
        await new Promise((r) => setImmediate(r));
        return f.modeOf('dax0.0');
      },
      opts,
    );
    expect(f.modeOf('dax0.0')).toBe('device_dax');
    await expect(ok).resolves.toBe('device_dax');
    expect(f.modeOf('dax0.0')).toBe('fsdev_dax');

    const failing = withRawAccess(
      node,
      async () => {
        await new Promise((r) => setImmediate(r));
        throw new Error('fsck failed');
      },
      opts,
    );
    await expect(failing).rejects.toThrow('fsck failed');
    expect(f.modeOf('dax0.0')).toBe('fsdev_dax');
  });

  test('a bind that fails partway through the switch is rolled back, and fn never runs', () => {
    const f = fake();
    const node = f.addDevice('dax0.0', { mode: 'fsdev_dax' });
    f.failProbe('device_dax', 'ENOMEM');
    const fn = jest.fn();
    expectDaxError(() => withRawAccess(node, fn, { ...f.options(), isMounted: notMounted }), {
      reason: 'switch-failed',
      code: 'EIO',
      mentions: [node, 'from fsdev_dax to device_dax (device_dax/bind: ENOMEM)', 'still in fsdev_dax mode'],
      fix: 'daxctl reconfigure-device --mode=devdax dax0.0',
    });
    expect(fn).not.toHaveBeenCalled();
    expect(f.modeOf('dax0.0')).toBe('fsdev_dax');
    expect(journal(f)).toEqual([
      'fsdev_dax/remove_id=ok',
      'fsdev_dax/unbind=ok',
      'device_dax/bind=ENOMEM',
      'device_dax/new_id=ok',
      'device_dax/bind=ENOMEM',
      'device_dax/remove_id=ok',
      'fsdev_dax/new_id=ok',
    ]);
  });

  test('sysfs write errors on new_id and bind are rolled back the same way', () => {
    const f = fake();
    const node = f.addDevice('dax0.0', { mode: 'fsdev_dax' });
    f.failWrites({ driver: 'device_dax', attr: 'new_id', code: 'EIO' });
    f.failWrites({ driver: 'device_dax', attr: 'bind', code: 'EIO' });
    const fn = jest.fn();
    expect(() => withRawAccess(node, fn, { ...f.options(), isMounted: notMounted })).toThrow(DaxModeError);
    expect(fn).not.toHaveBeenCalled();
    expect(f.modeOf('dax0.0')).toBe('fsdev_dax');
  });

  test("a restore that fails is an error of its own, with fn's error as its cause", () => {
    const f = fake();
    const node = f.addDevice('dax0.0', { mode: 'fsdev_dax' });
    const opts = { ...f.options(), isMounted: notMounted };
    const err = expectDaxError(() => withRawAccess(node, () => f.failProbe('fsdev_dax', 'EBUSY'), opts), {
      reason: 'restore-failed',
      code: 'EIO',
      mentions: [node, 'could not restore', 'fsdev_dax/bind: EBUSY', 'still in device_dax mode'],
      fix: 'daxctl reconfigure-device --mode=famfs dax0.0',
    });
    expect(err.cause).toBeUndefined();
    expect(f.modeOf('dax0.0')).toBe('device_dax');

    f.clearFailures();
    setDaxModeBack(f);
    const boom = new Error('mkfs failed');
    const err2 = expectDaxError(
      () =>
        withRawAccess(
          node,
          () => {
            f.failProbe('fsdev_dax', 'EBUSY');
            throw boom;
          },
          opts,
        ),
      {
        reason: 'restore-failed',
        code: 'EIO',
        mentions: [node],
        fix: 'daxctl reconfigure-device --mode=famfs dax0.0',
      },
    );
    expect(err2.cause).toBe(boom);
  });

  test('a rejected async fn whose restore fails rejects with the restore error', async () => {
    const f = fake();
    const node = f.addDevice('dax0.0', { mode: 'fsdev_dax' });
    const boom = new Error('logplay failed');
    const p = withRawAccess(
      node,
      async () => {
        f.failProbe('fsdev_dax');
        throw boom;
      },
      { ...f.options(), isMounted: notMounted },
    );
    const err = await expectDaxRejection(p, {
      reason: 'restore-failed',
      code: 'EIO',
      mentions: [node],
      fix: 'daxctl reconfigure-device --mode=famfs dax0.0',
    });
    expect(err.cause).toBe(boom);
  });

  test('restores whatever fn left behind, e.g. an unbound device', () => {
    const f = fake();
    const node = f.addDevice('dax0.0', { mode: 'fsdev_dax' });
    withRawAccess(
      node,
      () => {
        f.writer(path.join(f.sysfsRoot, 'bus', 'dax', 'drivers', 'device_dax', 'unbind'), 'dax0.0');
      },
      { ...f.options(), isMounted: notMounted },
    );
    expect(f.modeOf('dax0.0')).toBe('fsdev_dax');
  });

  test('refused while famfs has the device mounted, with nothing switched', () => {
    const f = fake();
    const node = f.addDevice('dax0.0', { mode: 'fsdev_dax' });
    const isMounted = jest.fn(() => true);
    const fn = jest.fn();
    expectDaxError(() => withRawAccess(node, fn, { ...f.options(), isMounted }), {
      reason: 'mounted',
      code: 'EBUSY',
      mentions: [node, 'fsdev_dax mode', 'mounted by famfs'],
      fix: 'famfs umount <mountpoint>',
    });
    expect(isMounted).toHaveBeenCalledWith(node);
    expect(fn).not.toHaveBeenCalled();
    expect(f.writes).toEqual([]);
    expect(f.modeOf('dax0.0')).toBe('fsdev_dax');
  });

  test('a mounted device already in device_dax needs no switch, so it is not refused', () => {
    const f = fake();
    const node = f.addDevice('dax0.0');
    expect(withRawAccess(node, () => 'ran', { ...f.options(), isMounted: () => true })).toBe('ran');
  });

  test('system-ram, no driver and an unknown driver: one sentence each, nothing touched', () => {
    const f = fake();
    const cases = [
      [
        f.addDevice('dax2.0', { mode: 'system-ram' }),
        ['system-ram mode', 'kmem'],
        'daxctl reconfigure-device --mode=devdax --force dax2.0',
      ],
      [
        f.addDevice('dax3.0', { mode: 'none' }),
        ['mode none', 'no driver bound'],
        'daxctl reconfigure-device --mode=devdax dax3.0',
      ],
      [
        f.addDevice('dax4.0', { mode: { driver: 'dax_cxl_mystery' } }),
        ['unknown mode', 'dax_cxl_mystery'],
        'daxctl reconfigure-device --mode=devdax dax4.0',
      ],
    ] as const;
    const fn = jest.fn();
    for (const [node, mentions, fix] of cases) {
      expectDaxError(() => withRawAccess(node, fn, { ...f.options(), isMounted: notMounted }), {
        reason: 'wrong-mode',
        code: 'EDAXMODE',
        mentions: [node, ...mentions],
        fix,
      });
    }
    expect(fn).not.toHaveBeenCalled();
    expect(f.writes).toEqual([]);
  });
});

describe('ensureFsdevMode', () => {
  test('device_dax is switched to fsdev_dax and left there', () => {
    const f = fake();
    const node = f.addDevice('dax0.0');
    expect(ensureFsdevMode(node, f.options())).toEqual({
      device: node,
      name: 'dax0.0',
      status: 'switched',
      from: 'device_dax',
    });
    expect(f.modeOf('dax0.0')).toBe('fsdev_dax');
  });

  test('already fsdev_dax: nothing written, with or without leaveModeAlone', () => {
    const f = fake();
    const node = f.addDevice('dax0.0', { mode: 'fsdev_dax' });
    expect(ensureFsdevMode(node, f.options()).status).toBe('already');
    expect(ensureFsdevMode(node, { ...f.options(), leaveModeAlone: true }).status).toBe('already');
    expect(f.writes).toEqual([]);
  });

  test('leaveModeAlone: device_dax and unbound devices are errors naming the daxctl command', () => {
    const f = fake();
    const devdax = f.addDevice('dax0.0');
    const unbound = f.addDevice('dax1.0', { mode: 'none' });
    expectDaxError(() => ensureFsdevMode(devdax, { ...f.options(), leaveModeAlone: true }), {
      reason: 'wrong-mode',
      code: 'EDAXMODE',
      mentions: [devdax, 'device_dax mode', 'need fsdev_dax', 'left alone'],
      fix: 'daxctl reconfigure-device --mode=famfs dax0.0',
    });
    expectDaxError(() => ensureFsdevMode(unbound, { ...f.options(), leaveModeAlone: true }), {
      reason: 'wrong-mode',
      code: 'EDAXMODE',
      mentions: [unbound, 'mode none'],
      fix: 'daxctl reconfigure-device --mode=famfs dax1.0',
    });
    expect(f.writes).toEqual([]);
  });

  test('an unbound device is bound to fsdev_dax (as C famfs --set-daxmode does)', () => {
    const f = fake();
    const node = f.addDevice('dax1.0', { mode: 'none' });
    expect(ensureFsdevMode(node, f.options())).toMatchObject({ status: 'switched', from: 'none' });
    expect(f.modeOf('dax1.0')).toBe('fsdev_dax');
  });

  test('system-ram and unknown drivers are one-line errors, even with switching allowed', () => {
    const f = fake();
    const ram = f.addDevice('dax2.0', { mode: 'system-ram' });
    const odd = f.addDevice('dax4.0', { mode: { driver: 'dax_cxl_mystery' } });
    expectDaxError(() => ensureFsdevMode(ram, f.options()), {
      reason: 'wrong-mode',
      code: 'EDAXMODE',
      mentions: [ram, 'system-ram'],
      fix:
        'daxctl reconfigure-device --mode=devdax --force dax2.0 && ' + 'daxctl reconfigure-device --mode=famfs dax2.0',
    });
    expectDaxError(() => ensureFsdevMode(odd, f.options()), {
      reason: 'wrong-mode',
      code: 'EDAXMODE',
      mentions: [odd, 'dax_cxl_mystery'],
      fix: 'daxctl reconfigure-device --mode=famfs dax4.0',
    });
    expect(f.writes).toEqual([]);
  });

  test('non-dax paths are no-ops', () => {
    const f = fake();
    const image = path.join(f.root, 'famfs.img');
    fs.writeFileSync(image, '');
    expect(ensureFsdevMode(image, f.options())).toEqual({ device: image, name: null, status: 'not-dax', from: null });
    expect(ensureFsdevMode(f.addBlockNode('pmem0'), f.options()).status).toBe('not-dax');
    expect(f.writes).toEqual([]);
  });

  test('a kernel without fsdev_dax needs no switch; `required` overrides the detection', () => {
    const f = fake();
    const node = f.addDevice('dax0.0');
    f.removeDriver('fsdev_dax');
    expect(ensureFsdevMode(node, f.options())).toMatchObject({ status: 'not-required', from: 'device_dax' });
    expectDaxError(() => ensureFsdevMode(node, { ...f.options(), required: true }), {
      reason: 'driver-missing',
      code: 'ENOENT',
      mentions: [node, 'fsdev_dax driver is not loaded'],
      fix: 'modprobe fsdev_dax',
    });
    expect(f.writes).toEqual([]);
    f.addDriver('fsdev_dax');
    expect(ensureFsdevMode(node, { ...f.options(), required: false }).status).toBe('not-required');
  });

  test('a failed switch is rolled back and reported', () => {
    const f = fake();
    const node = f.addDevice('dax0.0');
    f.failProbe('fsdev_dax', 'EINVAL');
    expectDaxError(() => ensureFsdevMode(node, f.options()), {
      reason: 'switch-failed',
      code: 'EIO',
      mentions: [node, 'fsdev_dax/bind: EINVAL', 'still in device_dax mode'],
      fix: 'daxctl reconfigure-device --mode=famfs dax0.0',
    });
    expect(f.modeOf('dax0.0')).toBe('device_dax');
  });
});

/** Puts dax0.0 back in fsdev_dax by hand (the fix a user would run). */
function setDaxModeBack(f: FakeSysfs): void {
  const drv = (d: string, a: string): string => path.join(f.sysfsRoot, 'bus', 'dax', 'drivers', d, a);
  f.writer(drv('device_dax', 'unbind'), 'dax0.0');
  f.writer(drv('fsdev_dax', 'new_id'), 'dax0.0');
  expect(f.modeOf('dax0.0')).toBe('fsdev_dax');
}
