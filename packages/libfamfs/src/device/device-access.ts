import * as fs from 'fs';
import * as path from 'path';
import { FamfsError } from '../errors';
import { DaxModeError, deviceLabel, unusableModeError, unusableModeProblem } from './dax-error';
import { withRawAccess } from './dax-mode';
import { isDaxName } from './dax-node';
import { DaxSysfsOptions, readDaxMode, readDaxState, resolveIo } from './dax-switch';
import { describeMode, reconfigureCommand } from './mode-names';
import { Device, mapMeta, mapSuperblock, OpenOptions } from './device';
import { readMetaThroughMount, showsMetaFiles } from './mount-meta';
import { Superblock } from '../format/superblock';
import { daxDeviceExists } from './sysfs';

/**
 * The one way mkfs, fsck, logplay and mount reach a famfs device, so that dax device modes are
 * dealt with in one place:
 * - withRawDevice opens the device for mmap. A dax device in fsdev_dax mode (whose /dev/daxX.Y
 *   cannot be mapped) is switched to device_dax for the call and back afterwards, never while
 *   anything is mounted from it; a mode famfs cannot use is a one-sentence DaxModeError.
 * - withFamfsMeta hands over the superblock and log: through a famfs mount of the device (its
 *   .meta files) when there is one, so a mounted device is never opened raw; else from the device
 *   through withRawDevice.
 * The mount table is a callback (mount/mount-table.ts's mountpointsOf), because this layer sits
 * below the mount code.
 */
export interface DeviceAccessOptions extends DaxSysfsOptions {
  /** The mount points of every mount of the device, matched by path or by inode. */
  mountsOf: (device: string) => string[];
}

/**
 * Runs fn with the device open (and closed afterwards), switching a dax device out of fsdev_dax
 * for the duration (see withRawAccess). fn must finish its work before it returns: the device,
 * and every mapping of it, is gone after that.
 */
export function withRawDevice<T>(
  device: string,
  open: OpenOptions,
  fn: (dev: Device) => T,
  opts: DeviceAccessOptions,
): T {
  explainMissingNode(device, opts);
  const isMounted = (d: string): boolean => opts.mountsOf(d).length > 0;
  return withRawAccess(
    device,
    () => {
      const dev = Device.open(device, open);
      try {
        return fn(dev);
      } finally {
        dev.close();
      }
    },
    { ...opts, isMounted },
  );
}

/** The superblock and log of a famfs, and where they were read from. */
export interface FamfsMeta {
  sb: Superblock;
  /** The whole log: a mapping of the device (valid during the call only), or a copy read through a mount. */
  log: Buffer;
  /** The open device, when read from it; null when read through a mount. */
  device: Device | null;
  /** The mount whose .meta files were read; null when read from the device. */
  mountpoint: string | null;
}

export interface MetaAccessOptions extends DeviceAccessOptions {
  /** Read through this mount of the device (its .meta files). */
  mountpoint?: string;
  /**
   * When the device is mounted and no mountpoint is given: 'through-mount' (the default) reads
   * through a famfs mount of it; 'raw' maps the device anyway, for callers that want the device's
   * own bytes (withRawAccess still refuses to switch the mode of a mounted device).
   */
  whenMounted?: 'through-mount' | 'raw';
}

/** The famfs mount to read the metadata through (given, or found), or undefined to read the device. */
function readThroughMount(device: string, opts: MetaAccessOptions): string | undefined {
  return opts.mountpoint ?? (opts.whenMounted === 'raw' ? undefined : famfsMountOf(device, opts));
}

/** Runs fn on the superblock and log of `device` (see the header for where they come from). */
export function withFamfsMeta<T>(device: string, fn: (meta: FamfsMeta) => T, opts: MetaAccessOptions): T {
  const mountpoint = readThroughMount(device, opts);
  if (mountpoint !== undefined) {
    const { sb, log } = readMetaThroughMount(mountpoint, device);
    return fn({ sb, log, device: null, mountpoint });
  }
  return withRawDevice(
    device,
    { writable: false },
    (dev) => {
      const meta = mapMeta(dev);
      dev.invalidate(meta.log, 0, meta.log.length);
      return fn({ sb: meta.sb, log: meta.log, device: dev, mountpoint: null });
    },
    opts,
  );
}

/** The superblock of a famfs and where its log is: in memory (read through a mount) or on the open device. */
export interface FamfsLogSource {
  sb: Superblock;
  /** The whole log, read through a mount; null when it is to be read from `device`. */
  log: Buffer | null;
  /** The open device (valid during the call only), when not read through a mount. */
  device: Device | null;
  mountpoint: string | null;
}

/**
 * withFamfsMeta for a pass that reads the log itself, a window at a time (fsck): the same choice
 * of where the metadata comes from, but from the device only the superblock is mapped.
 */
export function withFamfsLogSource<T>(device: string, fn: (src: FamfsLogSource) => T, opts: MetaAccessOptions): T {
  const mountpoint = readThroughMount(device, opts);
  if (mountpoint !== undefined) {
    const { sb, log } = readMetaThroughMount(mountpoint, device);
    return fn({ sb, log, device: null, mountpoint });
  }
  return withRawDevice(
    device,
    { writable: false },
    (dev) => fn({ sb: mapSuperblock(dev).sb, log: null, device: dev, mountpoint: null }),
    opts,
  );
}

/** A mount of the device that shows famfs .meta files; undefined when nothing is mounted from it. */
function famfsMountOf(device: string, opts: DeviceAccessOptions): string | undefined {
  const mountpoints = opts.mountsOf(device);
  if (mountpoints.length === 0) return undefined;
  const famfs = mountpoints.find(showsMetaFiles);
  if (famfs !== undefined) return famfs;
  throw new FamfsError(
    'EBUSY',
    `${device} is mounted at ${mountpoints[0]}, which shows no famfs .meta files, so its log cannot be read ` +
      'while it is mounted',
    { device },
  );
}

/**
 * For callers that keep a device mapped for as long as they run (log sessions, file data): a dax
 * device they cannot map is a one-sentence error before anything is opened. withRawDevice
 * switches a mode for the length of one call; a long-lived mapping cannot have its device
 * switched back under it, and on a famfs kernel the device is mounted in fsdev_dax mode anyway.
 * `what` completes "... and <what> needs".
 */
export function requireMappable(device: string, what: string, opts: DaxSysfsOptions = {}): void {
  const state = readDaxMode(device, opts);
  if (state === null || state.mode === 'device_dax') return;
  if (unusableModeProblem(state, 'device_dax') !== null) throw unusableModeError(state, 'device_dax');
  const problem =
    `${deviceLabel(device, state.name)} is in ${describeMode(state.mode, state.driver)}, whose node ` +
    `cannot be mapped, and ${what} needs the device mapped (famfs-ts cannot do it through a mount yet)`;
  throw new DaxModeError('wrong-mode', problem, reconfigureCommand(state.name, 'device_dax', state.mode), state);
}

/**
 * The kernel removes /dev/daxX.Y when no driver with a character device is bound (no driver, or
 * kmem), so "no such file" for such a path is really a mode problem: say so, with the fix.
 */
function explainMissingNode(device: string, opts: DaxSysfsOptions): void {
  if (fs.existsSync(device)) return;
  const name = path.basename(device);
  const io = resolveIo(opts);
  if (!isDaxName(name) || !daxDeviceExists(io.root, name)) return;
  const state = readDaxState(io, device, name);
  if (unusableModeProblem(state, 'device_dax') !== null) throw unusableModeError(state, 'device_dax');
}
