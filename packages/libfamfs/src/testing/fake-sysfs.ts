import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { NodeKindProbe, statNodeKind } from '../device/dax-node';
import { DaxMode, DRIVER_OF_MODE, modeOfDriver, ObservedDaxMode } from '../device/mode-names';
import { DaxDriverAttr, SysfsWriter } from '../device/sysfs';

/**
 * A fake sysfs (plus /proc and /dev) in a fresh temp dir, close enough to the kernel's for the dax
 * mode code. Layout, as on a real host:
 *
 *   sys/devices/fake-region/daxX.Y/{size, driver -> ../../../bus/dax/drivers/<drv>}
 *   sys/bus/dax/devices/daxX.Y -> ../../../devices/fake-region/daxX.Y
 *   sys/bus/dax/drivers/<drv>/{bind, unbind, new_id, remove_id}
 *   sys/module/<m>/, proc/{kallsyms, filesystems, sys/kernel/osrelease, self/status}, dev/{daxX.Y, fuse}
 *   media/daxX.Y    the device's memory: a sparse file of the device's size
 *   fake-host.json  the fake kernel's state (see below)
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
 * Everything the kernel would remember (driver ids, injected failures, which nodes are devices,
 * the journal of writes) lives in fake-host.json, read and written on every call, so a famfs
 * process started by a test sees and changes the same fake: FakeSysfs.open(root) in that process
 * (fake-host-preload.ts does it) continues where the test left off, and the test sees the child's
 * writes afterwards.
 *
 * Device nodes are regular files in dev/, reported as character devices by `nodeKind`, the
 * NodeKindProbe to pass to the code under test. Raw access follows the mode like the kernel's cdev:
 * - device_dax: dev/daxX.Y is a hard link to media/daxX.Y, so open and mmap reach the memory;
 * - any other mode: dev/daxX.Y is a sparse file of the device's size, all zeros, apart from the
 *   memory. Opening it and asking its size work (the fsdev_dax cdev has open, and famfs_fused
 *   sizes a device before it serves it), but every byte read or mapped is zero: a famfs process
 *   that tries raw access finds no superblock, and one that reports the famfs on the device
 *   cannot have read it through the node. A process that opened the node in device_dax keeps the
 *   memory through its open file; famfs_fused under fake-host-preload reaches the memory in every
 *   mode, as the famfs kernel does for its mounts.
 * `rawOpen` is the in-process check: it fails per mode with the kernel's errno, ENODEV for
 * fsdev_dax (no mmap, reference §3.5) and ENXIO for no driver, kmem or an unknown driver.
 */

export interface FakeDeviceSpec {
  /** A mode, or an arbitrary driver name for the 'unknown' cases. Default 'device_dax'. */
  mode?: DaxMode | { driver: string };
  /** Bytes written to the size file, and the size of the memory; default 8 GiB. */
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

/** The fake kernel's memory, as stored in fake-host.json. */
interface FakeState {
  ids: Record<string, string[]>;
  probeFailures: Record<string, string>;
  /** `times` null: unlimited (JSON has no Infinity). */
  writeFailures: Array<{ driver: string; attr: string; code: string; times: number | null }>;
  /** Real node path -> dax name. */
  charNodes: Record<string, string>;
  blockNodes: string[];
  kmemRegionDevices: string[];
  writes: FakeWrite[];
}

export const GiB = 1024 ** 3;
const ATTRS: readonly DaxDriverAttr[] = ['bind', 'unbind', 'new_id', 'remove_id'];
const REGION = 'fake-region';
const STATE_FILE = 'fake-host.json';

export class FakeSysfs {
  readonly sysfsRoot: string;
  readonly procRoot: string;
  readonly devRoot: string;
  readonly mediaRoot: string;

  private constructor(readonly root: string) {
    this.sysfsRoot = path.join(root, 'sys');
    this.procRoot = path.join(root, 'proc');
    this.devRoot = path.join(root, 'dev');
    this.mediaRoot = path.join(root, 'media');
  }

