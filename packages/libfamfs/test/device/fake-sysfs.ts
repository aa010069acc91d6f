import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  DaxMode,
  DRIVER_OF_MODE,
  modeOfDriver,
  NodeKindProbe,
  ObservedDaxMode,
  statNodeKind,
  SysfsWriter,
} from '../../src/device/dax-mode';
import { DaxDriverAttr } from '../../src/device/sysfs';

/**
 * A fake sysfs (plus /proc and /dev) in a fresh temp dir, close enough to the kernel's for the dax
 * mode code. Layout, as on a real host:
 *
 *   sys/devices/fake-region/daxX.Y/{size, driver -> ../../../bus/dax/drivers/<drv>}
 *   sys/bus/dax/devices/daxX.Y -> ../../../devices/fake-region/daxX.Y
 *   sys/bus/dax/drivers/<drv>/{bind, unbind, new_id, remove_id}
 *   sys/module/<m>/, proc/{kallsyms, filesystems, sys/kernel/osrelease}, dev/{daxX.Y, fuse}
 *
 * Design: plain files cannot react to a write, and fs.watch would make tests racy, so nothing
 * watches anything. The code under test writes sysfs through an injectable SysfsWriter; `writer`
 * here is one that does synchronously what the kernel's dax bus does for that attribute, by moving
 * the `driver` symlink, and throws the errno the kernel would. The rules it follows (drivers/dax/
 * bus.c and drivers/base/bus.c):
 *   - new_id: name must look like daxX.Y (else EINVAL); adds the id, then attaches every unbound
 *     device the driver matches (driver_attach); a probe failure there is silent, as in the kernel.
 *   - remove_id: drops the id; no error if it was not there.
 *   - bind: unknown device ENODEV; already bound EBUSY; driver does not match EINVAL (the reference
 *     reports EINVAL for a plain fsdev_dax bind); probe failure: that errno.
 *   - unbind: unknown device, or bound to another driver: ENODEV.
 *   - matching (dax_bus_match): by id, else by type: device_dax matches devices of ordinary
 *     regions, kmem those of kmem-typed regions (spec.kmemRegion); fsdev_dax and others only by id.
 * Failures are injected two ways: failWrites() makes writes to an attribute throw before they take
 * effect (a sysfs write error), failProbe() makes a driver's probe fail (the device stays unbound).
 *
 * Device nodes are regular files in dev/, reported as character devices by `nodeKind`, the
 * NodeKindProbe to pass to the code under test. `rawOpen` opens one the way mkfs/fsck would use
 * it and fails like the kernel per mode: device_dax works; fsdev_dax gives ENODEV (its cdev has no
 * mmap, reference §3.5); no driver, kmem or an unknown driver give ENXIO (no cdev to open).
 */

export interface FakeDeviceSpec {
  /** A mode, or an arbitrary driver name for the 'unknown' cases. Default 'device_dax'. */
  mode?: DaxMode | { driver: string };
  /** Bytes written to the size file; default 8 GiB. */
  size?: number;
  /** The device's region is typed for kmem (IORESOURCE_DAX_KMEM): device_dax matches it only by id. */
  kmemRegion?: boolean;
}

/** One write the fake received, in order; `result` is 'ok' or the errno code thrown. */
export interface FakeWrite {
  driver: string;
  attr: DaxDriverAttr;
  value: string;
  result: string;
}

export interface WriteFailureRule {
  driver?: string;
  attr?: DaxDriverAttr;
  /** Default 'EIO'. */
  code?: string;
  /** How many matching writes fail; default all of them. */
  times?: number;
}

export const GiB = 1024 ** 3;
const ATTRS: readonly DaxDriverAttr[] = ['bind', 'unbind', 'new_id', 'remove_id'];
const REGION = 'fake-region';

export class FakeSysfs {
  readonly sysfsRoot: string;
  readonly procRoot: string;
  readonly devRoot: string;
  /** Every write through `writer`, failed ones included. */
  readonly writes: FakeWrite[] = [];
  private readonly ids = new Map<string, Set<string>>();
  private readonly probeFailures = new Map<string, string>();
  private writeFailures: Required<WriteFailureRule>[] = [];
  private readonly charNodes = new Map<string, string>(); // real node path -> dax name
  private readonly blockNodes = new Set<string>();
  private readonly kmemRegionDevices = new Set<string>();

