import { DaxModeError, deviceLabel, unusableModeError } from './dax-error';
import { daxDeviceName, NodeKindProbe } from './dax-node';
import { hostIo } from './host-io';
import {
  DaxState,
  describeMode,
  DRIVER_OF_MODE,
  modeOfDriver,
  modprobeCommand,
  ObservedDaxMode,
  reconfigureCommand,
  SwitchableDaxMode,
} from './mode-names';
import {
  boundDriverAttr,
  daxDeviceDir,
  daxDeviceExists,
  daxDriverDir,
  daxDriverExists,
  driverAttr,
  readBoundDriver,
  SysfsWriter,
} from './sysfs';

/**
 * Reading and switching the mode of one dax device through sysfs, the way libdaxctl does it
 * (C famfs uses libdaxctl; famfs-ts writes the same sysfs attributes itself):
 *   disable: <dev>/driver/remove_id, then <dev>/driver/unbind
 *   enable:  drivers/<drv>/new_id, then drivers/<drv>/bind
 * new_id matters because the dax bus matches fsdev_dax to a device only by id, and a bind
 * without it is rejected. new_id also makes the kernel attach the device at once, so bind is
 * written only if the device is still unbound (it would fail with EBUSY otherwise). One
 * departure, for device_dax only: see bindDriver.
 * There are no retries or sleeps: a sysfs write returns after the driver's probe has run, which
 * can take seconds on a multi-TB device (C famfs issue #116).
 */

/**
 * Where sysfs is, how to write it, and how to tell a character device (all injectable for tests);
 * the defaults are host-io.ts's: FAMFS_SYSFS_ROOT or /sys, a plain write, fs.statSync.
 */
export interface DaxSysfsOptions {
  sysfsRoot?: string;
  writer?: SysfsWriter;
  nodeKind?: NodeKindProbe;
}

/** The options with defaults filled in. */
export interface DaxIo {
  root: string;
  write: SysfsWriter;
  nodeKind: NodeKindProbe;
}

export function resolveIo(opts: DaxSysfsOptions = {}): DaxIo {
  const host = hostIo(opts);
  return { root: host.sysfsRoot, write: host.writer, nodeKind: host.nodeKind };
}

/** The outcome of a switch. */
export interface DaxModeChange {
  device: string;
  name: string;
  from: ObservedDaxMode;
  to: ObservedDaxMode;
  /** False when the device was already in the mode and nothing was written. */
  changed: boolean;
}

/** A failed sysfs write, kept for the error message and details. */
interface WriteFailure {
  /** e.g. 'fsdev_dax/bind' or 'driver/unbind'. */
  what: string;
  code: string;
}

/** The state of a device known to be a dax device; throws 'not-found' without a sysfs entry. */
export function readDaxState(io: DaxIo, device: string, name: string): DaxState {
  if (!daxDeviceExists(io.root, name)) {
    throw new DaxModeError(
      'not-found',
      `${deviceLabel(device, name)} has no sysfs entry ${daxDeviceDir(io.root, name)}, ` + 'so its mode is unknown',
      'daxctl list',
      { device, name, mode: null, driver: null },
    );
  }
  const driver = readBoundDriver(io.root, name);
  return { device, name, mode: modeOfDriver(driver), driver };
}

/**
 * The mode of a device path; null when the path is not a dax device (a regular file, a block
 * device, a missing path). Throws a 'not-found' DaxModeError for a dax node with no sysfs entry.
 */
export function readDaxMode(devPath: string, opts: DaxSysfsOptions = {}): DaxState | null {
  const io = resolveIo(opts);
  const name = daxDeviceName(devPath, io);
  return name === null ? null : readDaxState(io, devPath, name);
}

/**
 * Switches a dax device to `target` and checks that it got there. On failure it tries to put the
 * device back in its old mode, then throws a DaxModeError naming the device, the mode it is in now
 * and the daxctl command that does the switch by hand. Never switches away from system-ram (the
 * memory may be online) or from a driver it does not know. A path that is not a dax device is an
 * error here; the guarded helpers in dax-mode.ts treat it as a no-op instead.
 */
export function setDaxMode(devPath: string, target: SwitchableDaxMode, opts: DaxSysfsOptions = {}): DaxModeChange {
  const io = resolveIo(opts);
  const name = daxDeviceName(devPath, io);
  if (name === null) {
    throw new DaxModeError(
      'not-dax',
      `${devPath} is not a dax device (a character device named daxX.Y), so it has no mode to set`,
      'daxctl list',
      { device: devPath, name: null, mode: null, driver: null },
    );
  }
  const before = readDaxState(io, devPath, name);
  if (before.mode === target) {
    return { device: devPath, name, from: before.mode, to: before.mode, changed: false };
  }
  const after = switchDaxMode(io, before, target, 'switch');
  return { device: devPath, name, from: before.mode, to: after.mode, changed: true };
}

/**
 * The switch itself, for setDaxMode and for the restore in withRawAccess ('restore' only changes
 * the wording of the error; `cause` is attached to it, e.g. the error that ended the raw access).
 * Returns the verified new state.
 */
