import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FamfsError, roleOf, tryGetSystemUuid } from '@famfs/libfamfs';
import { SUPERBLOCK_META, SUPERBLOCK_SIZE, uuidToText } from '@famfs/libfamfs/format';
import { Device } from '@famfs/libfamfs/device';
import { LogReader } from '@famfs/libfamfs/log';
import { prepareShadowRoot, SHADOW_ROOT_NAME } from '@famfs/libfamfs/shadow';
import {
  DAEMON_LOG_FILE,
  daemonPaths,
  readDaemonStatus,
  isMountpoint,
  mountsOfDevice,
  readMountRecord,
  umountQuietly,
  writeMountRecord,
} from '@famfs/libfamfs/mount';
import type { DaemonStatus, DataPathKind } from '@famfs/libfamfs/mount';
import { mountsHolding, readMountTable } from '@famfs/native';
import { CommandSpec } from '../command';
import { describeError, exitCodeOf } from '../errors';
import { UsageError } from '../io';
import { optString } from '../options';
import { startDaemon, stopDaemon } from '../daemon';
import { processAlive, waitFor } from '../wait';

/** The daemon reads the whole log before it answers: a full 256 MiB log takes seconds, more on a loaded machine. */
const READY_TIMEOUT_MS = 60_000;
/** How often readiness is checked (the mount's first answer is what `famfs mount` waits for). */
const READY_POLL_MS = 10;

/**
 * `famfs mount`: check the device, start famfs_fused on it (the daemon reads the log, serves the
 * tree from it, follows it, and writes the shadow tree in the background), and wait until the
 * mount answers. Any failure leaves nothing mounted, no daemon running and no shadow tree behind.
 */
export const mountCommand: CommandSpec = {
  name: 'mount',
  args: '<device> <mountpoint>',
  summary: 'Mount a famfs file system (famfs_fused serves it from the log, and follows the log)',
  options: [
    ['-t, --timeout <seconds>', 'FUSE entry and attribute cache timeout (default: the daemon\'s)'],
    ['--follow <ms>', 'How often the daemon looks for new log entries, in ms (default 100; 0: at mount and logplay only)'],
    ['-d, --debug', `Run the daemon with debug logging (to SHADOW/${DAEMON_LOG_FILE})`],
    ['-S, --shadow <dir>', 'Use this shadow path (it must exist and hold no root/); default a new famfs_shadow_* on a tmpfs (/run, /dev/shm or the temp dir)'],
    ['--abi <name>', 'famfs kernel ABI profile for the DAX path: v10 (default) or rfc'],
  ],
  examples: [
    'famfs mount /dev/dax0.0 /mnt/famfs',
    'famfs mount -S /run/famfs-shadow ./famfs.img /mnt/famfs',
    'famfs mount --follow 0 /dev/dax0.0 /mnt/famfs',
  ],
  run(args, o, io) {
    const [device, mountpointArg] = args;
    const timeoutText = optString(o.timeout, '--timeout');
    const timeout = timeoutText === undefined ? undefined : Number(timeoutText);
    if (timeout !== undefined && !(timeout >= 0)) throw new UsageError(`--timeout needs a number of seconds >= 0, not '${timeoutText}'`);
    const abi = optString(o.abi, '--abi') ?? 'v10';
    const followText = optString(o.follow, '--follow');
    const follow = followText === undefined ? undefined : Number(followText);
    if (follow !== undefined && !(Number.isSafeInteger(follow) && follow >= 0)) {
      throw new UsageError(`--follow needs a whole number of ms >= 0, not '${followText}'`);
    }
    try {
      const r = mountFamfs({ device, mountpoint: mountpointArg, shadow: optString(o.shadow, '--shadow'), timeout, follow, abi, debug: !!o.debug });
      io.out(`famfs mount: ${r.device} on ${r.mountpoint} as ${r.role}; shadow ${r.shadow}; ${r.summary}\n`);
      io.out(`famfs mount: data path: ${r.dataPath}\n`);
      for (const w of r.warnings) io.err(`famfs mount: warning: ${w}\n`);
      return 0;
    } catch (e) {
      io.err(`famfs mount: ${describeError(e)}\n`);
      return exitCodeOf(e);
    }
  },
};

interface MountRequest {
  device: string;
  mountpoint: string;
  shadow?: string;
  timeout?: number;
  follow?: number;
  abi: string;
  debug: boolean;
}

