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

/** Mounts whose source is this device (compared by real path). */
export function mountsOfDevice(device: string, file?: string): MountEntry[] {
  const dev = realpathOr(device);
  return readMounts(file).filter((m) => m.source === dev || (m.source.startsWith('/') && realpathOr(m.source) === dev));
}
