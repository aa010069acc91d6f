import { DaxModeError, deviceLabel, unusableModeError } from './dax-error';
import { daxDeviceName } from './dax-node';
import { DaxSysfsOptions, readDaxState, resolveIo, switchDaxMode } from './dax-switch';
import { DaxState, describeMode, ObservedDaxMode, reconfigureCommand } from './mode-names';
import { daxDriverExists } from './sysfs';

/**
 * The dax device mode layer for current (6.15+/7.x) kernels, where famfs mounts need the device
 * bound to fsdev_dax but raw access (mkfs, fsck and logplay of the device) needs device_dax,
 * because fsdev_dax's character device has no mmap, read or write.
 *
 * This file is the public face: it re-exports the mode names, the device-name test and the
 * read/switch primitives, and adds the two guarded operations commands use:
 * - withRawAccess: run something that mmaps /dev/daxX.Y, switching fsdev_dax -> device_dax for
 *   the duration and back afterwards, whatever happens;
 * - ensureFsdevMode: before `famfs mount`, switch device_dax -> fsdev_dax (unless told not to).
 * Both are no-ops for paths that are not dax devices (regular files, pmem block devices).
 */

export type { DaxMode, DaxState, ObservedDaxMode, SwitchableDaxMode } from './mode-names';
export { describeMode, DRIVER_OF_MODE, modeOfDriver, reconfigureCommand } from './mode-names';
export type { NodeKind, NodeKindProbe } from './dax-node';
export { daxDeviceName, isDaxName, statNodeKind } from './dax-node';
export type { DaxModeChange, DaxSysfsOptions } from './dax-switch';
export { readDaxMode, setDaxMode } from './dax-switch';
export type { DaxModeErrorReason, DaxModeFacts, ModeProblem } from './dax-error';
export { DaxModeError, unusableModeProblem } from './dax-error';
export type { SysfsWriter } from './sysfs';
export { defaultSysfsRoot, defaultSysfsWriter } from './sysfs';

export interface RawAccessOptions extends DaxSysfsOptions {
  /**
   * Whether famfs has this device mounted, called with the path as given. A callback because the
   * mount-table code lives elsewhere; it should compare devices by identity (inode), not by text.
   */
  isMounted: (devPath: string) => boolean;
}

/** What withRawAccess did before calling fn. */
export interface RawAccessSession {
  device: string;
  /** The dax bus name; null when the path is not a dax device (nothing was checked or switched). */
  name: string | null;
  /** The mode found before raw access; null when not a dax device. */
  mode: ObservedDaxMode | null;
  /** True when the device was switched to device_dax and will be switched back. */
  switched: boolean;
}

/**
 * Runs fn with raw (mmap) access to the device possible. device_dax and non-dax paths: just runs
 * fn. fsdev_dax: refuses if famfs has the device mounted (unbinding would pull the memory from
 * under the mount), else switches to device_dax, runs fn, and switches back to fsdev_dax whether
 * fn returns, throws, or returns a promise that rejects (the restore then waits for it to settle).
 * system-ram, no driver or an unknown driver: a one-sentence DaxModeError and nothing is touched.
 *
 * Errors: a failed switch to device_dax has been rolled back when it is thrown and fn never ran.
 * A failed restore throws a 'restore-failed' DaxModeError (the device needs the command in its
 * `fix`); if fn had failed too, fn's error is that error's `cause`. A process killed while fn runs
 * leaves the device in device_dax mode (the fix is `daxctl reconfigure-device --mode=famfs`).
 */
