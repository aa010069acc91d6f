import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FamfsError, tryGetSystemUuid } from '@famfs/libfamfs';
import { SUPERBLOCK_META, SUPERBLOCK_SIZE, uuidToText } from '@famfs/libfamfs/format';
import { kernelSummary } from '@famfs/libfamfs/device';
import { prepareShadowRoot, SHADOW_ROOT_NAME } from '@famfs/libfamfs/shadow';
import {
  DAEMON_LOG_FILE,
  daemonPaths,
  readDaemonStatus,
  isMountpoint,
  kernelAfterMount,
  mountsOfDevice,
  prepareMountDevice,
  readMountRecord,
  umountQuietly,
  writeMountRecord,
} from '@famfs/libfamfs/mount';
import type { DaemonStatus, DataPathKind, PreparedMount } from '@famfs/libfamfs/mount';
import { mountsHolding, readMountTable } from '@famfs/native';
import { CommandSpec } from '../command';
import { describeError, exitCodeOf } from '../errors';
import { UsageError } from '../io';
import { optString } from '../options';
import { startDaemon, stopDaemon } from '../daemon';
import { processAlive, waitFor } from '../wait';

const READY_TIMEOUT_MS = 15000;

/**
 * `famfs mount`: replay the log into a shadow tree, start famfs_fused on it, and wait until the
 * mount answers. Any failure leaves nothing mounted, no daemon running and no shadow tree behind.
 */
export const mountCommand: CommandSpec = {
  name: 'mount',
  args: '<device> <mountpoint>',
  summary: 'Mount a famfs file system: replay its log into a shadow tree and serve it with famfs_fused',
  options: [
    ['-t, --timeout <seconds>', 'FUSE entry and attribute cache timeout (default: the daemon\'s)'],
    ['-d, --debug', `Run the daemon with debug logging (to SHADOW/${DAEMON_LOG_FILE})`],
    ['-S, --shadow <dir>', 'Use this shadow path (it must exist and hold no root/); default a new famfs_shadow_* on a tmpfs (/run, /dev/shm or the temp dir)'],
    ['--abi <name>', 'famfs kernel ABI profile for the DAX path: v10 (default) or rfc'],
    ['-M, --set-daxmode', 'Switch a dax device to the mode mounts need: fsdev_dax on a famfs kernel, else device_dax'],
  ],
  examples: [
    'famfs mount /dev/dax0.0 /mnt/famfs',
    'famfs mount --set-daxmode /dev/dax0.0 /mnt/famfs',
    'famfs mount -S /run/famfs-shadow ./famfs.img /mnt/famfs',
  ],
  run(args, o, io) {
    const [device, mountpointArg] = args;
    const timeoutText = optString(o.timeout, '--timeout');
    const timeout = timeoutText === undefined ? undefined : Number(timeoutText);
    if (timeout !== undefined && !(timeout >= 0)) throw new UsageError(`--timeout needs a number of seconds >= 0, not '${timeoutText}'`);
    const abi = optString(o.abi, '--abi') ?? 'v10';
    try {
      const shadow = optString(o.shadow, '--shadow');
      const setDaxMode = !!o.setDaxmode;
      const r = mountFamfs({ device, mountpoint: mountpointArg, shadow, timeout, abi, debug: !!o.debug, setDaxMode });
      io.out(`famfs mount: ${r.device} on ${r.mountpoint} as ${r.role}; shadow ${r.shadow}; ${r.summary}\n`);
      io.out(`famfs mount: kernel: ${r.kernel}\n`);
      if (r.daxMode) io.out(`famfs mount: ${r.daxMode}\n`);
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
  abi: string;
  debug: boolean;
  setDaxMode: boolean;
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
  let prepared: PreparedMount | undefined;
  try {
    const root = prepareShadowRoot(shadow);
    const retryCommand = `famfs mount --set-daxmode ${req.device} ${req.mountpoint}`;
    prepared = prepareMountDevice(device, root, { setDaxMode: req.setDaxMode, retryCommand });
    const { role, replay: result } = prepared;
    const daemonFiles = daemonPaths(shadow);
    pid = startDaemon({ device, mountpoint, shadow, abi: req.abi, timeout: req.timeout, debug: req.debug, logFile: daemonFiles.log });
    const daemonPid = pid;
    // The daemon writes its status record once it serves the mount and its diagnostics socket is
    // up; the superblock must then read back whole through the mount, as the C mount checks.
    const metaFile = path.join(mountpoint, SUPERBLOCK_META);
    let status: DaemonStatus | undefined;
    const served = () => {
      status = readDaemonStatus(shadow);
      return status !== undefined && status.pid === daemonPid;
    };
    const ready = waitFor(() => !processAlive(daemonPid) || (served() && sizeOf(metaFile) === SUPERBLOCK_SIZE), READY_TIMEOUT_MS);
    if (!ready || !processAlive(daemonPid) || !status) {
      throw new FamfsError('EIO', `famfs_fused did not bring up ${mountpoint}${ready ? ' (it exited)' : ` within ${READY_TIMEOUT_MS / 1000} s`}: ${lastLines(daemonFiles.log)}`);
    }
    writeMountRecord({ mountpoint, device, shadow, shadowCreated, pid, abi: req.abi, systemUuid: myUuid, startedAt: new Date().toISOString() });
    const warnings = [...result.bad.map((b) => b.reason), ...result.problems.map((p) => `log entry ${p.index}: '${p.path}': ${p.reason}`)];
    return {
      device,
      mountpoint,
      shadow,
      role,
      warnings,
      dataPath: describeDataPath(status.dataPath),
      kernel: kernelSummary(kernelAfterMount(prepared.kernel, status)),
      daxMode: describeModeChange(prepared),
      summary: `${result.entries} log entries; ${result.newFiles} files; ${result.newDirs} directories`,
    };
  } catch (e) {
    if (pid !== undefined) {
      umountQuietly(mountpoint);
      stopDaemon(pid, 1000);
    }
    umountQuietly(mountpoint);
    prepared?.restoreMode(e);
    try {
      fs.rmSync(shadowCreated ? shadow : path.join(shadow, SHADOW_ROOT_NAME), { recursive: true, force: true });
    } catch {
      // Nothing to remove (e.g. -S names a file): report the original error, not this one.
    }
    throw e;
  }
}

/** The dax device's mode for the mount, in words; undefined for a device that is not a dax device. */
function describeModeChange(p: PreparedMount): string | undefined {
  const { before, need } = p.plan;
  if (before === null || need === null) return undefined;
  if (!p.modeChanged) return `dax device ${before.name} is in ${need} mode`;
  return `dax device ${before.name} switched from ${before.mode} to ${need} mode (--set-daxmode)`;
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
