import * as fs from 'fs';
import * as path from 'path';
import { DaxMode } from '../../src/device/dax-mode';
import { scanKallsyms } from '../../src/device/kallsyms';
import {
  applyPushProbe,
  detectKernelSupport,
  KernelFacts,
  listDaxDevices,
  readinessReport,
} from '../../src/device/kernel-support';
import { isReady, kernelSummary } from '../../src/device/readiness';
import { FakeSysfs, GiB, useFakeSysfs } from './fake-sysfs';

const fake = useFakeSysfs();

/** A host ready for famfs-ts: FUSE famfs in the fuse module, /dev/fuse, fsdev_dax, dax0.0 in `mode`. */
function readyHost(f: FakeSysfs, mode: DaxMode = 'fsdev_dax'): void {
  f.setOsRelease('7.1.0-famfs');
  f.setKallsyms([
    ['famfs_fuse_iomap_begin', 'fuse'],
    ['famfs_fuse_get_fmap', 'fuse'],
  ]);
  f.setFilesystems(['sysfs', 'proc', 'fuse', 'fusectl']);
  f.addModule('fuse');
  f.addFuseDevice();
  f.setCapEff(0x1ffffffffffn);
  f.addDevice('dax0.0', { mode, size: 16 * GiB });
}

function ids(facts: KernelFacts): string[] {
  return readinessReport(facts).map((p) => p.id);
}

describe('scanKallsyms', () => {
  const line = (sym: string, mod?: string): string => `ffffffffc0a01230 t ${sym}${mod ? `\t[${mod}]` : ''}`;

  test('finds famfs_fuse_iomap_begin in the fuse module and built in (issue #126)', () => {
    const sym = 'famfs_fuse_iomap_begin';
    expect(scanKallsyms(line(sym, 'fuse')).famfsFuse).toEqual({ symbol: sym, module: 'fuse' });
    expect(scanKallsyms(line(sym)).famfsFuse).toEqual({ symbol: sym, module: null });
    expect(scanKallsyms(line(`${sym}.isra.0`)).famfsFuse?.symbol).toBe(`${sym}.isra.0`);
  });

  test('ignores longer names, other modules and malformed lines', () => {
    const text = [
      line('famfs_fuse_iomap_begin_extra', 'fuse'),
      line('famfs_fuse_iomap_begin', 'not_fuse'),
      'famfs_fuse_iomap_begin',
      'a b c d e famfs_fuse_iomap_begin',
    ].join('\n');
    expect(scanKallsyms(text)).toEqual({ famfsFuse: null, famfsV1: null });
  });

  test('finds the standalone v1 famfs_create in [famfs] or [famfsv1]', () => {
    expect(scanKallsyms(line('famfs_create', 'famfs')).famfsV1?.module).toBe('famfs');
    expect(scanKallsyms(line('famfs_create', 'famfsv1')).famfsV1?.module).toBe('famfsv1');
    expect(scanKallsyms(line('famfs_create', 'xfs')).famfsV1).toBeNull();
  });
});