export function withRawAccess<T>(devPath: string, fn: (session: RawAccessSession) => T, opts: RawAccessOptions): T {
  const io = resolveIo(opts);
  const name = daxDeviceName(devPath, io);
  if (name === null) return fn({ device: devPath, name: null, mode: null, switched: false });
  const before = readDaxState(io, devPath, name);
  if (before.mode === 'device_dax') return fn({ device: devPath, name, mode: before.mode, switched: false });
  if (before.mode !== 'fsdev_dax') throw unusableModeError(before, 'device_dax');
  if (opts.isMounted(devPath)) throw mountedError(before);

  switchDaxMode(io, before, 'device_dax', 'switch');
  const restore = (cause?: unknown): void => {
    const now = readDaxState(io, devPath, name);
    if (now.mode !== 'fsdev_dax') switchDaxMode(io, now, 'fsdev_dax', 'restore', cause);
  };
  const session: RawAccessSession = { device: devPath, name, mode: before.mode, switched: true };

  let result: T;
  try {
    result = fn(session);
  } catch (e) {
    restore(e);
    throw e;
  }
  if (isPromiseLike(result)) {
    return result.then(
      (value) => {
        restore();
        return value;
      },
      (e: unknown) => {
        restore(e);
        throw e;
      },
    ) as T;
  }
  restore();
  return result;
}

export interface FsdevModeOptions extends DaxSysfsOptions {
  /**
   * Never switch: fail unless the device is already in fsdev_dax (like C famfs without
   * --set-daxmode). Default false: switch device_dax (or an unbound device) to fsdev_dax.
   */
  leaveModeAlone?: boolean;
  /**
   * Whether this kernel mounts famfs only from fsdev_dax. Default: whether the fsdev_dax driver is
   * registered (reference §3.4: test for the driver rather than compare kernel versions).
   */
  required?: boolean;
}

export type FsdevModeStatus = 'not-dax' | 'not-required' | 'already' | 'switched';

export interface FsdevModeResult {
  device: string;
  name: string | null;
  status: FsdevModeStatus;
  /** The mode found before; null when not a dax device. */
  from: ObservedDaxMode | null;
}

/**
 * Makes a dax device mountable by famfs on a kernel that needs fsdev_dax (for `famfs mount`).
 * Nothing to do for non-dax paths, on kernels without fsdev_dax, or when already in fsdev_dax.
 * device_dax or unbound: switched to fsdev_dax (the switch C famfs makes with --set-daxmode), or
 * with leaveModeAlone a DaxModeError saying which command to run. system-ram and unknown
 * drivers: a DaxModeError, nothing touched. The mode is left as fsdev_dax afterwards: a mounted
 * device must stay there, and `famfs umount` has no reason to switch it back.
 */
export function ensureFsdevMode(devPath: string, opts: FsdevModeOptions = {}): FsdevModeResult {
  const io = resolveIo(opts);
  const name = daxDeviceName(devPath, io);
  if (name === null) return { device: devPath, name: null, status: 'not-dax', from: null };
  const before = readDaxState(io, devPath, name);
  const result = (status: FsdevModeStatus): FsdevModeResult => ({ device: devPath, name, status, from: before.mode });
  if (!(opts.required ?? daxDriverExists(io.root, 'fsdev_dax'))) return result('not-required');
  if (before.mode === 'fsdev_dax') return result('already');
  if (before.mode === 'system-ram' || before.mode === 'unknown') throw unusableModeError(before, 'fsdev_dax');
  if (opts.leaveModeAlone) throw leftAloneError(before);
  switchDaxMode(io, before, 'fsdev_dax', 'switch');
  return result('switched');
}

function mountedError(state: DaxState): DaxModeError {
  const problem =
    `${deviceLabel(state.device, state.name)} is in ${describeMode(state.mode, state.driver)} ` +
    'and mounted by famfs, so it cannot be switched to device_dax for raw access';
  return new DaxModeError('mounted', problem, 'famfs umount <mountpoint>', state);
}

function leftAloneError(state: DaxState): DaxModeError {
  const problem =
    `${deviceLabel(state.device, state.name)} is in ${describeMode(state.mode, state.driver)}, but famfs ` +
    'mounts need fsdev_dax on this kernel and the mode is to be left alone';
  const fix = reconfigureCommand(state.name, 'fsdev_dax', state.mode);
  return new DaxModeError('wrong-mode', problem, fix, state);
}

function isPromiseLike(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}
