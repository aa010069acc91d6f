/**
 * Daxdev registration in the push generation, as the C famfs_fused does it (c-famfs-interop §4.2):
 * at LOOKUP of a regular file the daemon pushes every daxdev index up to the highest the file's
 * fmap references that is not registered yet, densely and in index order, and stops at the first
 * failure; a later LOOKUP tries again from there. LOOKUP precedes OPEN and GET_FMAP, so the device
 * is in the kernel's table before any fmap names it. Each device is opened for the push and closed
 * right after (the kernel holds its own reference). A failure is logged and the LOOKUP still
 * succeeds: the kernel then fails I/O on that device's files with EIO, not the lookup.
 */
import * as fs from 'fs';
import type { FileEntry } from '@famfs/libfamfs/format';

/** The highest daxdev index a file's fmap references (extents or strips). */
export function highestDevIndex(entry: FileEntry): number {
  const f = entry.fmap;
  const exts = f.kind === 'simple' ? f.extents : f.strips;
  return exts.reduce((top, e) => Math.max(top, e.devIndex), 0);
}

const codeOf = (e: unknown): string => (e as { code?: unknown } | null)?.code?.toString() ?? 'EIO';

export class DaxdevPusher {
  /** Indices below this are registered with the kernel. */
  private pushed = 0;
  private readonly logged = new Set<string>();

  /**
   * @param devices the device path of each daxdev index (index 0: the mount's -o daxdev)
   * @param push the session's push (Connection.pushDaxdev)
   */
  constructor(
    private readonly devices: readonly string[],
    private readonly push: (fd: number, index: number) => void,
    private readonly log: (message: string) => void,
  ) {}

  /** How many indices (0, 1, ... in order) the kernel has. */
  get registered(): number {
    return this.pushed;
  }

  /** A regular file was looked up: registers what its fmap needs and is not registered yet. */
  lookedUp(entry: FileEntry): void {
    const top = highestDevIndex(entry);
    while (this.pushed <= top && this.pushOne(this.pushed)) this.pushed++;
  }

  private pushOne(index: number): boolean {
    const dev = this.devices[index];
    if (dev === undefined) {
      this.logOnce(
        `none:${index}`,
        `daxdev ${index}: no device for this index (multi-daxdev support not implemented yet)`,
      );
      return false;
    }
    let fd = -1;
    try {
      fd = openDevice(dev);
      this.push(fd, index);
      this.log(`daxdev ${index} (${dev}) registered with the kernel`);
      return true;
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      this.logOnce(`${index}:${codeOf(e)}`, `daxdev ${index} (${dev}) push failed: ${why}; a later lookup retries`);
      return false;
    } finally {
      if (fd >= 0) fs.closeSync(fd);
    }
  }

  /** Logs a failure once per index and errno, since every later lookup retries it. */
  private logOnce(key: string, message: string): void {
    if (this.logged.has(key)) return;
    this.logged.add(key);
    this.log(message);
  }
}

/** The device, read-write as the C daemon opens it (read-only if that is all we may: the kernel does not care). */
function openDevice(dev: string): number {
  try {
    return fs.openSync(dev, fs.constants.O_RDWR);
  } catch {
    return fs.openSync(dev, fs.constants.O_RDONLY);
  }
}
