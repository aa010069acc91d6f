import { DaxModeError, deviceLabel, unusableModeError } from './dax-error';
import { ensureFsdevMode } from './dax-mode';
import { DaxSysfsOptions, readDaxMode, resolveIo, setDaxMode, unbindDaxDevice } from './dax-switch';
import type { KernelFacts } from './kernel-support';
import { DaxState, describeMode, reconfigureCommand, SwitchableDaxMode } from './mode-names';

/**
 * The dax mode a famfs mount needs, and getting the device there, for `famfs mount`:
 * - a famfs kernel with the fsdev_dax driver claims the device itself (fs_dax_get), which only a
 *   device bound to fsdev_dax allows: the mount needs fsdev_dax;
 * - a kernel without famfs (the stock data path: famfs_fused maps /dev/daxX.Y itself), and a
 *   famfs kernel from before fsdev_dax, need device_dax;
 * - when kallsyms cannot tell, the fsdev_dax driver decides (C famfs decides by kernel version).
 * As in C famfs (`--set-daxmode`), the mode is changed only when the caller asks (setMode);
 * otherwise a device in another mode is a one-sentence error naming the command that fixes it.
 * The replay that precedes a mount reads the device in device_dax mode (device-access.ts switches
 * fsdev_dax for that read), so the switch to fsdev_dax comes after it, and the switch to
 * device_dax (or out of "no driver", which has no node to read) before it.
 */

/** The mode a famfs mount of a dax device needs on a kernel with these facts. */
export function mountModeNeed(facts: KernelFacts): SwitchableDaxMode {
  if (facts.famfsKernel === 'none') return 'device_dax';
  return facts.fsdevDaxRequired ? 'fsdev_dax' : 'device_dax';
}

export interface MountModeOptions extends DaxSysfsOptions {
  /** Switch the device to the mode the mount needs (C famfs `--set-daxmode`). Default false. */
  setMode?: boolean;
  /** The command that retries with setMode, offered as the fix (e.g. `famfs mount -M DEV MPT`). */
  retryCommand?: string;
  /** Whether anything is mounted from the device: its mode is then never changed. Default: no. */
  isMounted?: (device: string) => boolean;
}

/** What mount does about the device's mode; null fields for a device that is not a dax device. */
export interface MountModePlan {
  device: string;
  /** The mode found; null when not a dax device (nothing to do). */
  before: DaxState | null;
  need: SwitchableDaxMode | null;
  /** Switch to `need` before the replay. */
  switchFirst: boolean;
  /** Switch to `need` after the replay. */
  switchLast: boolean;
}

/** Decides, changing nothing; throws a DaxModeError when the mount cannot go ahead. */
export function planMountMode(device: string, facts: KernelFacts, opts: MountModeOptions = {}): MountModePlan {
  const before = readDaxMode(device, opts);
  const plan: MountModePlan = { device, before, need: null, switchFirst: false, switchLast: false };
  if (before === null) return plan;
  const need = mountModeNeed(facts);
  plan.need = need;
  if (before.mode === need) return plan;
  if (before.mode === 'system-ram' || before.mode === 'unknown') throw unusableModeError(before, need);
  if (!opts.setMode) throw wrongModeError(before, need, facts, opts.retryCommand);
  if (opts.isMounted?.(device)) throw mountedError(before, need);
  if (need === 'device_dax' || before.mode === 'none') plan.switchFirst = true;
  else plan.switchLast = true;
  return plan;
}

/** Switches the device to plan.need (for a plan step); returns whether anything changed. */
export function applyMountMode(plan: MountModePlan, opts: DaxSysfsOptions = {}): boolean {
  if (plan.need === null) return false;
  if (plan.need === 'fsdev_dax') return ensureFsdevMode(plan.device, { ...opts, required: true }).status === 'switched';
  return setDaxMode(plan.device, plan.need, opts).changed;
}

/** Puts the device back in the mode the plan found it in (after a mount failed); a no-op if it is there. */
export function restoreMountMode(plan: MountModePlan, opts: DaxSysfsOptions = {}): void {
  const before = plan.before;
  if (before === null) return;
  const now = readDaxMode(plan.device, opts);
  if (now === null || now.mode === before.mode) return;
  if (before.mode === 'none') unbindDaxDevice(resolveIo(opts), now);
  else if (before.mode === 'device_dax' || before.mode === 'fsdev_dax') setDaxMode(plan.device, before.mode, opts);
}

function mountedError(state: DaxState, need: SwitchableDaxMode): DaxModeError {
  const problem =
    `${deviceLabel(state.device, state.name)} is in ${describeMode(state.mode, state.driver)} ` +
    `and already mounted, so it cannot be switched to ${need} for another mount`;
  return new DaxModeError('mounted', problem, 'famfs umount <mountpoint>', state);
}

function wrongModeError(
  state: DaxState,
  need: SwitchableDaxMode,
  facts: KernelFacts,
  retryCommand: string | undefined,
): DaxModeError {
  const label = deviceLabel(state.device, state.name);
  const mode = describeMode(state.mode, state.driver);
  const why =
    need === 'fsdev_dax'
      ? 'but famfs mounts on this kernel need fsdev_dax mode (daxctl: famfs)'
      : facts.famfsKernel === 'none'
        ? 'but this kernel has no famfs support, so famfs_fused must map the device itself, which only ' +
          'device_dax mode (daxctl: devdax) allows'
        : 'but famfs mounts on this kernel need device_dax mode (daxctl: devdax)';
  const fix = retryCommand ?? reconfigureCommand(state.name, need, state.mode);
  return new DaxModeError('wrong-mode', `${label} is in ${mode}, ${why}`, fix, state);
}