  /**
   * A fresh fake with the device_dax, fsdev_dax and kmem drivers registered (or `drivers`), in a
   * new temporary directory or in `at` (which must not exist yet).
   */
  static create(drivers: readonly string[] = ['device_dax', 'fsdev_dax', 'kmem'], at?: string): FakeSysfs {
    if (at !== undefined) fs.mkdirSync(at);
    const made = at ?? fs.mkdtempSync(path.join(os.tmpdir(), 'famfs-fake-sysfs-'));
    // realpath: the code under test resolves symlinks, and the temp dir may sit behind one.
    const root = fs.realpathSync(made);
    const fake = new FakeSysfs(root);
    const dirs = [
      path.join(fake.sysfsRoot, 'bus', 'dax', 'devices'),
      path.join(fake.sysfsRoot, 'devices', REGION),
      path.join(fake.sysfsRoot, 'module'),
      path.join(fake.procRoot, 'sys', 'kernel'),
      path.join(fake.procRoot, 'self'),
      fake.devRoot,
      fake.mediaRoot,
    ];
    for (const d of dirs) fs.mkdirSync(d, { recursive: true });
    const empty: FakeState = {
      ids: {},
      probeFailures: {},
      writeFailures: [],
      charNodes: {},
      blockNodes: [],
      kmemRegionDevices: [],
      writes: [],
    };
    fake.save(empty);
    for (const d of drivers) fake.addDriver(d);
    return fake;
  }

  /** The fake made by create() in `root`, e.g. from another process. */
  static open(root: string): FakeSysfs {
    if (!FakeSysfs.isFakeRoot(root)) throw new Error(`fake sysfs: ${root} holds no ${STATE_FILE}`);
    return new FakeSysfs(root);
  }

  /** Whether `root` is a FakeSysfs root (its sysfs root is `<root>/sys`). */
  static isFakeRoot(root: string): boolean {
    return fs.existsSync(path.join(root, STATE_FILE));
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

  /** Every write through `writer` (in any process), failed ones included. */
  get writes(): FakeWrite[] {
    return this.load().writes;
  }

  /** The journal of writes as 'driver/attr=result', in order. */
  journal(): string[] {
    return this.writes.map((w) => `${w.driver}/${w.attr}=${w.result}`);
  }

  /**
   * Puts daxX.Y in `mode` the way `daxctl reconfigure-device` does, through the fake kernel (so
   * the writes are journalled; clearWrites() forgets them): disable (remove_id, unbind), then
   * new_id and, if that did not attach it, bind. For setting scenes; a no-op in that mode already.
   */
  reconfigure(name: string, mode: DaxMode): void {
    const attr = (d: string, a: DaxDriverAttr): string => path.join(this.driverDir(d), a);
    const bound = this.driverOf(name);
    const driver = mode === 'none' ? null : DRIVER_OF_MODE[mode];
    if (bound === driver) return;
    if (bound !== null) {
      this.writer(attr(bound, 'remove_id'), name);
      this.writer(attr(bound, 'unbind'), name);
    }
    if (driver === null) return;
    this.writer(attr(driver, 'new_id'), name);
    if (this.driverOf(name) === null) this.writer(attr(driver, 'bind'), name);
    if (this.modeOf(name) !== mode) throw new Error(`fake: ${name} is in ${this.modeOf(name)}, not ${mode}`);
  }

  /** Forgets the journal of writes (e.g. after setting a scene through the writer). */
  clearWrites(): void {
    this.update((s) => {
      s.writes = [];
    });
  }

  // ---- dax bus ----

  /** Registers a driver (as loading its module would). */
  addDriver(driver: string): void {
    const dir = this.driverDir(driver);
    fs.mkdirSync(dir, { recursive: true });
    for (const a of ATTRS) fs.writeFileSync(path.join(dir, a), '');
    this.update((s) => {
      s.ids[driver] ??= [];
    });
  }

  /** Unregisters a driver that no device is bound to (as unloading its module would). */
  removeDriver(driver: string): void {
    for (const name of this.deviceNames()) {
      if (this.driverOf(name) === driver) throw new Error(`fake: ${driver} still has ${name} bound`);
    }
    fs.rmSync(this.driverDir(driver), { recursive: true, force: true });
    this.update((s) => {
      delete s.ids[driver];
    });
  }

  /** Removes /sys/bus/dax entirely (a kernel without dax support). */
  removeDaxBus(): void {
    fs.rmSync(path.join(this.sysfsRoot, 'bus', 'dax'), { recursive: true, force: true });
  }

  /** Adds daxX.Y in the given mode; returns its device node path (dev/daxX.Y). */
  addDevice(name: string, spec: FakeDeviceSpec = {}): string {
    const mode = spec.mode ?? 'device_dax';
    const size = spec.size ?? 8 * GiB;
    if (spec.kmemRegion) this.update((s) => void s.kmemRegionDevices.push(name));
    const dir = path.join(this.sysfsRoot, 'devices', REGION, name);
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'size'), `${size}\n`);
    fs.symlinkSync(path.join('..', '..', '..', 'devices', REGION, name), this.busDevice(name));
    const media = fs.openSync(this.mediaOf(name), 'wx');
    try {
      fs.ftruncateSync(media, size);
    } finally {
      fs.closeSync(media);
    }
    const node = path.join(this.devRoot, name);
    this.update((s) => {
      s.charNodes[node] = name;
    });
    const driver = typeof mode === 'object' ? mode.driver : mode === 'none' ? null : DRIVER_OF_MODE[mode];
    if (driver !== null) {
      if (!fs.existsSync(this.driverDir(driver))) this.addDriver(driver);
      // A driver that does not match by type got the device through new_id, so it lists its id.
      if (!this.matchesByType(driver, name)) this.update((s) => addId(s, driver, name));
      this.link(name, driver);
    }
    this.syncNode(name);
    return node;
  }

