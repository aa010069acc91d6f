import * as fs from 'fs';
import * as path from 'path';
import { scanKallsyms } from './kallsyms';
import { DaxState, modeOfDriver } from './mode-names';
import { hostIo } from './host-io';
import { daxDriverExists, listDaxNames, readBoundDriver, readDaxSize } from './sysfs';

/**
 * What the host's kernel offers famfs, read from files only (sysfs, procfs, /dev), so a future
 * `famfs check-system` can report it and tests can fake every case with a directory tree.
 * readinessReport (readiness.ts) turns these facts into problems with fixes.
 */

export { readinessReport } from './readiness';
export type { ProblemSeverity, ReadinessProblem } from './readiness';

/**
 * The FUSE famfs generation of the kernel:
 * - 'none': kallsyms is readable, fuse is loaded, and it has no famfs code;
 * - 'v10': famfs_fuse_iomap_begin is present (GET_FMAP/GET_DAXDEV "pull" ABI; older series too);
 * - 'push': the next generation (daxdevs pushed with an ioctl on /dev/fuse, simple-only fmaps).
 *   It has no file-visible trace: it is detected by that ioctl after FUSE INIT, so detection from
 *   files never returns 'push'; the caller that probes fills it in with applyPushProbe;
 * - 'unknown': kallsyms is unreadable or empty, or fuse is a module that is not loaded (its
 *   symbols only appear in kallsyms once it is).
 */
export type FamfsKernel = 'none' | 'v10' | 'push' | 'unknown';

/** The result of the DAXDEV_OPEN ioctl probe (reference §4.5), which only a FUSE session can run. */
export type PushProbe = 'not-probed' | 'push' | 'no-push';

/** The roots to read; the defaults are host-io.ts's (FAMFS_SYSFS_ROOT or /sys, /proc, /dev). */
export interface KernelSupportOptions {
  sysfsRoot?: string;
  procRoot?: string;
  devRoot?: string;
}

/** One dax device: its state, with `device` = <devRoot>/<name>, and its size from sysfs. */
export interface DaxDeviceInfo extends DaxState {
  /** Bytes, from /sys/bus/dax/devices/<name>/size; null when missing or unreadable. */
  size: number | null;
}

export interface KernelFacts {
  /** /proc/sys/kernel/osrelease, for display; decisions never compare versions. */
  kernelRelease: string | null;
  famfsKernel: FamfsKernel;
  /** Where famfs_fuse_iomap_begin lives: true built in, false in the fuse module, null not found. */
  famfsFuseBuiltIn: boolean | null;
  /** The standalone famfs v1 file system is present (symbols or /sys/module/famfs{,v1}). */
  v1Kernel: boolean;
  kallsymsReadable: boolean;
  /** fuse is registered (/proc/filesystems) or loaded (/sys/module/fuse). */
  fuseLoaded: boolean;
  /** <devRoot>/fuse exists. */
  fuseDevicePresent: boolean;
  /** <sysfsRoot>/bus/dax exists. */
  daxBusPresent: boolean;
  fsdevDaxDriverPresent: boolean;
  deviceDaxDriverPresent: boolean;
  kmemDriverPresent: boolean;
  /**
   * famfs mounts need devices in fsdev_dax (and raw access needs a switch to device_dax). Per
   * reference §3.4 this is "the kernel has fsdev_dax", i.e. the driver is registered; C famfs
   * compares uname >= 6.15 instead. A not-yet-loaded fsdev_dax module reads as false.
   */
  fsdevDaxRequired: boolean;
  /** 'not-probed' from detectKernelSupport; see applyPushProbe. */
  pushProbe: PushProbe;
  /**
   * This process holds CAP_SYS_RAWIO (bit 17 of CapEff in /proc/self/status): the kernel offers
   * famfs DAX (FUSE_DAX_FMAP) only to a mount(2) caller that has it. null when unreadable.
   */
  capSysRawio: boolean | null;
  daxDevices: DaxDeviceInfo[];
}

