import * as fs from 'fs';

export interface MountEntry {
  source: string;
  mountpoint: string;
  fstype: string;
  options: string;
}

/** /proc/mounts escapes space, tab, newline and backslash as octal. */
function unescapeMountField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export function readMounts(file = '/proc/mounts'): MountEntry[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const [source, mountpoint, fstype, options] = l.split(' ');
      return { source: unescapeMountField(source), mountpoint: unescapeMountField(mountpoint), fstype, options };
    });
}

function realpathOr(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
}

/** The (device, inode) identity of a path, or undefined when it cannot be stat'ed. */
function identity(p: string): string | undefined {
  try {
    const st = fs.statSync(p);
    return `${st.dev}:${st.ino}`;
  } catch {
    return undefined;
  }
}

/**
 * Mounts whose source is this device: the same path, the same real path, or the same file by
 * inode (a hard link or a bind-mounted path names the same device under another name).
 */
export function mountsOfDevice(device: string, file?: string): MountEntry[] {
  const dev = realpathOr(device);
  const id = identity(device);
  return readMounts(file).filter(
    (m) => m.source === dev || (m.source.startsWith('/') && (realpathOr(m.source) === dev || (id !== undefined && identity(m.source) === id))),
  );
}