describe('detectKernelSupport', () => {
  test('a ready host: v10 FUSE famfs in the fuse module, fsdev_dax required, push left to the caller', () => {
    const f = fake();
    readyHost(f);
    f.addDevice('dax1.0', { mode: 'device_dax', size: 8 * GiB });
    const facts = detectKernelSupport(f.kernelOptions());
    expect(facts).toEqual({
      kernelRelease: '7.1.0-famfs',
      famfsKernel: 'v10',
      famfsFuseBuiltIn: false,
      v1Kernel: false,
      kallsymsReadable: true,
      fuseLoaded: true,
      fuseDevicePresent: true,
      daxBusPresent: true,
      fsdevDaxDriverPresent: true,
      deviceDaxDriverPresent: true,
      kmemDriverPresent: true,
      fsdevDaxRequired: true,
      pushProbe: 'not-probed',
      capSysRawio: true,
      daxDevices: [
        {
          device: path.join(f.devRoot, 'dax0.0'),
          name: 'dax0.0',
          mode: 'fsdev_dax',
          driver: 'fsdev_dax',
          size: 16 * GiB,
        },
        {
          device: path.join(f.devRoot, 'dax1.0'),
          name: 'dax1.0',
          mode: 'device_dax',
          driver: 'device_dax',
          size: 8 * GiB,
        },
      ],
    });
    // Only a note: dax1.0 can be mkfs'd as it is, but must be switched before a mount.
    const report = readinessReport(facts);
    expect(report).toEqual([
      {
        id: 'dax-needs-fsdev',
        severity: 'note',
        message: expect.stringContaining(`dax device ${path.join(f.devRoot, 'dax1.0')} is in device_dax mode`),
        fix: 'daxctl reconfigure-device --mode=famfs dax1.0',
        device: path.join(f.devRoot, 'dax1.0'),
      },
    ]);
  });

  test('a fully ready host has no problems at all', () => {
    const f = fake();
    readyHost(f);
    expect(readinessReport(detectKernelSupport(f.kernelOptions()))).toEqual([]);
  });

  test('built-in fuse with famfs is detected (C famfs misses it, issue #126)', () => {
    const f = fake();
    readyHost(f);
    f.setKallsyms([['famfs_fuse_iomap_begin', null]]);
    const facts = detectKernelSupport(f.kernelOptions());
    expect(facts.famfsKernel).toBe('v10');
    expect(facts.famfsFuseBuiltIn).toBe(true);
  });

  test('fuse loaded without famfs: none, an error with the fix', () => {
    const f = fake();
    readyHost(f);
    f.setKallsyms([['fuse_iomap_begin', 'fuse']]);
    const facts = detectKernelSupport(f.kernelOptions());
    expect(facts.famfsKernel).toBe('none');
    expect(facts.famfsFuseBuiltIn).toBeNull();
    expect(readinessReport(facts)[0]).toEqual({
      id: 'no-famfs-kernel',
      severity: 'error',
      message: 'this kernel has no famfs support (no famfs_fuse_iomap_begin in /proc/kallsyms)',
      fix: 'boot a kernel with the famfs FUSE patches (CONFIG_FUSE_FAMFS_DAX)',
    });
  });

  test('fuse not loaded: unknown, since module symbols only show once loaded', () => {
    const f = fake();
    f.setKallsyms([]);
    f.setFilesystems(['sysfs', 'proc']);
    const facts = detectKernelSupport(f.kernelOptions());
    expect(facts.fuseLoaded).toBe(false);
    expect(facts.famfsKernel).toBe('unknown');
    expect(ids(facts)).toContain('fuse-not-loaded');
    f.addModule('fuse');
    expect(detectKernelSupport(f.kernelOptions()).famfsKernel).toBe('none');
  });

  test('missing or empty kallsyms: unknown', () => {
    const f = fake();
    f.setFilesystems(['fuse']);
    f.setKallsyms(null);
    const missing = detectKernelSupport(f.kernelOptions());
    expect(missing).toMatchObject({ famfsKernel: 'unknown', kallsymsReadable: false, kernelRelease: null });
    expect(ids(missing)[0]).toBe('kallsyms-unreadable');
    fs.writeFileSync(path.join(f.procRoot, 'kallsyms'), '');
    expect(detectKernelSupport(f.kernelOptions()).famfsKernel).toBe('unknown');
  });

  test('only the standalone v1 famfs: none for FUSE, v1Kernel set, reported as such', () => {
    const f = fake();
    readyHost(f);
    f.setKallsyms([['famfs_create', 'famfsv1']]);
    const bySymbol = detectKernelSupport(f.kernelOptions());
    expect(bySymbol).toMatchObject({ famfsKernel: 'none', v1Kernel: true });
    expect(ids(bySymbol)[0]).toBe('v1-only');
    f.setKallsyms([]);
    f.addModule('famfs');
    expect(detectKernelSupport(f.kernelOptions()).v1Kernel).toBe(true);
  });

  test('an older FUSE famfs kernel without fsdev_dax: no switch required, but a warning', () => {
    const f = fake();
    readyHost(f, 'device_dax');
    f.removeDriver('fsdev_dax');
    const facts = detectKernelSupport(f.kernelOptions());
    expect(facts).toMatchObject({ fsdevDaxDriverPresent: false, fsdevDaxRequired: false });
    expect(readinessReport(facts)).toEqual([
      {
        id: 'fsdev-dax-missing',
        severity: 'warning',
        message: expect.stringContaining('the fsdev_dax driver is not loaded'),
        fix: 'modprobe fsdev_dax',
      },
    ]);
  });

  test('no /dev/fuse is an error; no dax bus means no devices', () => {
    const f = fake();
    readyHost(f);
    fs.rmSync(path.join(f.devRoot, 'fuse'));
    f.removeDaxBus();
    const facts = detectKernelSupport(f.kernelOptions());
    expect(facts).toMatchObject({
      fuseDevicePresent: false,
      daxBusPresent: false,
      fsdevDaxDriverPresent: false,
      daxDevices: [],
    });
    expect(ids(facts)).toEqual(['no-fuse-device', 'fsdev-dax-missing', 'no-dax-devices']);
  });

  test("the push generation comes only from the caller's ioctl probe", () => {
    const f = fake();
    readyHost(f);
    const facts = detectKernelSupport(f.kernelOptions());
    expect(applyPushProbe(facts, 'push')).toMatchObject({ famfsKernel: 'push', pushProbe: 'push' });
    expect(applyPushProbe(facts, 'no-push')).toMatchObject({ famfsKernel: 'v10', pushProbe: 'no-push' });
    expect(facts.pushProbe).toBe('not-probed');
    expect(readinessReport(applyPushProbe(facts, 'push'))).toEqual([]);
  });
});

