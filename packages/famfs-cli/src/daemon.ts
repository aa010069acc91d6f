import * as fs from 'fs';
import * as path from 'path';
import { spawn } from 'child_process';
import { openChecked } from '@famfs/libfamfs/common';
import { DAEMON_NAME } from '@famfs/libfamfs/mount';
import { processAlive, waitFor } from './wait';

/** The famfs_fused binary: FAMFS_FUSED when set, else the one installed with @famfs/fused. */
export function daemonBinary(env: NodeJS.ProcessEnv = process.env): string {
  if (env.FAMFS_FUSED) return env.FAMFS_FUSED;
  return path.join(path.dirname(require.resolve('@famfs/fused/package.json')), 'bin', `${DAEMON_NAME}.js`);
}

export interface DaemonArgs {
  device: string;
  mountpoint: string;
  shadow: string;
  abi: string;
  timeout?: number;
  /** -o follow=MS (the daemon's default when absent). */
  follow?: number;
  /** -o serve=: what the daemon serves (its default, the log, when absent). */
  serve?: 'log' | 'shadow';
  debug?: boolean;
  /** The daemon's starting log level (-o loglevel=). */
  logLevel?: string;
  /** The daemon's log file (-o logfile=); absent: its stderr (the journal under systemd). */
  logFile?: string;
  /** FUSE allow_other (other users may use the mount) and default_permissions (the kernel checks modes). */
  allowOther?: boolean;
  defaultPermissions?: boolean;
  /** -o io_uring: serve through FUSE over io_uring where the kernel allows it. */
  ioUring?: boolean;
}

/** famfs_fused's command line (without the program) for a mount. */
export function daemonArgv(a: DaemonArgs): string[] {
  const opts = [`shadow=${a.shadow}`, `daxdev=${a.device}`, `fsname=${a.device}`];
  if (a.timeout !== undefined) opts.push(`timeout=${a.timeout}`);
  if (a.follow !== undefined) opts.push(`follow=${a.follow}`);
  if (a.serve !== undefined) opts.push(`serve=${a.serve}`);
  if (a.logLevel !== undefined) opts.push(`loglevel=${a.logLevel}`);
  if (a.logFile !== undefined) opts.push(`logfile=${a.logFile}`);
  if (a.allowOther) opts.push('allow_other');
  if (a.defaultPermissions) opts.push('default_permissions');
  if (a.ioUring) opts.push('io_uring');
  return ['-f', ...(a.debug ? ['-d'] : []), '--abi', a.abi, '-o', opts.join(','), a.mountpoint];
}

/**
 * Starts famfs_fused in its own session, detached from this process. With `a.logFile` the daemon
 * writes its log there itself, and its stdout and stderr (what a crash of Node itself prints) are
 * appended to the same file; without it (under systemd) they are this process's, the journal.
 */
export function startDaemon(a: DaemonArgs): number {
  const argv = [daemonBinary(), ...daemonArgv(a)];
  if (a.logFile === undefined) return spawnDetached(argv, 'inherit');
  fs.mkdirSync(path.dirname(a.logFile), { recursive: true, mode: 0o755 });
  // A FIFO or a symlink planted at the log's name must not hang or redirect it.
  const { fd: log } = openChecked(a.logFile, {
    flags: fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT,
    mode: 0o640,
    accept: ['file'],
    what: 'daemon log',
    noFollow: true,
  });
  try {
    return spawnDetached(argv, log);
  } finally {
    fs.closeSync(log);
  }
}

function spawnDetached(argv: string[], out: number | 'inherit'): number {
  const child = spawn(process.execPath, argv, { detached: true, stdio: ['ignore', out, out] });
  child.unref();
  if (child.pid === undefined) throw new Error(`could not start ${argv[0]}`);
  return child.pid;
}

/** Stops the daemon `pid` (only if it is a famfs_fused): waits, then SIGTERM, then SIGKILL. */
export function stopDaemon(pid: number, graceMs = 3000): void {
  const alive = () => processAlive(pid, DAEMON_NAME);
  if (!alive()) return;
  if (waitFor(() => !alive(), graceMs)) return;
  process.kill(pid, 'SIGTERM');
  if (waitFor(() => !alive(), graceMs)) return;
  process.kill(pid, 'SIGKILL');
  waitFor(() => !alive(), graceMs);
}