  private constructor(
    readonly root: string,
    drivers: readonly string[],
  ) {
    this.sysfsRoot = path.join(root, 'sys');
    this.procRoot = path.join(root, 'proc');
    this.devRoot = path.join(root, 'dev');
    const dirs = [
      path.join(this.sysfsRoot, 'bus', 'dax', 'devices'),
      path.join(this.sysfsRoot, 'devices', REGION),
      path.join(this.sysfsRoot, 'module'),
      path.join(this.procRoot, 'sys', 'kernel'),
      this.devRoot,
    ];
    for (const d of dirs) fs.mkdirSync(d, { recursive: true });
    for (const d of drivers) this.addDriver(d);
  }

  /** A fresh fake with the device_dax, fsdev_dax and kmem drivers registered (or `drivers`). */
  static create(drivers: readonly string[] = ['device_dax', 'fsdev_dax', 'kmem']): FakeSysfs {
    // realpath: the code under test resolves symlinks, and the temp dir may sit behind one.
    const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'famfs-fake-sysfs-')));
    return new FakeSysfs(root, drivers);
  }

  cleanup(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }

  /** The options the dax-mode functions take. */
  options(): { sysfsRoot: string; writer: SysfsWriter; nodeKind: NodeKindProbe } {
    return { sysfsRoot: this.sysfsRoot, writer: this.writer, nodeKind: this.nodeKind };
  }

  /** The options the kernel-support functions take. */
  kernelOptions(): { sysfsRoot: string; procRoot: string; devRoot: string } {
    return { sysfsRoot: this.sysfsRoot, procRoot: this.procRoot, devRoot: this.devRoot };
  }

  // ---- dax bus ----

  /** Registers a driver (as loading its module would). */
  addDriver(driver: string): void {
    const dir = this.driverDir(driver);
    fs.mkdirSync(dir, { recursive: true });
    for (const a of ATTRS) fs.writeFileSync(path.join(dir, a), '');
    if (!this.ids.has(driver)) this.ids.set(driver, new Set());
  }

  /** Unregisters a driver that no device is bound to (as unloading its module would). */
  removeDriver(driver: string): void {
    for (const name of this.deviceNames()) {
      if (this.driverOf(name) === driver) throw new Error(`fake: ${driver} still has ${name} bound`);
    }
    fs.rmSync(this.driverDir(driver), { recursive: true, force: true });
    this.ids.delete(driver);
  }

  /** Removes /sys/bus/dax entirely (a kernel without dax support). */
  removeDaxBus(): void {
    fs.rmSync(path.join(this.sysfsRoot, 'bus', 'dax'), { recursive: true, force: true });
  }

  /** Adds daxX.Y in the given mode; returns its device node path (dev/daxX.Y). */
  addDevice(name: string, spec: FakeDeviceSpec = {}): string {
    const mode = spec.mode ?? 'device_dax';
    if (spec.kmemRegion) this.kmemRegionDevices.add(name);
    const dir = path.join(this.sysfsRoot, 'devices', REGION, name);
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'size'), `${spec.size ?? 8 * GiB}\n`);
    fs.symlinkSync(path.join('..', '..', '..', 'devices', REGION, name), this.busDevice(name));
    const driver = typeof mode === 'object' ? mode.driver : mode === 'none' ? null : DRIVER_OF_MODE[mode];
    if (driver !== null) {
      if (!fs.existsSync(this.driverDir(driver))) this.addDriver(driver);
      // A driver that does not match by type got the device through new_id, so it lists the id.
      if (!this.matchesByType(driver, name)) this.idsOf(driver).add(name);
      this.link(name, driver);
    }
    const node = path.join(this.devRoot, name);
    fs.writeFileSync(node, '');
    this.charNodes.set(node, name);
    return node;
  }

  /** A device node the fake reports as a block device (a pmem namespace, say). */
  addBlockNode(name: string): string {
    const node = path.join(this.devRoot, name);
    fs.writeFileSync(node, '');
    this.blockNodes.add(node);
    return node;
  }

  driverOf(name: string): string | null {
    try {
      return path.basename(fs.readlinkSync(path.join(this.busDevice(name), 'driver')));
    } catch {
      return null;
    }
  }

  modeOf(name: string): ObservedDaxMode {
    return modeOfDriver(this.driverOf(name));
  }

  /** The ids a driver matches by (what new_id added and remove_id did not take away). */
  idsOf(driver: string): Set<string> {
    let set = this.ids.get(driver);
    if (set === undefined) {
      set = new Set();
      this.ids.set(driver, set);
    }
    return set;
  }

  /** Makes matching writes throw `code` before they take effect. */
  failWrites(rule: WriteFailureRule): void {
    this.writeFailures.push({ driver: '', attr: '' as DaxDriverAttr, code: 'EIO', times: Infinity, ...rule });
  }

  /** Makes the driver's probe fail with `code`: bind throws it, new_id's attach leaves the device unbound. */
  failProbe(driver: string, code = 'ENXIO'): void {
    this.probeFailures.set(driver, code);
  }

  clearFailures(): void {
    this.writeFailures = [];
    this.probeFailures.clear();
  }

  /** The SysfsWriter to hand to the code under test. */
  readonly writer: SysfsWriter = (file, value) => {
    const { driver, attr } = this.resolveAttr(file);
    const record: FakeWrite = { driver, attr, value: value.replace(/\n$/, ''), result: 'ok' };
    this.writes.push(record);
    try {
      this.injectedFailure(driver, attr, file);
      this.apply(driver, attr, record.value);
    } catch (e) {
      record.result = (e as NodeJS.ErrnoException).code ?? 'error';
      throw e;
    }
  };

  /** The NodeKindProbe to hand to the code under test. */
  readonly nodeKind: NodeKindProbe = (realPath) => {
    if (this.charNodes.has(realPath)) return 'char';
    if (this.blockNodes.has(realPath)) return 'block';
    return statNodeKind(realPath);
  };

  /**
   * Opens a device node for raw access (open + mmap, as mkfs and fsck do); returns an fd to close.
   * Fails like the kernel for the device's current mode (see the header comment).
   */
  rawOpen(nodePath: string): number {
    const real = fs.realpathSync(nodePath);
    const name = this.charNodes.get(real);
    if (name !== undefined) {
      const mode = this.modeOf(name);
      if (mode === 'fsdev_dax') throw errnoError('ENODEV', 'mmap', nodePath);
      if (mode !== 'device_dax') throw errnoError('ENXIO', 'open', nodePath);
    }
    return fs.openSync(real, 'r');
  }

  // ---- /proc, /sys/module, /dev/fuse (kernel-support facts) ----

  /** Writes proc/kallsyms from [symbol, module|null] pairs; null removes the file. */
  setKallsyms(symbols: ReadonlyArray<readonly [string, string | null]> | null): void {
    const file = path.join(this.procRoot, 'kallsyms');
    if (symbols === null) {
      fs.rmSync(file, { force: true });
      return;
    }
    const filler: Array<[string, string | null]> = [
      ['_text', null],
      ['fuse_dev_read', 'fuse'],
      ['kmem_cache_alloc', null],
    ];
    const lines = [...filler, ...symbols].map(
      ([sym, mod], i) => `ffffffff${(0x81000000 + i * 0x40).toString(16)} t ${sym}${mod === null ? '' : `\t[${mod}]`}`,
    );
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
  }

  /** Writes proc/filesystems listing these (all as nodev, which fuse is). */
  setFilesystems(names: readonly string[]): void {
    fs.writeFileSync(path.join(this.procRoot, 'filesystems'), names.map((n) => `nodev\t${n}\n`).join(''));
  }

  setOsRelease(release: string): void {
    fs.writeFileSync(path.join(this.procRoot, 'sys', 'kernel', 'osrelease'), `${release}\n`);
  }

  addModule(name: string): void {
    fs.mkdirSync(path.join(this.sysfsRoot, 'module', name), { recursive: true });
  }

  addFuseDevice(): void {
    fs.writeFileSync(path.join(this.devRoot, 'fuse'), '');
  }

  // ---- the kernel's side ----

  private apply(driver: string, attr: DaxDriverAttr, name: string): void {
    switch (attr) {
      case 'new_id':
      case 'remove_id':
        if (!/^dax\d+\.\d+$/.test(name)) throw errnoError('EINVAL', 'write', attr);
        if (attr === 'remove_id') {
          this.idsOf(driver).delete(name);
          return;
        }
        this.idsOf(driver).add(name);
        // driver_attach: every unbound device the driver now matches; probe errors are ignored.
        for (const dev of this.deviceNames()) {
          if (this.driverOf(dev) === null && this.matches(driver, dev) && !this.probeFailures.has(driver)) {
            this.link(dev, driver);
          }
        }
        return;
      case 'bind': {
        if (!this.deviceNames().includes(name)) throw errnoError('ENODEV', 'write', 'bind');
        if (this.driverOf(name) !== null) throw errnoError('EBUSY', 'write', 'bind');
        if (!this.matches(driver, name)) throw errnoError('EINVAL', 'write', 'bind');
        const probe = this.probeFailures.get(driver);
        if (probe !== undefined) throw errnoError(probe, 'write', 'bind');
        this.link(name, driver);
        return;
      }
      case 'unbind':
        if (!this.deviceNames().includes(name) || this.driverOf(name) !== driver) {
          throw errnoError('ENODEV', 'write', 'unbind');
        }
        fs.unlinkSync(path.join(this.busDevice(name), 'driver'));
        return;
    }
  }

  private matches(driver: string, name: string): boolean {
    return this.idsOf(driver).has(name) || this.matchesByType(driver, name);
  }

  private matchesByType(driver: string, name: string): boolean {
    const kmemTyped = this.kmemRegionDevices.has(name);
    return (driver === 'device_dax' && !kmemTyped) || (driver === 'kmem' && kmemTyped);
  }

  private injectedFailure(driver: string, attr: DaxDriverAttr, file: string): void {
    const rule = this.writeFailures.find(
      (r) => r.times > 0 && (!r.driver || r.driver === driver) && (!r.attr || r.attr === attr),
    );
    if (rule === undefined) return;
    rule.times--;
    throw errnoError(rule.code, 'write', file);
  }

  /** Which driver attribute a path names, following the device's `driver` link like the VFS would. */
  private resolveAttr(file: string): { driver: string; attr: DaxDriverAttr } {
    const attr = path.basename(file) as DaxDriverAttr;
    let dir: string;
    try {
      dir = fs.realpathSync(path.dirname(file));
    } catch {
      throw errnoError('ENOENT', 'open', file);
    }
    const drivers = path.join(this.sysfsRoot, 'bus', 'dax', 'drivers');
    if (path.dirname(dir) !== drivers || !ATTRS.includes(attr) || !fs.existsSync(path.join(dir, attr))) {
      throw errnoError('ENOENT', 'open', file);
    }
    return { driver: path.basename(dir), attr };
  }

  private link(name: string, driver: string): void {
    const target = path.join('..', '..', '..', 'bus', 'dax', 'drivers', driver);
    fs.symlinkSync(target, path.join(this.busDevice(name), 'driver'));
  }

  private deviceNames(): string[] {
    try {
      return fs.readdirSync(path.join(this.sysfsRoot, 'bus', 'dax', 'devices'));
    } catch {
      return [];
    }
  }

  private busDevice(name: string): string {
    return path.join(this.sysfsRoot, 'bus', 'dax', 'devices', name);
  }

  private driverDir(driver: string): string {
    return path.join(this.sysfsRoot, 'bus', 'dax', 'drivers', driver);
  }
}

/** An Error shaped like the ones fs throws for a failed syscall. */
export function errnoError(code: string, syscall: string, file: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`${code}: fake kernel, ${syscall} '${file}'`);
  err.code = code;
  err.errno = -((os.constants.errno as Record<string, number>)[code] ?? 5);
  err.syscall = syscall;
  err.path = file;
  return err;
}

/** A fresh FakeSysfs per test (set up by `setup`), removed afterwards. */
export function useFakeSysfs(setup?: (fake: FakeSysfs) => void): () => FakeSysfs {
  let fake: FakeSysfs | undefined;
  beforeEach(() => {
    fake = FakeSysfs.create();
    setup?.(fake);
  });
  afterEach(() => {
    fake?.cleanup();
    fake = undefined;
  });
  return () => {
    if (fake === undefined) throw new Error('useFakeSysfs: no fake outside a test');
    return fake;
  };
}
