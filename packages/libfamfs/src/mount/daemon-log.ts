/**
 * Where famfs_fused logs, the one rule the CLI (which starts the daemon and quotes its log when a
 * mount fails) and the daemon (which writes it) share. Under systemd (JOURNAL_STREAM or
 * INVOCATION_ID set) the daemon logs to stderr, which is the journal; otherwise to a file per mount
 * under /var/log/famfs (FAMFS_LOG_DIR overrides), named after the mount point as systemd names
 * its mount units (`/mnt/famfs` -> `mnt-famfs.log`), kept to a size bound with one old file.
 */
import * as path from 'path';

/** Where daemon log files live: FAMFS_LOG_DIR, else /var/log/famfs. */
export function daemonLogDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.FAMFS_LOG_DIR || '/var/log/famfs';
}

/** True when this process runs under systemd, whose journal takes its stderr. */
export function underSystemd(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.JOURNAL_STREAM || env.INVOCATION_ID);
}

/** The default size bound of a daemon log file; at it the file becomes NAME.log.1 (one kept). */
export const DAEMON_LOG_MAX_DEFAULT = 8 * 1024 * 1024;

/**
 * A mount point escaped as `systemd-escape --path` does: no leading or trailing slash, `/` -> `-`,
 * every byte outside [A-Za-z0-9:_.] (and a leading `.`) as `\xNN`; `/` alone is `-`.
 */
export function escapeMountpoint(mountpoint: string): string {
  const trimmed = path.resolve(mountpoint).replace(/^\/+|\/+$/g, '');
  if (trimmed === '') return '-';
  const bytes = Buffer.from(trimmed, 'utf8');
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    const c = String.fromCharCode(b);
    if (c === '/') out += '-';
    else if (/[A-Za-z0-9:_]/.test(c) || (c === '.' && i > 0)) out += c;
    else out += `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return out;
}

/** The log file of the daemon serving `mountpoint` (when it logs to a file). */
export function daemonLogFile(mountpoint: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(daemonLogDir(env), `${escapeMountpoint(mountpoint)}.log`);
}

/** The one older file kept when the log reaches its size bound. */
export function rotatedLogFile(logFile: string): string {
  return `${logFile}.1`;
}