/** Every dax device on the bus, in (region, id) order, with mode and size. */
export function listDaxDevices(opts: KernelSupportOptions = {}): DaxDeviceInfo[] {
  const { sysfsRoot: root, devRoot } = hostIo(opts);
  return listDaxNames(root).map((name) => {
    const driver = readBoundDriver(root, name);
    const size = readDaxSize(root, name);
    return { device: path.join(devRoot, name), name, mode: modeOfDriver(driver), driver, size };
  });
}

/** Reads the facts; never throws for a missing or unreadable file (that is a fact too). */
export function detectKernelSupport(opts: KernelSupportOptions = {}): KernelFacts {
  const { sysfsRoot: root, procRoot: proc, devRoot } = hostIo(opts);

  const kallsyms = readText(path.join(proc, 'kallsyms'));
  const kallsymsReadable = kallsyms !== null && kallsyms.trim() !== '';
  const scan = scanKallsyms(kallsymsReadable ? kallsyms : '');
  const filesystems = readText(path.join(proc, 'filesystems')) ?? '';
  const fuseLoaded =
    filesystems.split('\n').some((l) => l.trim().split(/\s+/).pop() === 'fuse') ||
    fs.existsSync(path.join(root, 'module', 'fuse'));

  let famfsKernel: FamfsKernel;
  if (!kallsymsReadable) famfsKernel = 'unknown';
  else if (scan.famfsFuse !== null) famfsKernel = 'v10';
  else famfsKernel = fuseLoaded ? 'none' : 'unknown';

  const fsdevDaxDriverPresent = daxDriverExists(root, 'fsdev_dax');
  return {
    kernelRelease: readText(path.join(proc, 'sys', 'kernel', 'osrelease'))?.trim() || null,
    famfsKernel,
    famfsFuseBuiltIn: scan.famfsFuse === null ? null : scan.famfsFuse.module === null,
    v1Kernel:
      scan.famfsV1 !== null ||
      fs.existsSync(path.join(root, 'module', 'famfs')) ||
      fs.existsSync(path.join(root, 'module', 'famfsv1')),
    kallsymsReadable,
    fuseLoaded,
    fuseDevicePresent: fs.existsSync(path.join(devRoot, 'fuse')),
    daxBusPresent: fs.existsSync(path.join(root, 'bus', 'dax')),
    fsdevDaxDriverPresent,
    deviceDaxDriverPresent: daxDriverExists(root, 'device_dax'),
    kmemDriverPresent: daxDriverExists(root, 'kmem'),
    fsdevDaxRequired: fsdevDaxDriverPresent,
    pushProbe: 'not-probed',
    capSysRawio: readCapSysRawio(proc),
    daxDevices: listDaxDevices({ sysfsRoot: root, devRoot }),
  };
}

const CAP_SYS_RAWIO = 17n;

/** Bit CAP_SYS_RAWIO of the effective capabilities in <proc>/self/status; null when unreadable. */
export function readCapSysRawio(procRoot: string): boolean | null {
  const status = readText(path.join(procRoot, 'self', 'status'));
  const hex = status?.match(/^CapEff:\s*([0-9a-fA-F]+)\s*$/m)?.[1];
  if (hex === undefined) return null;
  return ((BigInt(`0x${hex}`) >> CAP_SYS_RAWIO) & 1n) === 1n;
}

/**
 * Folds in the result of the DAXDEV_OPEN probe on /dev/fuse: it works -> the 'push' generation;
 * ENOTTY -> 'no-push' (the older pull ABI, or no famfs at all: famfsKernel is kept).
 */
export function applyPushProbe(facts: KernelFacts, probe: 'push' | 'no-push'): KernelFacts {
  return { ...facts, pushProbe: probe, famfsKernel: probe === 'push' ? 'push' : facts.famfsKernel };
}

function readText(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}