export function switchDaxMode(
  io: DaxIo,
  before: DaxState,
  target: SwitchableDaxMode,
  purpose: 'switch' | 'restore',
  cause?: unknown,
): DaxState {
  if (before.mode === 'system-ram' || before.mode === 'unknown') {
    throw unusableModeError(before, target, cause);
  }
  const targetDriver = DRIVER_OF_MODE[target];
  // Checked before anything is unbound, so a missing module never leaves the device driverless.
  if (!daxDriverExists(io.root, targetDriver)) throw driverMissing(io, before, target, cause);

  const { name } = before;
  const failures: WriteFailure[] = [];
  if (before.driver !== null) {
    // Drop the id first so the old driver cannot re-claim the device on a later attach.
    const disable = (attr: 'remove_id' | 'unbind'): boolean =>
      tryWrite(io, boundDriverAttr(io.root, name, attr), name, `driver/${attr}`, failures);
    const removed = disable('remove_id');
    const unbound = removed && disable('unbind');
    if (!unbound) {
      // Still bound to the old driver; give it its id back so it is exactly as it was.
      if (removed) tryWrite(io, driverAttr(io.root, before.driver, 'new_id'), name, '', []);
      throw switchFailed(before, target, readDaxState(io, before.device, name), failures, purpose, cause);
    }
  }
  bindDriver(io, name, targetDriver, failures);
  const now = readDaxState(io, before.device, name);
  if (now.mode === target) return now;

  // Roll back: the target driver forgets the id, and the old driver gets the device again.
  tryWrite(io, driverAttr(io.root, targetDriver, 'remove_id'), name, '', []);
  if (before.driver !== null && readBoundDriver(io.root, name) === null) {
    bindDriver(io, name, before.driver, []);
  }
  throw switchFailed(before, target, readDaxState(io, before.device, name), failures, purpose, cause);
}

/**
 * Unbinds the device from its driver, the way switchDaxMode disables it (remove_id, then unbind),
 * to put back a device that had no driver (after a failed `famfs mount --set-daxmode` bound one).
 */
export function unbindDaxDevice(io: DaxIo, state: DaxState): void {
  if (state.driver === null) return;
  const failures: WriteFailure[] = [];
  const disable = (attr: 'remove_id' | 'unbind'): boolean =>
    tryWrite(io, boundDriverAttr(io.root, state.name, attr), state.name, `driver/${attr}`, failures);
  if (disable('remove_id') && disable('unbind')) return;
  const now = readDaxState(io, state.device, state.name);
  const why = failures.map((f) => `${f.what}: ${f.code}`).join(', ');
  const problem =
    `could not unbind ${deviceLabel(state.device, state.name)} (${why}), and it is still in ` +
    describeMode(now.mode, now.driver);
  throw new DaxModeError('restore-failed', problem, `daxctl disable-device ${state.name}`, {
    device: state.device,
    name: state.name,
    mode: now.mode,
    driver: now.driver,
  });
}

/**
 * Binds `driver` to the unbound device: new_id (which attaches it at once when the driver now
 * matches), then bind only if it is still unbound. device_dax gets a plain bind first, because it
 * matches ordinary devices by type and its new_id would make the kernel attach every other unbound
 * dax device on the host as well; it falls back to new_id only when that bind leaves the device
 * unbound (a region typed for kmem, which device_dax matches by id only).
 */
function bindDriver(io: DaxIo, name: string, driver: string, failures: WriteFailure[]): void {
  const write = (attr: 'new_id' | 'bind'): boolean =>
    tryWrite(io, driverAttr(io.root, driver, attr), name, `${driver}/${attr}`, failures);
  const unbound = (): boolean => readBoundDriver(io.root, name) === null;
  if (driver === 'device_dax' && write('bind')) return;
  write('new_id');
  if (unbound()) write('bind');
}

/** Writes and reports success; the errno goes into `failures` instead of being thrown. */
function tryWrite(io: DaxIo, file: string, value: string, what: string, failures: WriteFailure[]): boolean {
  try {
    io.write(file, value);
    return true;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    failures.push({ what, code: err.code ?? err.message });
    return false;
  }
}

function switchFailed(
  before: DaxState,
  target: SwitchableDaxMode,
  after: DaxState,
  failures: WriteFailure[],
  purpose: 'switch' | 'restore',
  cause?: unknown,
): DaxModeError {
  const label = deviceLabel(before.device, before.name);
  const why =
    failures.length > 0
      ? [...new Set(failures.map((f) => `${f.what}: ${f.code}`))].join(', ')
      : `the kernel accepted every write but bound ${after.driver ?? 'no driver'}`;
  const where = after.mode === before.mode ? 'still in' : purpose === 'restore' ? 'left in' : 'now in';
  const what =
    purpose === 'restore'
      ? `could not restore ${label} to ${target} after raw access`
      : `could not switch ${label} from ${before.mode} to ${target}`;
  const problem = `${what} (${why}), and it is ${where} ${describeMode(after.mode, after.driver)}`;
  const fix = reconfigureCommand(before.name, target, after.mode);
  return new DaxModeError(
    purpose === 'restore' ? 'restore-failed' : 'switch-failed',
    problem,
    fix,
    {
      device: before.device,
      name: before.name,
      mode: after.mode,
      driver: after.driver,
    },
    cause,
  );
}

function driverMissing(io: DaxIo, state: DaxState, target: SwitchableDaxMode, cause?: unknown): DaxModeError {
  const driver = DRIVER_OF_MODE[target];
  const problem =
    `${deviceLabel(state.device, state.name)} is in ${describeMode(state.mode, state.driver)} ` +
    `and cannot be switched to ${target}, because the ${driver} driver is not loaded ` +
    `(no ${daxDriverDir(io.root, driver)})`;
  return new DaxModeError('driver-missing', problem, modprobeCommand(driver), state, cause);
}
