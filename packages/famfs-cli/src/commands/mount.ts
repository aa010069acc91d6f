import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FamfsError, openChecked } from '@famfs/libfamfs/common';
import type { CheckedOpen } from '@famfs/libfamfs/common';
import { SUPERBLOCK_META, SUPERBLOCK_SIZE, uuidToText } from '@famfs/libfamfs/format';
import { kernelSummary } from '@famfs/libfamfs/device';
import { logplayDevice, prepareShadowRoot, SHADOW_ROOT_NAME } from '@famfs/libfamfs/shadow';
import {
  daemonLogFile,
  findFamfsMount,
  listFamfsMounts,
  underSystemd,
  readDaemonStatus,
  isMountpoint,
  kernelAfterMount,
  logplayMount,
  mountsOfDevice,
  prepareMountDevice,
  readMountRecord,
  umountQuietly,
  tryGetSystemUuid,
  writeMountRecord,
} from '@famfs/libfamfs/mount';
import type { DaemonStatus, DataPathKind, PreparedMount } from '@famfs/libfamfs/mount';
import type { LogplayResult } from '@famfs/libfamfs/shadow';
import { mountsHolding, readMountTable } from '@famfs/native';
import { CommandSpec } from '../command';
import { describeError } from '../errors';
import { daemonArgv, startDaemon, stopDaemon } from '../daemon';
import { MOUNT_OPTIONS, MountSettings, mountSettings } from './mount-options';
import { optCount } from '../options';
import { formatMountList } from './mount-list';
import { processAlive, waitFor } from '../wait';

/** The daemon reads the whole log before it answers: a full 256 MiB log takes seconds, more on a loaded machine. */
const READY_TIMEOUT_MS = 60_000;
/** How often readiness is checked (the mount's first answer is what `famfs mount` waits for). */
const READY_POLL_MS = 10;
const LOG_TAIL = 16 * 1024;

/** mount's exit codes, as the C famfs': 1 for any failure, 114 (EALREADY) for a shadow path in use. */
const EXIT_FAILED = 1;
const EXIT_SHADOW_IN_USE = 114;

/**
 * `famfs mount`: check the device, start famfs_fused on it (the daemon reads the log, serves the
 * tree from it, follows it, and writes the shadow tree in the background), and wait until the
 * mount answers. Any failure leaves nothing mounted, no daemon running and no shadow tree behind.
 */
export const mountCommand: CommandSpec = {
  name: 'mount',
  args: '[DEVICE] [MOUNTPOINT]',
  summary: 'Mount a famfs file system (famfs_fused serves it from the log, and follows the log)',
  options: MOUNT_OPTIONS,
  examples: [
    'famfs mount /dev/dax0.0 /mnt/famfs',
    'famfs mount --set-daxmode /dev/dax0.0 /mnt/famfs',
    'famfs mount -S /run/famfs-shadow ./famfs.img /mnt/famfs',
    'famfs mount --follow 0 /dev/dax0.0 /mnt/famfs',
    'famfs mount -R /dev/dax0.0 /mnt/famfs      # already mounted: bring it up to date with the log',
    'famfs mount -o shadow=/run/famfs-shadow,follow=1000 /dev/dax0.0 /mnt/famfs',
    'famfs mount                                # list famfs mounts',
  ],
  run(args, o, io) {
    if (args.length === 0 && optCount(o.dummy) === 0) {
      io.out(formatMountList(listFamfsMounts()));
      return 0;
    }
    const s = mountSettings(args, o);
    const say = (level: number, text: string) => {
      if (s.verbose >= level) io.out(`famfs mount: ${text}\n`);
    };
    try {
      if (s.remount && s.mountpoint !== undefined) {
        const refreshed = remountFamfs(s.device, s.mountpoint);
        if (refreshed) {
          const what = `${refreshed.mountpoint} already serves ${refreshed.device}`;
          io.out(`famfs mount: ${what}; read its log: ${refreshed.summary}\n`);
          for (const w of refreshed.warnings) io.err(`famfs mount: warning: ${w}\n`);
          return 0;
        }
        say(1, `${s.device} is not mounted at ${s.mountpoint}: mounting it`);
      }
      const r = s.mountpoint !== undefined ? mountFamfs({ ...s, mountpoint: s.mountpoint, say }) : dummyMount(s, say);
      if (s.dummy) io.out(`Successful dummy mount at ${r.mountpoint}\n`);
      io.out(`famfs mount: ${r.device} on ${r.mountpoint} as ${r.role}; shadow ${r.shadow}; ${r.summary}\n`);
      io.out(`famfs mount: kernel: ${r.kernel}\n`);
      if (r.daxMode) io.out(`famfs mount: ${r.daxMode}\n`);
      io.out(`famfs mount: data path: ${r.dataPath}\n`);
      for (const w of r.warnings) io.err(`famfs mount: warning: ${w}\n`);
      return 0;
    } catch (e) {
      io.err(`famfs mount: ${describeError(e)}\n`);
      return e instanceof ShadowInUse ? EXIT_SHADOW_IN_USE : EXIT_FAILED;
    }
  },
};

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
 * mount -R: when DEVICE is already mounted at MOUNTPOINT (by anyone on this machine), bring that
 * mount up to date with the log, as `famfs logplay MOUNTPOINT` does, and report it; undefined
 * when it is not mounted there.
 */
