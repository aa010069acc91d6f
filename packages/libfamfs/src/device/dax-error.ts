import * as path from 'path';
import { FamfsError, FamfsErrorCode } from '../errors';
import { DaxState, describeMode, ObservedDaxMode, reconfigureCommand, SwitchableDaxMode } from './mode-names';

/**
 * Why a dax mode operation failed. Programs branch on this rather than on `code`: only a mode famfs
 * cannot use has a code of its own (EDAXMODE); the other reasons borrow the closest existing one.
 */
export type DaxModeErrorReason =
  | 'wrong-mode' // system-ram, no driver, an unknown driver, or a mode that must be left alone
  | 'not-dax' // an explicit switch of a path that is not a dax device
  | 'not-found' // the device has no /sys/bus/dax/devices/<name> entry
  | 'driver-missing' // the driver to bind is not registered (module not loaded, or not in this kernel)
  | 'mounted' // a switch refused because famfs has the device mounted
  | 'switch-failed' // a bind/unbind write failed, or the device did not end up in the mode
  | 'restore-failed'; // the mode could not be put back after raw access

const CODE_OF_REASON: Record<DaxModeErrorReason, FamfsErrorCode> = {
  'wrong-mode': 'EDAXMODE',
  'not-dax': 'EINVAL',
  'not-found': 'ENOENT',
  'driver-missing': 'ENOENT',
  mounted: 'EBUSY',
  'switch-failed': 'EIO',
  'restore-failed': 'EIO',
};

/** The facts every dax mode error carries, also copied into FamfsError.details. */
export interface DaxModeFacts {
  /** The path the caller gave. */
  device: string;
  /** The dax bus name, when the path is a dax device. */
  name: string | null;
  /** The mode the device is in now (after any rollback), when known. */
  mode: ObservedDaxMode | null;
  driver: string | null;
}

/**
 * A dax mode problem. The message is one sentence: the device, its mode, what is wrong, then
 * "; fix: <command>". `fix` holds the command alone for callers that print it separately.
 */
export class DaxModeError extends FamfsError {
  readonly reason: DaxModeErrorReason;
  readonly device: string;
  readonly daxName: string | null;
  readonly mode: ObservedDaxMode | null;
  readonly fix: string;

  constructor(reason: DaxModeErrorReason, problem: string, fix: string, facts: DaxModeFacts, cause?: unknown) {
    super(CODE_OF_REASON[reason], `${problem}; fix: ${fix}`, { ...facts, reason, fix }, cause);
    this.name = 'DaxModeError';
    this.reason = reason;
    this.device = facts.device;
    this.daxName = facts.name;
    this.mode = facts.mode;
    this.fix = fix;
  }
}

/** How a message names a device: the path, plus the bus name when the path does not show it. */
export function deviceLabel(device: string, name: string | null): string {
  const shown = name === null || path.basename(device) === name;
  return shown ? `dax device ${device}` : `dax device ${device} (${name})`;
}

/** One problem sentence (no trailing period) and the one command that fixes it. */
export interface ModeProblem {
  problem: string;
  fix: string;
}

/**
 * The problem with a device whose mode famfs cannot use or switch from, for an operation that
 * needs `need`; null when the mode is one famfs can work with (device_dax or fsdev_dax).
 * Shared by the errors below and by the readiness report, so both say the same thing.
 */
export function unusableModeProblem(state: DaxState, need: SwitchableDaxMode): ModeProblem | null {
  const label = deviceLabel(state.device, state.name);
  const fix = reconfigureCommand(state.name, need, state.mode);
  const mode = describeMode(state.mode, state.driver);
  switch (state.mode) {
    case 'system-ram':
      return { problem: `${label} is in ${mode}: its memory belongs to the kernel, so famfs cannot use it`, fix };
    case 'none':
      return { problem: `${label} is in ${mode}, so it can neither be opened nor mounted`, fix };
    case 'unknown':
      return { problem: `${label} is in ${mode}, which famfs will not switch away from`, fix };
    default:
      return null;
  }
}

/** A DaxModeError for an unusable mode (see unusableModeProblem); throws if the mode is usable. */
export function unusableModeError(state: DaxState, need: SwitchableDaxMode, cause?: unknown): DaxModeError {
  const p = unusableModeProblem(state, need);
  if (p === null) throw new Error(`internal: ${state.mode} is a usable dax mode`);
  return new DaxModeError('wrong-mode', p.problem, p.fix, state, cause);
}
