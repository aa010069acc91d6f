/**
 * Names of dax device modes: the driver each mode is bound to in sysfs, the word `daxctl list`
 * shows for it, and the `daxctl` command that puts a device into a mode. Pure data and string
 * helpers; nothing here touches the file system.
 */

/**
 * The mode of a dax device, named after the driver bound to it in /sys/bus/dax/devices/<name>/driver:
 * - 'device_dax': the classic devdax character device; mmap of /dev/daxX.Y works (raw access).
 * - 'fsdev_dax': bound for a file system (daxctl calls it 'famfs'); the kernel's famfs FUSE code
 *   can claim it, but mmap, read and write of /dev/daxX.Y fail.
 * - 'system-ram': bound to kmem, the memory is hot-plugged as system RAM; famfs cannot use it.
 * - 'none': no driver bound (daxctl shows 'unknown'); the device node cannot be opened.
 */
export type DaxMode = 'device_dax' | 'fsdev_dax' | 'system-ram' | 'none';

/** What sysfs can show: one of the modes, or a driver famfs does not know ('unknown'). */
export type ObservedDaxMode = DaxMode | 'unknown';

/** The modes famfs switches between; it never binds kmem (that onlines memory) or unbinds for good. */
export type SwitchableDaxMode = 'device_dax' | 'fsdev_dax';

/** A dax device as sysfs shows it right now. */
export interface DaxState {
  /** The path the caller gave (e.g. /dev/dax0.0 or a udev alias). */
  device: string;
  /** The dax bus name, e.g. dax0.0. */
  name: string;
  mode: ObservedDaxMode;
  /** The bound driver's name, or null when none is bound. */
  driver: string | null;
}

/** The sysfs driver of each bound mode. */
export const DRIVER_OF_MODE: Readonly<Record<Exclude<DaxMode, 'none'>, string>> = {
  device_dax: 'device_dax',
  fsdev_dax: 'fsdev_dax',
  'system-ram': 'kmem',
};

/** The `--mode=` word of `daxctl reconfigure-device` (the famfs fork of ndctl knows 'famfs'). */
const DAXCTL_MODE: Readonly<Record<SwitchableDaxMode, string>> = {
  device_dax: 'devdax',
  fsdev_dax: 'famfs',
};

/** The mode a bound driver stands for; null (no driver) is 'none'. */
export function modeOfDriver(driver: string | null): ObservedDaxMode {
  if (driver === null) return 'none';
  if (driver === 'device_dax') return 'device_dax';
  if (driver === 'fsdev_dax') return 'fsdev_dax';
  if (driver === 'kmem') return 'system-ram';
  return 'unknown';
}

/** Words for a message: the mode, plus the driver when the mode name alone would not say it. */
export function describeMode(mode: ObservedDaxMode, driver: string | null): string {
  switch (mode) {
    case 'device_dax':
      return 'device_dax mode (daxctl: devdax)';
    case 'fsdev_dax':
      return 'fsdev_dax mode (daxctl: famfs)';
    case 'system-ram':
      return 'system-ram mode (driver kmem)';
    case 'none':
      return 'mode none (no driver bound)';
    case 'unknown':
      return `an unknown mode (driver ${driver ?? '?'})`;
  }
}

/**
 * The daxctl command that puts device `name` into `target`. Leaving system-ram needs `--force`
 * (daxctl must offline the memory first), and libdaxctl refuses to go from system-ram straight
 * to famfs ("must be in devdax mode to convert to famfs"), so that case is two commands.
 */
export function reconfigureCommand(name: string, target: SwitchableDaxMode, from?: ObservedDaxMode): string {
  const cmd = (mode: SwitchableDaxMode, force: boolean): string =>
    `daxctl reconfigure-device --mode=${DAXCTL_MODE[mode]}${force ? ' --force' : ''} ${name}`;
  if (from !== 'system-ram') return cmd(target, false);
  if (target === 'device_dax') return cmd('device_dax', true);
  return `${cmd('device_dax', true)} && ${cmd('fsdev_dax', false)}`;
}

/** The command that loads a missing driver (the famfs kernel builds fsdev_dax as a module). */
export function modprobeCommand(driver: string): string {
  return `modprobe ${driver}`;
}