  /** A device node the fake reports as a block device (a pmem namespace, say). */
  addBlockNode(name: string): string {
    const node = path.join(this.devRoot, name);
    fs.writeFileSync(node, '');
    this.update((s) => void s.blockNodes.push(node));
    return node;
  }

  /** Where the memory of daxX.Y lives, whatever its mode. */
  mediaOf(name: string): string {
    return path.join(this.mediaRoot, name);
  }

  /** The memory behind a device node of this fake (by path, after symlinks); undefined for any other path. */
  memoryOf(nodePath: string): string | undefined {
    let real: string;
    try {
      real = fs.realpathSync(nodePath);
    } catch {
      return undefined;
    }
    const name = this.load().charNodes[real];
    return name === undefined ? undefined : this.mediaOf(name);
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

  /** The ids a driver matches by (what new_id added and remove_id did not take away); a copy. */
  idsOf(driver: string): Set<string> {
    return new Set(this.load().ids[driver] ?? []);
  }

  /** Makes matching writes throw `code` before they take effect. */
  failWrites(rule: WriteFailureRule): void {
    const times = rule.times === undefined || rule.times === Infinity ? null : rule.times;
    this.update(
      (s) =>
        void s.writeFailures.push({
          driver: rule.driver ?? '',
          attr: rule.attr ?? '',
          code: rule.code ?? 'EIO',
          times,
        }),
    );
  }

  /** Makes the driver's probe fail with `code`: bind throws it, new_id's attach leaves the device unbound. */
  failProbe(driver: string, code = 'ENXIO'): void {
    this.update((s) => {
      s.probeFailures[driver] = code;
    });
  }

  clearFailures(): void {
    this.update((s) => {
      s.writeFailures = [];
      s.probeFailures = {};
    });
  }

  /** The SysfsWriter to hand to the code under test. */
  readonly writer: SysfsWriter = (file, value) => {
    const { driver, attr } = this.resolveAttr(file);
    const record: FakeWrite = { driver, attr, value: value.replace(/\n$/, ''), result: 'ok' };
    try {
      this.injectedFailure(driver, attr, file);
      this.apply(driver, attr, record.value);
    } catch (e) {
      record.result = (e as NodeJS.ErrnoException).code ?? 'error';
      throw e;
    } finally {
      this.update((s) => void s.writes.push(record));
    }
  };

  /** The NodeKindProbe to hand to the code under test. */
  readonly nodeKind: NodeKindProbe = (realPath) => {
    const s = this.load();
    if (s.charNodes[realPath] !== undefined) return 'char';
    if (s.blockNodes.includes(realPath)) return 'block';
    return statNodeKind(realPath);
  };

  /**
   * Opens a device node for raw access (open + mmap, as mkfs and fsck do); returns an fd to close.
   * Fails like the kernel for the device's current mode (see the header comment).
   */
  rawOpen(nodePath: string): number {
    const real = fs.realpathSync(nodePath);
    const name = this.load().charNodes[real];
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

  /** Writes proc/self/status with this effective capability mask (hex, as the kernel prints it). */
  setCapEff(mask: bigint): void {
    const hex = mask.toString(16).padStart(16, '0');
    const status = `Name:\tfamfs\nCapInh:\t0000000000000000\nCapEff:\t${hex}\n`;
    fs.writeFileSync(path.join(this.procRoot, 'self', 'status'), status);
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
          this.update((s) => {
            s.ids[driver] = (s.ids[driver] ?? []).filter((n) => n !== name);
          });
          return;
        }
        this.update((s) => addId(s, driver, name));
        // driver_attach: every unbound device the driver now matches; probe errors are ignored.
        for (const dev of this.deviceNames()) {
          if (this.driverOf(dev) === null && this.matches(driver, dev) && !this.probeFailure(driver)) {
            this.link(dev, driver);
          }
        }
        return;
      case 'bind': {
        if (!this.deviceNames().includes(name)) throw errnoError('ENODEV', 'write', 'bind');
        if (this.driverOf(name) !== null) throw errnoError('EBUSY', 'write', 'bind');
        if (!this.matches(driver, name)) throw errnoError('EINVAL', 'write', 'bind');
        const probe = this.probeFailure(driver);
        if (probe !== undefined) throw errnoError(probe, 'write', 'bind');
        this.link(name, driver);
        return;
      }
      case 'unbind':
        if (!this.deviceNames().includes(name) || this.driverOf(name) !== driver) {
          throw errnoError('ENODEV', 'write', 'unbind');
        }
        fs.unlinkSync(path.join(this.busDevice(name), 'driver'));
        this.syncNode(name);
        return;
    }
  }