describe('listDaxDevices', () => {
  test('numeric (region, id) order, every mode, sizes from sysfs', () => {
    const f = fake();
    f.addDevice('dax10.0', { mode: 'none', size: 2 * GiB });
    f.addDevice('dax2.0', { mode: 'system-ram' });
    f.addDevice('dax0.10', { mode: { driver: 'dax_cxl_mystery' } });
    f.addDevice('dax0.2', { mode: 'fsdev_dax' });
    fs.writeFileSync(path.join(f.sysfsRoot, 'devices', 'fake-region', 'dax0.2', 'size'), 'garbage\n');
    const list = listDaxDevices(f.kernelOptions());
    expect(list.map((d) => [d.name, d.mode, d.size])).toEqual([
      ['dax0.2', 'fsdev_dax', null],
      ['dax0.10', 'unknown', 8 * GiB],
      ['dax2.0', 'system-ram', 8 * GiB],
      ['dax10.0', 'none', 2 * GiB],
    ]);
    expect(list[0].device).toBe(path.join(f.devRoot, 'dax0.2'));
  });

  test('no dax bus: an empty list', () => {
    const f = fake();
    f.removeDaxBus();
    expect(listDaxDevices(f.kernelOptions())).toEqual([]);
  });
});

describe('readinessReport', () => {
  test('one problem per unusable device, each one line with a daxctl fix for the mode famfs needs', () => {
    const f = fake();
    readyHost(f);
    f.addDevice('dax1.0', { mode: 'system-ram' });
    f.addDevice('dax2.0', { mode: 'none' });
    f.addDevice('dax3.0', { mode: { driver: 'dax_cxl_mystery' } });
    const report = readinessReport(detectKernelSupport(f.kernelOptions()));
    const cmd = (mode: string, name: string): string => `daxctl reconfigure-device --mode=${mode} ${name}`;
    const dev = (name: string): string => path.join(f.devRoot, name);
    expect(report.map((p) => [p.id, p.severity, p.device, p.fix])).toEqual([
      ['dax-mode', 'warning', dev('dax1.0'), `${cmd('devdax --force', 'dax1.0')} && ${cmd('famfs', 'dax1.0')}`],
      ['dax-mode', 'warning', dev('dax2.0'), cmd('famfs', 'dax2.0')],
      ['dax-mode', 'warning', dev('dax3.0'), cmd('famfs', 'dax3.0')],
    ]);
    expect(report[0].message).toContain('system-ram mode (driver kmem)');
    expect(report[1].message).toContain('mode none (no driver bound)');
    expect(report[2].message).toContain('dax_cxl_mystery');
  });

  test('without fsdev_dax the fixes aim at devdax', () => {
    const f = fake(); // no kallsyms etc.: only the dax part matters here
    f.removeDriver('fsdev_dax');
    f.addDevice('dax1.0', { mode: 'system-ram' });
    const problem = readinessReport(detectKernelSupport(f.kernelOptions())).find((p) => p.id === 'dax-mode');
    expect(problem?.fix).toBe('daxctl reconfigure-device --mode=devdax --force dax1.0');
  });

  test('every message and fix is a single line', () => {
    const f = fake();
    f.addDevice('dax1.0', { mode: 'system-ram' });
    f.setKallsyms([['famfs_create', 'famfs']]);
    f.setFilesystems(['fuse']);
    const report = readinessReport(detectKernelSupport(f.kernelOptions()));
    expect(report.length).toBeGreaterThan(1);
    for (const p of report) {
      expect(p.message).not.toMatch(/\n/);
      expect(p.fix).not.toMatch(/\n/);
      expect(p.fix.length).toBeGreaterThan(0);
    }
  });
});

