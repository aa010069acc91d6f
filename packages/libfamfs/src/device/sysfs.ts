import * as fs from 'fs';
import * as path from 'path';

/**
 * The corner of sysfs the dax bus exposes, and the one way this module writes to it.
 *
 *   <root>/bus/dax/devices/daxX.Y           the device (a symlink to its place under devices/)
 *   <root>/bus/dax/devices/daxX.Y/driver    symlink to the bound driver; absent when unbound
 *   <root>/bus/dax/devices/daxX.Y/size      the device size in bytes
 *   <root>/bus/dax/drivers/<drv>/{bind,unbind,new_id,remove_id}
 *
 * The root is a parameter so tests (and containers with a bind-mounted /sys) can point it
 * elsewhere; the default honours FAMFS_SYSFS_ROOT.
 */

/** The dax bus attributes famfs writes. */
export type DaxDriverAttr = 'bind' | 'unbind' | 'new_id' | 'remove_id';

/**
 * Writes one value to one sysfs attribute, throwing the errno the kernel returned (a bind that the
 * driver's probe rejects fails in write(2)). Injectable because plain files cannot react to a
 * write: the test harness supplies a writer that behaves like the kernel.
 */
export type SysfsWriter = (file: string, value: string) => void;

/**
 * The real writer. Opens O_WRONLY without O_CREAT or O_TRUNC: kernfs refuses read-write opens of
 * write-only attributes, and creating a file must never happen if the root is not really sysfs.
 */
export const defaultSysfsWriter: SysfsWriter = (file, value) => {
  const fd = fs.openSync(file, fs.constants.O_WRONLY);
  try {
    fs.writeSync(fd, value);
  } finally {
    fs.closeSync(fd);
  }
};

/** Read at call time, so a caller (or test) that sets FAMFS_SYSFS_ROOT later is honoured. */
export function defaultSysfsRoot(): string {
  return process.env.FAMFS_SYSFS_ROOT ?? '/sys';
}

export function daxDevicesDir(root: string): string {
  return path.join(root, 'bus', 'dax', 'devices');
}

export function daxDeviceDir(root: string, name: string): string {
  return path.join(daxDevicesDir(root), name);
}

export function daxDriverDir(root: string, driver: string): string {
  return path.join(root, 'bus', 'dax', 'drivers', driver);
}

/** An attribute of a driver, addressed by driver name: where new_id and bind go. */
export function driverAttr(root: string, driver: string, attr: DaxDriverAttr): string {
  return path.join(daxDriverDir(root, driver), attr);
}

/**
 * An attribute of whatever driver is bound to the device, through its `driver` link: libdaxctl
 * disables a device this way (remove_id, then unbind) without having to know the driver's name.
 */
export function boundDriverAttr(root: string, name: string, attr: DaxDriverAttr): string {
  return path.join(daxDeviceDir(root, name), 'driver', attr);
}

export function daxDeviceExists(root: string, name: string): boolean {
  return fs.existsSync(daxDeviceDir(root, name));
}

export function daxDriverExists(root: string, driver: string): boolean {
  return fs.existsSync(daxDriverDir(root, driver));
}

/** The name of the driver bound to `name` (basename of the link, as C famfs does), or null. */
export function readBoundDriver(root: string, name: string): string | null {
  try {
    return path.basename(fs.readlinkSync(path.join(daxDeviceDir(root, name), 'driver')));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** The size in bytes from `<device>/size`, or null when it is missing or not a number. */
export function readDaxSize(root: string, name: string): number | null {
  let text: string;
  try {
    text = fs.readFileSync(path.join(daxDeviceDir(root, name), 'size'), 'utf8').trim();
  } catch {
    return null;
  }
  return /^\d+$/.test(text) ? Number(text) : null;
}

/** The dax device names under the bus, in (region, id) order; empty when there is no dax bus. */
export function listDaxNames(root: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(daxDevicesDir(root));
  } catch {
    return [];
  }
  const key = (n: string): number[] => (n.match(/\d+/g) ?? []).map(Number);
  return names
    .filter((n) => /^dax\d+\.\d+$/.test(n))
    .sort((a, b) => {
      const [ka, kb] = [key(a), key(b)];
      return ka[0] - kb[0] || ka[1] - kb[1];
    });
}