function remountFamfs(device: string, mountpointArg: string) {
  const mount = findFamfsMount(mountpointArg);
  if (!mount || mount.mountpoint !== realpathOr(mountpointArg)) return undefined;
  if (realpathOr(mount.device) !== realpathOr(device)) {
    throw new FamfsError('EBUSY', `${mount.mountpoint} serves ${mount.device}, not ${device}`);
  }
  const where = { device: mount.device, mountpoint: mount.mountpoint };
  const counts = (r: { entries: number; newFiles: number; newDirs: number }) =>
    `${r.entries} log entries; ${r.newFiles} new files; ${r.newDirs} new directories`;
  // A famfs-ts daemon serving the log reads it to its end when asked; a shadow tree gets the replay.
  const asked = logplayMount(mount.mountpoint);
  if (asked) return { ...where, summary: counts(asked), warnings: asked.problems };
  const r = logplayDevice(mount.device, mount.shadow, { mountpoint: mount.mountpoint });
  return { ...where, summary: counts(r), warnings: replayWarnings(r) };
}

/** One line per bad log entry and per entry that did not fit the tree of a replay. */
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
  if (process.getuid?.() !== 0)
    throw new FamfsError('EINVAL', 'famfs mount must run as root (it mounts a FUSE file system)');
  const device = realDirOrFile(req.device, 'device', false);
  const mountpoint = realDirOrFile(req.mountpoint, 'mount point', true);
  // A symlink on the way to the mount point could be swapped to redirect a root-owned mount.
  if (mountpoint !== path.resolve(req.mountpoint)) {
    throw new FamfsError(
      'ESYMLINK',
      `mount point ${req.mountpoint} goes through a symlink (it is really ${mountpoint}); give the real path`,
      { path: req.mountpoint },
    );
  }
  // One host mounts a device once. Another "host" on this machine (another system UUID, as
  // recorded by famfs mount) may mount it too: that is how a master and a client share it here.
  const me = tryGetSystemUuid();
  const myUuid = me ? uuidToText(me) : '';
  const same = mountsOfDevice(device).find((m) => {
    const rec = readMountRecord(m.mountpoint);
    return rec === undefined || rec.systemUuid === myUuid;
  });
  if (same)
    throw new FamfsError('EBUSY', `${device} is already mounted at ${same.mountpoint} by this host`, { device });
  if (isMountpoint(mountpoint)) throw new FamfsError('EBUSY', `something is already mounted at ${mountpoint}`);
  // A mount inside a famfs mount would pin it (its umount would stay busy) and hide what it serves.
  const outer = findFamfsMount(mountpoint);
  if (outer)
    throw new FamfsError('EINVAL', `mount point ${mountpoint} is inside the famfs mounted at ${outer.mountpoint}`);
  const given = req.shadow === undefined ? undefined : path.resolve(req.shadow);
  if (given && fs.existsSync(path.join(given, SHADOW_ROOT_NAME))) {
    throw new ShadowInUse('EEXIST', `shadow path ${given} already holds a root/ (in use by another mount?)`);
  }
  const shadowCreated = given === undefined;
  const shadow = given ?? fs.mkdtempSync(path.join(shadowParent(), 'famfs_shadow_'));
  if (shadowCreated) fs.chmodSync(shadow, 0o755);

  let pid: number | undefined;
  let prepared: PreparedMount | undefined;
  try {
    const root = prepareShadowRoot(shadow);
    req.say(1, `daxdev=${device}, mpt=${mountpoint}`);
    const retryCommand = `famfs mount --set-daxmode ${req.device} ${req.mountpoint}`;
    // A device that is not a valid famfs fails here, before the daemon starts; the shadow tree
    // made above is removed on the way out.
    prepared = prepareMountDevice(device, root, { setDaxMode: req.setDaxMode, retryCommand, metaOnly: req.dummy });
    const { role, replay } = prepared;
    if (req.dummy) req.say(1, `wrote the .meta files into ${root}`);
    else if (replay) req.say(1, `replayed ${replay.entries} log entries into ${root}`);
    // Under systemd the daemon's stderr is the journal; otherwise it logs to its own file.
    const logFile = underSystemd() ? undefined : daemonLogFile(mountpoint);
    const daemon = { ...req, device, mountpoint, shadow, serve: prepared.serve, logFile };
    req.say(2, `famfs_fused ${daemonArgv(daemon).join(' ')}`);
    pid = startDaemon(daemon);
    const daemonPid = pid;
    req.say(1, `started famfs_fused (pid ${pid}), logging to ${logFile ?? 'the journal'}`);
    // The daemon writes its status record once it serves the mount and its diagnostics socket is
    // up; the superblock must then read back whole through the mount, as the C mount checks.
    const metaFile = path.join(mountpoint, SUPERBLOCK_META);
    let status: DaemonStatus | undefined;
    const served = () => {
      status = readDaemonStatus(shadow);
      return status !== undefined && status.pid === daemonPid;
    };
    const ready = waitFor(
      () => !processAlive(daemonPid) || (served() && sizeOf(metaFile) === SUPERBLOCK_SIZE),
      READY_TIMEOUT_MS,
      READY_POLL_MS,
    );
    if (!ready || !processAlive(daemonPid) || !status) {
      throw new FamfsError(
        'EIO',
        `famfs_fused did not bring up ${mountpoint}${ready ? ' (it exited)' : ` within ${READY_TIMEOUT_MS / 1000} s`}: ${logFile ? lastLines(logFile) : 'its log is in the journal (journalctl -t famfs_fused)'}`,
      );
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
    const log = status.log;
    const warnings = log ? [...log.problems] : replay ? replayWarnings(replay) : [];
    const more = log ? log.badCount + log.conflictCount - log.problems.length : 0;
    if (more > 0)
      warnings.push(
        `and ${more} more log entries that could not be replayed (famfs logplay -v ${mountpoint} lists them)`,
      );
    return {
      device,
      mountpoint,
      shadow,
      role: status.role ?? role,
      warnings,
      dataPath: describeDataPath(status.dataPath),
      kernel: kernelSummary(kernelAfterMount(prepared.kernel, status)),
      daxMode: describeModeChange(prepared),
      summary: log
        ? `${log.entries} log entries; ${log.files} files; ${log.directories} directories`
        : replay
          ? `${replay.entries} log entries; ${replay.newFiles} files; ${replay.newDirs} directories (in the shadow tree it serves)`
          : 'served from the shadow tree',
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
  if (dir && !fs.statSync(real).isDirectory())
    throw new FamfsError('ENOTDIR', `${what} ${p} is not a directory`, { path: p });
  return real;
}

function sizeOf(p: string): number {
  try {
    return fs.statSync(p).size;
  } catch {
    return -1;
  }
}

/** The last lines of the daemon's log (its tail only: the log of a debug run can be large). */
function lastLines(file: string): string {
  let opened: CheckedOpen;
  try {
    opened = openChecked(file, { accept: ['file'], what: 'daemon log', noFollow: true });
  } catch {
    return 'no log';
  }
  try {
    const len = Math.min(opened.stat.size, LOG_TAIL);
    const buf = Buffer.alloc(len);
    const n = fs.readSync(opened.fd, buf, 0, len, opened.stat.size - len);
    return buf.subarray(0, n).toString('utf8').trim().split('\n').slice(-3).join(' | ') || 'no output';
  } catch {
    return 'no log';
  } finally {
    fs.closeSync(opened.fd);
  }
}

/** What the daemon negotiated at INIT, in words: the kernel maps files itself (DAX), or the daemon serves them. */
function describeDataPath(kind: DataPathKind): string {
  return kind === 'dax'
    ? 'DAX: the kernel offered FUSE_DAX_FMAP and maps file data from the device itself'
    : 'stock: the kernel has no famfs DAX support, so famfs_fused serves reads and writes from the device';
}