describe('capabilities, the kernel in words, and modes for a kernel without famfs', () => {
  test('CAP_SYS_RAWIO is bit 17 of CapEff; without it a famfs kernel is not ready', () => {
    const f = fake();
    readyHost(f);
    f.setCapEff(0x1ffffffffffn & ~(1n << 17n));
    const facts = detectKernelSupport(f.kernelOptions());
    expect(facts.capSysRawio).toBe(false);
    expect(readinessReport(facts).map((p) => [p.id, p.severity])).toEqual([['no-cap-sys-rawio', 'error']]);
    expect(isReady(readinessReport(facts))).toBe(false);
    f.setCapEff(1n << 17n);
    expect(detectKernelSupport(f.kernelOptions()).capSysRawio).toBe(true);
    fs.rmSync(path.join(f.procRoot, 'self', 'status'));
    expect(detectKernelSupport(f.kernelOptions()).capSysRawio).toBeNull();
  });

  test('kernelSummary names the generation', () => {
    const f = fake();
    readyHost(f);
    const facts = detectKernelSupport(f.kernelOptions());
    expect(kernelSummary(facts)).toMatch(/^famfs V10 \(FUSE famfs in the fuse module;/);
    expect(kernelSummary(applyPushProbe(facts, 'push'))).toMatch(/^famfs push generation/);
    f.setKallsyms([['fuse_iomap_begin', 'fuse']]);
    expect(kernelSummary(detectKernelSupport(f.kernelOptions()))).toMatch(/^none \(a stock kernel/);
    f.setKallsyms(null);
    expect(kernelSummary(detectKernelSupport(f.kernelOptions()))).toMatch(/^unknown \(\/proc\/kallsyms/);
  });

  test('without famfs in the kernel, a device in fsdev_dax is a warning: famfs_fused must map it', () => {
    const f = fake();
    readyHost(f, 'fsdev_dax');
    f.setKallsyms([['fuse_iomap_begin', 'fuse']]);
    const problems = readinessReport(detectKernelSupport(f.kernelOptions()));
    expect(problems.map((p) => p.id)).toEqual(['no-famfs-kernel', 'dax-needs-devdax']);
    expect(problems[1].fix).toBe('daxctl reconfigure-device --mode=devdax dax0.0');
  });
});
