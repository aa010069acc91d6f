/**
 * The mount table of this process' mount namespace, read from /proc/self/mountinfo (proc(5)).
 * This is the one parser of it: @famfs/fuse asks whether a FUSE mount is still there and which
 * connection serves it, @famfs/libfamfs which mounts are famfs and where a device is mounted.
 * Reading the table never touches the mounts themselves, so a mount whose daemon died or hangs
 * cannot block the reader (a stat of the mount point could).
 */
import * as fs from 'fs';

export const MOUNTINFO_PATH = '/proc/self/mountinfo';

/** One line of mountinfo. */
export interface MountTableEntry {
  mountId: number;
  parentId: number;
  /** st_dev of the mount; for FUSE the minor names the connection in /sys/fs/fuse/connections. */
  devMajor: number;
  devMinor: number;
  /** The directory of the mounted file system that this mount shows (not '/' for a bind mount). */
  root: string;
  mountpoint: string;
  /** Per-mount options: rw, nosuid, nodev... */
  mountOptions: string;
  /** 'fuse.famfs', 'tmpfs'... */
  fstype: string;
  /** What was mounted: a device path, or the fsname a FUSE daemon gave. */
  source: string;
  /** Per-superblock options (for FUSE: fd=, rootmode=, user_id=...). */
  superOptions: string;
}

/** mountinfo escapes space, tab, newline and backslash as \ooo octal. */
function unescapeField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/**
 * The entries of a mountinfo text. A line is: mount ID, parent ID, major:minor, root, mount point,
 * mount options, zero or more optional fields, '-', fstype, source, super options. Lines that do
 * not have that shape are skipped.
 */
export function parseMountInfo(text: string): MountTableEntry[] {
  const out: MountTableEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    const sep = f.indexOf('-', 6);
    if (sep < 0 || sep + 2 >= f.length) continue;
    const [major, minor] = f[2].split(':').map(Number);
    out.push({
      mountId: Number(f[0]),
      parentId: Number(f[1]),
      devMajor: major,
      devMinor: minor,
      root: unescapeField(f[3]),
      mountpoint: unescapeField(f[4]),
      mountOptions: f[5],
      fstype: unescapeField(f[sep + 1]),
      source: unescapeField(f[sep + 2]),
      superOptions: f[sep + 3] ?? '',
    });
  }
  return out;
}

/** The mount table, in mount order (a later entry at the same mount point hides an earlier one); [] when unreadable. */
export function readMountTable(file = MOUNTINFO_PATH): MountTableEntry[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return parseMountInfo(text);
}

/** The entries mounted exactly at `mountpoint` (several when mounts are stacked there). */
export function mountsAt(mountpoint: string, table: MountTableEntry[] = readMountTable()): MountTableEntry[] {
  return table.filter((m) => m.mountpoint === mountpoint);
}

/**
 * The mounts whose tree holds the absolute path `p` (their mount point is `p` or above it),
 * innermost first. Stacked mounts at one mount point keep table order among themselves.
 */
export function mountsHolding(p: string, table: MountTableEntry[] = readMountTable()): MountTableEntry[] {
  return table
    .filter((m) => p === m.mountpoint || p.startsWith(m.mountpoint === '/' ? '/' : m.mountpoint + '/'))
    .sort((a, b) => b.mountpoint.length - a.mountpoint.length);
}