function mountFamfs(req: MountRequest) {
  if (process.getuid?.() !== 0) throw new FamfsError('EINVAL', 'famfs mount must run as root (it mounts a FUSE file system)');
  const device = realDirOrFile(req.device, 'device', false);
  const mountpoint = realDirOrFile(req.mountpoint, 'mount point', true);
  // A symlink on the way to the mount point could be swapped to redirect a root-owned mount.
  if (mountpoint !== path.resolve(req.mountpoint)) {
    throw new FamfsError('ESYMLINK', `mount point ${req.mountpoint} goes through a symlink (it is really ${mountpoint}); give the real path`, { path: req.mountpoint });
  }
  // One host mounts a device once. Another "host" on this machine (another system UUID, as
  // recorded by famfs mount) may mount it too: that is how a master and a client share it here.
  const me = tryGetSystemUuid();
  const myUuid = me ? uuidToText(me) : '';
  const same = mountsOfDevice(device).find((m) => {
    const rec = readMountRecord(m.mountpoint);
    return rec === undefined || rec.systemUuid === myUuid;
  });
  if (same) throw new FamfsError('EBUSY', `${device} is already mounted at ${same.mountpoint} by this host`, { device });
  if (isMountpoint(mountpoint)) throw new FamfsError('EBUSY', `something is already mounted at ${mountpoint}`);

  const shadowCreated = req.shadow === undefined;
  const shadow = shadowCreated ? fs.mkdtempSync(path.join(shadowParent(), 'famfs_shadow_')) : path.resolve(req.shadow!);
  if (shadowCreated) fs.chmodSync(shadow, 0o755);
  else if (fs.existsSync(path.join(shadow, SHADOW_ROOT_NAME))) throw new FamfsError('EEXIST', `shadow path ${shadow} already holds a root/ (in use by another mount?)`);

  let pid: number | undefined;
  try {
    prepareShadowRoot(shadow);
    const role = deviceRole(device);
    const daemonFiles = daemonPaths(shadow);
    pid = startDaemon({ device, mountpoint, shadow, abi: req.abi, timeout: req.timeout, follow: req.follow, debug: req.debug, logFile: daemonFiles.log });
    const daemonPid = pid;
    // The daemon writes its status record once it serves the mount and its diagnostics socket is
    // up; the superblock must then read back whole through the mount, as the C mount checks.
    const metaFile = path.join(mountpoint, SUPERBLOCK_META);
    let status: DaemonStatus | undefined;
    const served = () => {
      status = readDaemonStatus(shadow);
      return status !== undefined && status.pid === daemonPid;
    };
    const ready = waitFor(() => !processAlive(daemonPid) || (served() && sizeOf(metaFile) === SUPERBLOCK_SIZE), READY_TIMEOUT_MS, READY_POLL_MS);
    if (!ready || !processAlive(daemonPid) || !status) {
      throw new FamfsError('EIO', `famfs_fused did not bring up ${mountpoint}${ready ? ' (it exited)' : ` within ${READY_TIMEOUT_MS / 1000} s`}: ${lastLines(daemonFiles.log)}`);
    }
    writeMountRecord({ mountpoint, device, shadow, shadowCreated, pid, abi: req.abi, systemUuid: myUuid, startedAt: new Date().toISOString() });
    const log = status.log;
    const warnings = log ? [...log.problems] : [];
    const more = log ? log.badCount + log.conflictCount - log.problems.length : 0;
    if (more > 0) warnings.push(`and ${more} more log entries that could not be replayed (logplay -v ${mountpoint} lists them)`);
    return {
      device,
      mountpoint,
      shadow,
      role: status.role ?? role,
      warnings,
      dataPath: describeDataPath(status.dataPath),
      summary: log ? `${log.entries} log entries; ${log.files} files; ${log.directories} directories` : 'a shadow tree',
    };
  } catch (e) {
    if (pid !== undefined) {
      umountQuietly(mountpoint);
      stopDaemon(pid, 1000);
    }
    umountQuietly(mountpoint);
    try {
      fs.rmSync(shadowCreated ? shadow : path.join(shadow, SHADOW_ROOT_NAME), { recursive: true, force: true });
    } catch {
      // Nothing to remove (e.g. -S names a file): report the original error, not this one.
    }
    throw e;
  }
}

/**
 * This host's role on the device, after checking its superblock and log header (EBADSUPER,
 * EBADLOG: nothing is started then). The log itself is the daemon's to read.
 */
function deviceRole(device: string) {
  const dev = Device.open(device);
  try {
    const reader = LogReader.open(dev);
    reader.header();
    return roleOf(reader.sb, tryGetSystemUuid());
  } finally {
    dev.close();
  }
}

/**
 * Where new shadow trees go: FAMFS_SHADOW_DIR, else the first of /run, /dev/shm and the temp
 * directory that is a tmpfs (a shadow tree is rebuilt at every mount and is written once per
 * created file, so it belongs in memory), else the temp directory.
 */
function shadowParent(): string {
  if (process.env.FAMFS_SHADOW_DIR) return process.env.FAMFS_SHADOW_DIR;
  const table = readMountTable();
  for (const dir of ['/run', '/dev/shm', os.tmpdir()]) {
    if (fs.existsSync(dir) && mountsHolding(dir, table)[0]?.fstype === 'tmpfs') return dir;
  }
  return os.tmpdir();
}

function realDirOrFile(p: string, what: string, dir: boolean): string {
  let real: string;
  try {
    real = fs.realpathSync(p);
  } catch {
    throw new FamfsError('ENOENT', `${what} ${p} does not exist`, { path: p });
  }
  if (dir && !fs.statSync(real).isDirectory()) throw new FamfsError('ENOTDIR', `${what} ${p} is not a directory`, { path: p });
  return real;
}

function sizeOf(p: string): number {
  try {
    return fs.statSync(p).size;
  } catch {
    return -1;
  }
}

function lastLines(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').trim().split('\n').slice(-3).join(' | ') || 'no output';
  } catch {
    return 'no log';
  }
}

/** What the daemon negotiated at INIT, in words: the kernel maps files itself (DAX), or the daemon serves them. */
function describeDataPath(kind: DataPathKind): string {
  return kind === 'dax'
    ? 'DAX: the kernel offered FUSE_DAX_FMAP and maps file data from the device itself'
    : 'stock: the kernel has no famfs DAX support, so famfs_fused serves reads and writes from the device';
}
