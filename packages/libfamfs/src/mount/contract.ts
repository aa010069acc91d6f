/**
 * The contract between the famfs CLI and the famfs_fused daemon: every name one of them writes
 * and the other reads. The daemon is reached only as a process (its argv) and through these, so a
 * name changed here changes for both, and nothing is learnt by reading the daemon's log text.
 *
 * In the shadow path (the directory `famfs mount -S` names; the served tree is its `root/`,
 * SHADOW_ROOT_NAME of shadow/tree.ts):
 * - DAEMON_PID_FILE: the daemon's pid, written after INIT, removed at exit;
 * - DAEMON_STATUS_FILE: a DaemonStatus record (JSON), replaced atomically as the daemon's state
 *   changes; what `famfs mount` and `umount` may rely on;
 * - DIAGNOSTICS_SOCKET: the daemon's diagnostics socket.
 * On the mount itself: SHADOW_XATTR, answered with the shadow path. Under the mount: the
 * .meta files (format/meta-paths.ts), whose presence at full size means the mount is served.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Role } from '../system-uuid';
import { readSmallFile, writeSmallFile } from '../checked-open';

/** The xattr a famfs mount answers (on any of its inodes) with its shadow path. */
export const SHADOW_XATTR = 'user.famfs.shadow';
/**
 * Reading this xattr (on any inode of a famfs-ts mount served from the log) makes the daemon read
 * the log up to its end before it answers, with a LogplayReply as JSON: `famfs logplay MOUNTPOINT`
 * and the master's own creations use it. It is not listed by listxattr.
 */
export const LOGPLAY_XATTR = 'user.famfs.logplay';

/** What a daemon answers for LOGPLAY_XATTR. */
export interface LogplayReply {
  /** Log entries read (the log's next_index as the daemon last read it). */
  entries: number;
  /** Files and directories this read added to the mount. */
  newFiles: number;
  newDirs: number;
  /** Files and directories the mount serves from the log. */
  files: number;
  directories: number;
  /** Bad entries and entries that could not be placed, in the whole log (counted), and the first few reasons. */
  badCount: number;
  conflictCount: number;
  problems: string[];
  /** 'following', 'off' (-o follow=0) or 'stopped' (then `stopReason`). */
  follow: 'following' | 'off' | 'stopped';
  stopReason?: string;
}
/** The daemon's name: its bin (`bin/famfs_fused.js`), and what its command line holds (the CLI checks a pid by it). */
export const DAEMON_NAME = 'famfs_fused';
export const DAEMON_PID_FILE = `${DAEMON_NAME}.pid`;
export const DAEMON_STATUS_FILE = `${DAEMON_NAME}.status.json`;
export const DIAGNOSTICS_SOCKET = 'sock';

/** Where the daemon's files of a shadow path are. */
export interface DaemonPaths {
  pid: string;
  status: string;
  socket: string;
}

export function daemonPaths(shadowDir: string): DaemonPaths {
  return {
    pid: path.join(shadowDir, DAEMON_PID_FILE),
    status: path.join(shadowDir, DAEMON_STATUS_FILE),
    socket: path.join(shadowDir, DIAGNOSTICS_SOCKET),
  };
}

/** Which way file data flows, as negotiated at INIT. */
export type DataPathKind =
  /** FUSE_DAX_FMAP: the kernel maps file data from the device itself (GET_FMAP/GET_DAXDEV). */
  | 'dax'
  /** A stock kernel: the daemon serves READ and WRITE from the device. */
  | 'stock';

/** What the daemon says about itself in DAEMON_STATUS_FILE. */
export interface DaemonStatus {
  /** The record's layout; readers refuse others. */
  schema: 1;
  pid: number;
  /** The famfs device (daxdev), or null when the daemon serves only names. */
  device: string | null;
  mountpoint: string;
  /** The shadow path (the directory holding root/ and these files). */
  shadow: string;
  /** The role of the host that mounted, when the daemon knows it. */
  role?: Role;
  /** FUSE_DAX_FMAP was negotiated: the DAX data path is on. */
  famfs: boolean;
  /** The famfs ABI profile in force after INIT ('v10', 'rfc', 'push'). */
  profile: string;
  /**
   * With `--abi auto`: what the push generation's DAXDEV_OPEN probe on /dev/fuse found after INIT
   * ('push': the ioctl answered; 'no-push': ENOTTY, the pull generation). Absent when the profile
   * was chosen with --abi or nothing was probed (no famfs kernel).
   */
  pushProbe?: 'push' | 'no-push';
  dataPath: DataPathKind;
  /** When the daemon started (ISO 8601). */
  startedAt: string;
  /** When INIT was answered (ISO 8601): the mount is served from then on. */
  initAt?: string;
  /** The daemon's package version. */
  version?: string;
  /**
   * What the daemon serves from: 'log' (an index of the device's log, followed as it grows; the
   * daemon then writes the shadow tree itself, in the background) or 'shadow' (the shadow tree,
   * as the C famfs_fused). Absent from older daemons: 'shadow'.
   */
  source?: 'log' | 'shadow';
  /** With source 'log': the log as the daemon first read it (what `famfs mount` reports). */
  log?: LogplayReply;
}

/** A status record is under a kilobyte; a larger file is not one. */
const STATUS_MAX = 64 * 1024;

/** The status record of the daemon serving `shadowDir`; undefined when there is none or it is not a valid one. */
export function readDaemonStatus(shadowDir: string): DaemonStatus | undefined {
  let value: unknown;
  try {
    const text = readSmallFile(path.join(shadowDir, DAEMON_STATUS_FILE), STATUS_MAX, 'daemon status file');
    value = JSON.parse(text.toString('utf8'));
  } catch {
    return undefined;
  }
  return isDaemonStatus(value) ? value : undefined;
}

/**
 * Writes the status record: to a temporary file of this process, then renamed over the record,
 * so a reader sees the old record or the new one, never a part.
 */
export function writeDaemonStatus(shadowDir: string, status: DaemonStatus): void {
  const file = path.join(shadowDir, DAEMON_STATUS_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeSmallFile(tmp, JSON.stringify(status, null, 2) + '\n', 0o644, 'daemon status file');
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

function isDaemonStatus(v: unknown): v is DaemonStatus {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  const optString = (k: string) => s[k] === undefined || typeof s[k] === 'string';
  return (
    s.schema === 1 &&
    Number.isInteger(s.pid) &&
    (s.device === null || typeof s.device === 'string') &&
    typeof s.mountpoint === 'string' &&
    typeof s.shadow === 'string' &&
    (s.role === undefined || s.role === 'master' || s.role === 'client' || s.role === 'nosuper') &&
    typeof s.famfs === 'boolean' &&
    typeof s.profile === 'string' &&
    (s.dataPath === 'dax' || s.dataPath === 'stock') &&
    typeof s.startedAt === 'string' &&
    optString('initAt') &&
    optString('version') &&
    (s.pushProbe === undefined || s.pushProbe === 'push' || s.pushProbe === 'no-push')
  );
}
