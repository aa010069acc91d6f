/** `famfs mount` with no arguments: the famfs mounts of this machine as a table. */
import type { FamfsMountInfo } from '@famfs/libfamfs/mount';

const HEADER = ['DEVICE', 'MOUNTPOINT', 'ROLE', 'DATA PATH', 'PID'];

/** One row per mount, columns aligned; `-` where the daemon's status record did not say. */
export function formatMountList(mounts: FamfsMountInfo[]): string {
  if (mounts.length === 0) return '';
  const rows = mounts.map((m) =>
    [m.device, m.mountpoint, m.role ?? '-', m.dataPath ?? '-', m.pid?.toString() ?? '-'].map(printable),
  );
  const widths = HEADER.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd() + '\n';
  return line(HEADER) + rows.map(line).join('');
}

/** A name as one cell: control characters and spaces escaped, so no name can forge a row or a column. */
function printable(text: string): string {
  let out = '';
  for (const c of text) {
    const code = c.charCodeAt(0);
    out += code <= 0x20 || code === 0x7f || c === '\\' ? `\\x${code.toString(16).padStart(2, '0')}` : c;
  }
  return out;
}
