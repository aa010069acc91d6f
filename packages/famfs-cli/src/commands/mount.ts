import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FamfsError, roleOf, tryGetSystemUuid } from '@famfs/libfamfs';
import type { Role } from '@famfs/libfamfs';
import { SUPERBLOCK_META, SUPERBLOCK_SIZE, uuidToText } from '@famfs/libfamfs/format';
import { Device, mapMeta } from '@famfs/libfamfs/device';
import { replayLog } from '@famfs/libfamfs/log';
import {
  logplayDevice,
  playIntoShadow,
  prepareShadowRoot,
  SHADOW_ROOT_NAME,
  ShadowTree,
  writeMetaFiles,
} from '@famfs/libfamfs/shadow';
import {
  daemonPaths,
  findFamfsMount,
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
import { describeError } from '../errors';
import { daemonArgv, startDaemon, stopDaemon } from '../daemon';
import { MOUNT_OPTIONS, MountSettings, mountSettings } from './mount-options';
import { processAlive, waitFor } from '../wait';

const READY_TIMEOUT_MS = 15000;

/** mount's exit codes, as the C famfs': 1 for any failure, 114 (EALREADY) for a shadow path in use. */
const EXIT_FAILED = 1;
const EXIT_SHADOW_IN_USE = 114;

/**
 * `famfs mount`: replay the log into a shadow tree, start famfs_fused on it, and wait until the
 * mount answers. Any failure leaves nothing mounted, no daemon running and no shadow tree behind.
 */
export const mountCommand: CommandSpec = {
  name: 'mount',
  args: 'DEVICE [MOUNTPOINT]',
  summary: 'Mount a famfs file system: replay its log into a shadow tree and serve it with famfs_fused',
  options: MOUNT_OPTIONS,
  examples: [
    'famfs mount /dev/dax0.0 /mnt/famfs',
    'famfs mount -S /run/famfs-shadow ./famfs.img /mnt/famfs',
    'famfs mount -R /dev/dax0.0 /mnt/famfs      # already mounted: replay the new log entries',
  ],
  run(args, o, io) {
    const s = mountSettings(args, o);
    const say = (level: number, text: string) => {
      if (s.verbose >= level) io.out(`famfs mount: ${text}\n`);
    };
    try {
      if (s.remount && s.mountpoint !== undefined) {
        const refreshed = remountFamfs(s.device, s.mountpoint);
        if (refreshed) {
          const what = `${refreshed.mountpoint} already serves ${refreshed.device}`;
          io.out(`famfs mount: ${what}; replayed its log: ${refreshed.summary}\n`);
          for (const w of refreshed.warnings) io.err(`famfs mount: warning: ${w}\n`);
          return 0;
        }
        say(1, `${s.device} is not mounted at ${s.mountpoint}: mounting it`);
      }
      const r = s.mountpoint !== undefined ? mountFamfs({ ...s, mountpoint: s.mountpoint, say }) : dummyMount(s, say);
      if (s.dummy) io.out(`Successful dummy mount at ${r.mountpoint}\n`);
      io.out(`famfs mount: ${r.device} on ${r.mountpoint} as ${r.role}; shadow ${r.shadow}; ${r.summary}\n`);
      io.out(`famfs mount: data path: ${r.dataPath}\n`);
      for (const w of r.warnings) io.err(`famfs mount: warning: ${w}\n`);
      return 0;
    } catch (e) {
      io.err(`famfs mount: ${describeError(e)}\n`);
      return e instanceof ShadowInUse ? EXIT_SHADOW_IN_USE : EXIT_FAILED;
    }
  },
};

type LogplayResult = ReturnType<typeof playIntoShadow>;

/** The -S shadow path already holds a tree: the C famfs' "shadow path is already in use". */
class ShadowInUse extends FamfsError {}

/**
 * mount -D: the device at a new /tmp/famfs_dummy_* with only its .meta files, as the C famfs'
 * dummy mount; the temporary mount point goes when the mount fails or is unmounted.
 */
function dummyMount(s: MountSettings, say: MountRequest['say']) {
  const mountpoint = fs.mkdtempSync(path.join(os.tmpdir(), 'famfs_dummy_'));
  try {
    return mountFamfs({ ...s, mountpoint, mountpointCreated: true, say });
  } catch (e) {
    fs.rmdirSync(mountpoint);
    throw e;
  }
}

interface MountRequest extends MountSettings {
  mountpoint: string;
  /** The mount point is a temporary directory made for a dummy mount: umount removes it. */
  mountpointCreated?: boolean;
  /** Progress lines, shown at -v (level 1) or -vv (level 2). */
  say(level: number, text: string): void;
}

/**
 * mount -R: when DEVICE is already mounted at MOUNTPOINT (by anyone on this machine), replay the
 * log into that mount's shadow tree, as logplay does, and report it; undefined when it is not.
 */
function remountFamfs(device: string, mountpointArg: string) {
  const mount = findFamfsMount(mountpointArg);
  if (!mount || mount.mountpoint !== realpathOr(mountpointArg)) return undefined;
  if (realpathOr(mount.device) !== realpathOr(device)) {
    throw new FamfsError('EBUSY', `${mount.mountpoint} serves ${mount.device}, not ${device}`);
  }
  const r = logplayDevice(mount.device, mount.shadow);
  return {
    device: mount.device,
    mountpoint: mount.mountpoint,
    summary: `${r.entries} log entries; ${r.newFiles} new files; ${r.newDirs} new directories`,
    warnings: replayWarnings(r),
  };
}

/** One line per bad log entry and per entry that did not fit the tree. */
function replayWarnings(r: LogplayResult): string[] {
  return [...r.bad.map((b) => b.reason), ...r.problems.map((p) => `log entry ${p.index}: '${p.path}': ${p.reason}`)];
}

function realpathOr(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
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
  else if (fs.existsSync(path.join(shadow, SHADOW_ROOT_NAME))) {
    throw new ShadowInUse('EEXIST', `shadow path ${shadow} already holds a root/ (in use by another mount?)`);
  }

  let pid: number | undefined;
  try {
    const root = prepareShadowRoot(shadow);
    req.say(1, `daxdev=${device}, mpt=${mountpoint}`);
    const { role, result } = replayIntoShadow(device, root, req.dummy);
    req.say(1, `${req.dummy ? 'wrote the .meta files' : `replayed ${result.entries} log entries`} into ${root}`);
    const daemonFiles = daemonPaths(shadow);
    const daemon = { ...req, device, mountpoint, shadow };
    req.say(2, `famfs_fused ${daemonArgv(daemon).join(' ')}`);
    pid = startDaemon(daemon, daemonFiles.log);
    const daemonPid = pid;
    req.say(1, `started famfs_fused (pid ${pid}), logging to ${daemonFiles.log}`);
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
    req.say(1, `${mountpoint} answers`);
    writeMountRecord({
      mountpoint,
      device,
      shadow,
      shadowCreated,
      ...(req.mountpointCreated ? { mountpointCreated: true } : {}),
      pid,
      abi: req.abi,
      systemUuid: myUuid,
      startedAt: new Date().toISOString(),
    });
    const warnings = replayWarnings(result);
    return {
      device,
      mountpoint,
      shadow,
      role,
      warnings,
      dataPath: describeDataPath(status.dataPath),
      summary: `${result.entries} log entries; ${result.newFiles} files; ${result.newDirs} directories`,
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
 * Writes the .meta files and (unless `metaOnly`, a dummy mount) the replayed tree; the device must
 * hold a valid famfs.
 */
function replayIntoShadow(device: string, root: string, metaOnly: boolean): { role: Role; result: LogplayResult } {
  const dev = Device.open(device);
  try {
    const meta = mapMeta(dev);
    const role = roleOf(meta.sb, tryGetSystemUuid());
    const replay = replayLog(meta.log, meta.sb, device);
    writeMetaFiles(new ShadowTree(root), meta.sb, role);
    if (metaOnly) {
      const none = { shadowRoot: root, entries: replay.header.nextIndex, newFiles: 0, newDirs: 0, existingFiles: 0 };
      return { role, result: { ...none, repairedFiles: 0, bad: [], problems: [] } };
    }
    return { role, result: playIntoShadow(replay, meta.sb, root) };
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