  private probeFailure(driver: string): string | undefined {
    return this.load().probeFailures[driver];
  }

  private matches(driver: string, name: string): boolean {
    return this.idsOf(driver).has(name) || this.matchesByType(driver, name);
  }

  private matchesByType(driver: string, name: string): boolean {
    const kmemTyped = this.load().kmemRegionDevices.includes(name);
    return (driver === 'device_dax' && !kmemTyped) || (driver === 'kmem' && kmemTyped);
  }

  private injectedFailure(driver: string, attr: DaxDriverAttr, file: string): void {
    let code: string | undefined;
    this.update((s) => {
      const rule = s.writeFailures.find(
        (r) => (r.times === null || r.times > 0) && (!r.driver || r.driver === driver) && (!r.attr || r.attr === attr),
      );
      if (rule === undefined) return;
      if (rule.times !== null) rule.times--;
      code = rule.code;
    });
    if (code !== undefined) throw errnoError(code, 'write', file);
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
    this.syncNode(name);
  }

  /** Makes dev/<name> reach the memory in device_dax mode only (see the header comment). */
  private syncNode(name: string): void {
    const node = path.join(this.devRoot, name);
    fs.rmSync(node, { force: true });
    if (this.modeOf(name) === 'device_dax') {
      fs.linkSync(this.mediaOf(name), node);
      return;
    }
    fs.writeFileSync(node, '');
    fs.truncateSync(node, fs.statSync(this.mediaOf(name)).size);
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

  private load(): FakeState {
    return JSON.parse(fs.readFileSync(path.join(this.root, STATE_FILE), 'utf8')) as FakeState;
  }

  private save(state: FakeState): void {
    const file = path.join(this.root, STATE_FILE);
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(state));
    fs.renameSync(`${file}.tmp`, file);
  }

  private update(fn: (s: FakeState) => void): void {
    const s = this.load();
    fn(s);
    this.save(s);
  }
}

function addId(s: FakeState, driver: string, name: string): void {
  const ids = (s.ids[driver] ??= []);
  if (!ids.includes(name)) ids.push(name);
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
