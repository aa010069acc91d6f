/**
 * What a real mount made by the test leaves, and the cleanup that removes it whatever happened:
 * lazy unmounts of what is mounted under the test's directory, then SIGKILL to the famfs_fused
 * processes serving it, found by that directory (unique to this run) in their command line.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';

export const mountUnavailable: string | undefined =
  process.getuid?.() !== 0 ? 'not root' : !fs.existsSync('/dev/fuse') ? 'no /dev/fuse' : undefined;

export function mountsUnder(dir: string): string[] {
  return fs
    .readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1])
    .filter((m): m is string => m !== undefined && m.startsWith(`${dir}/`));
}

export function daemonsServing(dir: string): number[] {
  const pids: number[] = [];
  for (const p of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8');
      if (cmd.includes('famfs_fused') && cmd.includes(`${dir}/`)) pids.push(Number(p));
    } catch {
      // the process ended meanwhile
    }
  }
  return pids;
}

export function cleanupMounts(dir: string): void {
  for (const m of mountsUnder(dir).reverse()) {
    try {
      execFileSync('umount', ['-l', m], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  }
  for (const pid of daemonsServing(dir)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
