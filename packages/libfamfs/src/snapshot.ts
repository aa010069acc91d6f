/**
 * Read-only snapshots of a famfs, for tools: everything a device's superblock and log say, decoded
 * into plain data (UUIDs as text, paths relative to the famfs root, one fmap per file), with no
 * mapping, lock or file descriptor left open afterwards. Nothing here writes to the device, the
 * shadow tree or the system UUID file.
 */
import * as fs from 'fs';
import { Device, DeviceKind, mapMeta } from './device/device';
import { FamfsError } from './errors';
import { LOG_ENTRY_SIZE, LOG_HEADER_SIZE } from './format/constants';
import { Fmap } from './format/fmap';
import { LogEntry } from './format/log-entry';
import { LogHeader } from './format/log-header';
import { Superblock } from './format/superblock';
import { isUuidText, uuidToBytes, uuidToText } from './format/uuid';
import { findFamfsMount } from './mount/records';
import { BadEntry, replayLog, TreeConflict } from './log/replay';
import { Role, roleOf, SYSTEM_UUID_ENV, SYSTEM_UUID_PATH, tryGetSystemUuid } from './system-uuid';

/** The superblock of a famfs, with its UUIDs as text (`xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`). */
export interface SuperblockInfo {
  /** Superblock version: 48 (written by famfs-ts and the current C famfs) or 47. */
  version: number;
  /** The file system's UUID. */
  fsUuid: string;
  /** The device's UUID, as mkfs recorded it. */
  devUuid: string;
  /** The system UUID of the master host: the only host that may append to the log. */
  systemUuid: string;
  /** Byte offset of the log on the device (always 2 MiB). */
  logOffset: number;
  /** Length of the log in bytes (a power of 2, at least 8 MiB). */
  logLen: number;
  /** Allocation unit in bytes (2 MiB for every famfs mkfs makes). */
  allocUnit: number;
  omfMajor: number;
  omfMinor: number;
  flags: number;
  /** The CRC-32 stored in the superblock (it has been checked). */
  crc: number;
  /** Device name recorded by mkfs (the device path on the master, at most 64 bytes). */
  daxdevName: string;
  /** Device size recorded by mkfs, in bytes. */
  daxdevSize: number;
}

/** A file of the famfs tree, as its log entry describes it. */
export interface SnapshotFile {
  /** Path relative to the famfs root, without a leading '/': `dir/file`. */
  path: string;
  /** Size in bytes; fixed when the file was created. */
  size: number;
  /** Permission bits (no file type bits): 0o644 and the like. */
  mode: number;
  uid: number;
  gid: number;
  /** The entry's flags (2 = FM_ALL_HOSTS_RW for every file famfs creates). */
  flags: number;
  /** Where the bytes are on the device: simple extents, or one interleaved extent with strips. */
  fmap: Fmap;
  /** The log slot of the entry that created it. */
  logIndex: number;
}

/** A directory of the famfs tree, as its log entry describes it. */
export interface SnapshotDirectory {
  /** Path relative to the famfs root, without a leading '/'. */
  path: string;
  /** Permission bits (no file type bits). */
  mode: number;
  uid: number;
  gid: number;
  /** The log slot of the entry that created it. */
  logIndex: number;
}

/** Everything the superblock and log of a famfs device say, at one moment. */
export interface FamfsSnapshot {
  /** The device path as given. */
  device: string;
  /** Size of the device in bytes, as the system reports it now. */
  deviceSize: number;
  /** A regular file ('file'), a pmem block device ('block') or a devdax character device ('chardev'). */
  deviceKind: DeviceKind;
  superblock: SuperblockInfo;
  /**
   * This host's role: 'master' when its system UUID is the one in the superblock, else 'client'
   * (also when this host has no system UUID yet).
   */
  role: Role;
  /** The log header: `nextIndex` entries are in use out of `lastIndex + 1` slots. */
  logHeader: LogHeader;
  /** Bytes of the log in use: the header plus every entry in use. */
  logBytesInUse: number;
  /**
   * Every entry in use, by slot index (`entries[i]` is slot i); undefined where the slot holds a
   * bad entry (listed in `badEntries`).
   */
  entries: Array<LogEntry | undefined>;
  /** The files of the tree, in log order (a parent directory always comes before its contents). */
  files: SnapshotFile[];
  /** The directories of the tree, in log order. The root and `.meta` are not logged and not listed. */
  directories: SnapshotDirectory[];
  /** Entries that failed validation (CRC, seqnum, path, extents); a torn last entry is one too. */
  badEntries: BadEntry[];
  /** Valid entries whose path does not fit the tree (missing parent, duplicate); not in files/directories. */
  treeConflicts: TreeConflict[];
}

/** Options of {@link readFamfs} and {@link readMountedFamfs}. */
export interface ReadFamfsOptions {
  /**
   * The system UUID (16 bytes) to compute `role` with. Default: `FAMFS_SYSTEM_UUID`, else
   * /opt/famfs/system_uuid when it exists; with neither, the role is 'client' (the file is not
   * created, unlike the commands that need an identity).
   */
  systemUuid?: Buffer;
}

/** The mount a {@link readMountedFamfs} snapshot was taken through. */
export interface MountInfo {
  /** The mount point (a real path). */
  mountpoint: string;
  /** The device the famfs is mounted from. */
  device: string;
  /** The shadow path the daemon serves (`SHADOW/root` is the shadow tree). */
  shadow: string;
  /** The file system type /proc/mounts shows ('fuse' or 'fuse.<subtype>'). */
  fstype: string;
  /** The famfs kernel ABI profile the daemon was started with, when `famfs mount` recorded it. */
  abi?: string;
  /** The system UUID of the host that mounted it, when `famfs mount` recorded it. */
  mountedBy?: string;
  /** PID of the famfs_fused daemon, when `famfs mount` recorded it. */
  daemonPid?: number;
}

/** A {@link FamfsSnapshot} of a mounted famfs, with the mount it was found through. */
export interface MountedFamfsSnapshot extends FamfsSnapshot {
  mount: MountInfo;
  /** The famfs-relative path of the path given ('' for the mount point itself). */
  relpath: string;
}

function superblockInfo(sb: Superblock): SuperblockInfo {
  return {
    version: sb.version,
    fsUuid: uuidToText(sb.uuid),
    devUuid: uuidToText(sb.devUuid),
    systemUuid: uuidToText(sb.systemUuid),
    logOffset: sb.logOffset,
    logLen: sb.logLen,
    allocUnit: sb.allocUnit,
    omfMajor: sb.omfMajor,
    omfMinor: sb.omfMinor,
    flags: sb.flags,
    crc: sb.crc,
    daxdevName: sb.daxdevName,
    daxdevSize: sb.daxdevSize,
  };
}

/** This host's UUID for a role check, without creating the system UUID file. */
function localSystemUuid(): Buffer | undefined {
  if (process.env[SYSTEM_UUID_ENV] || fs.existsSync(SYSTEM_UUID_PATH)) return tryGetSystemUuid();
  return undefined;
}

/** Reads and replays a device; `role` decides the role from the decoded superblock. */
function snapshotOf(devicePath: string, role: (sb: Superblock) => Role): FamfsSnapshot {
  const dev = Device.open(devicePath, { writable: false });
  try {
    const meta = mapMeta(dev);
    dev.invalidate(meta.log, 0, meta.log.length);
    const replay = replayLog(meta.log, meta.sb, devicePath);
    const files: SnapshotFile[] = [];
    const directories: SnapshotDirectory[] = [];
    // Everything below is decoded into fresh objects: nothing refers to the mapping once it is gone.
    for (const [path, index] of replay.files) {
      const e = replay.entries[index];
      if (e?.type === 'file')
        files.push({
          path,
          size: e.size,
          mode: e.mode,
          uid: e.uid,
          gid: e.gid,
          flags: e.flags,
          fmap: e.fmap,
          logIndex: index,
        });
    }
    for (const [path, index] of replay.dirs) {
      const e = replay.entries[index];
      if (e?.type === 'mkdir') directories.push({ path, mode: e.mode, uid: e.uid, gid: e.gid, logIndex: index });
    }
    files.sort((a, b) => a.logIndex - b.logIndex);
    directories.sort((a, b) => a.logIndex - b.logIndex);
    return {
      device: devicePath,
      deviceSize: dev.size,
      deviceKind: dev.kind,
      superblock: superblockInfo(meta.sb),
      role: role(meta.sb),
      logHeader: { ...replay.header },
      logBytesInUse: LOG_HEADER_SIZE + replay.header.nextIndex * LOG_ENTRY_SIZE,
      entries: replay.entries,
      files,
      directories,
      badEntries: replay.bad,
      treeConflicts: replay.conflicts,
    };
  } finally {
    dev.close();
  }
}

/**
 * Reads the famfs on a device: its superblock, log header and log entries, and the tree of files
 * (with their fmaps) and directories the log describes. Works on any host, master or client, and
 * on a mounted device too (the result is then a snapshot of a log that may grow). Takes no lock
 * and changes nothing.
 *
 * @param devicePath a devdax character device, a pmem block device, or a regular file.
 * @throws FamfsError `ENOENT`/`EIO` when the device cannot be opened, `EBADSUPER` when it holds
 *   no valid famfs superblock, `EBADLOG` when the log header is unusable. Bad entries are not
 *   errors: they are listed in `badEntries`.
 *
 * @example
 * const fs = readFamfs('/dev/dax0.0');
 * for (const f of fs.files) console.log(f.path, f.size, fmapExtents(f.fmap));
 */
export function readFamfs(devicePath: string, opts: ReadFamfsOptions = {}): FamfsSnapshot {
  const me = opts.systemUuid ?? localSystemUuid();
  return snapshotOf(devicePath, (sb) => roleOf(sb, me));
}

/**
 * Finds the famfs mount holding `pathInMount` (the mount point or any path below it) and reads
 * the device it is mounted from, as {@link readFamfs} does. The role is that of the host that
 * made the mount (recorded by `famfs mount`; one machine may play several hosts), else this
 * process's, unless `opts.systemUuid` is given.
 *
 * The snapshot is what the log says. What the mount shows may lag behind it on a client until
 * `famfs logplay` runs there.
 *
 * @throws FamfsError `ENOENT` when the path is not in a mounted famfs, and the errors of
 *   {@link readFamfs}.
 */
export function readMountedFamfs(pathInMount: string, opts: ReadFamfsOptions = {}): MountedFamfsSnapshot {
  const mount = findFamfsMount(pathInMount);
  if (!mount)
    throw new FamfsError('ENOENT', `${pathInMount} is not in a mounted famfs file system`, { path: pathInMount });
  let real: string;
  try {
    real = fs.realpathSync(pathInMount);
  } catch {
    real = mount.mountpoint;
  }
  const relpath =
    real === mount.mountpoint
      ? ''
      : real.startsWith(mount.mountpoint + '/')
        ? real.slice(mount.mountpoint.length + 1)
        : '';
  const recorded = mount.record?.systemUuid;
  const me = opts.systemUuid ?? (recorded && isUuidText(recorded) ? uuidToBytes(recorded) : localSystemUuid());
  const snap = snapshotOf(mount.device, (sb) => roleOf(sb, me));
  const info: MountInfo = {
    mountpoint: mount.mountpoint,
    device: mount.device,
    shadow: mount.shadow,
    fstype: mount.mount.fstype,
  };
  if (mount.record) {
    info.abi = mount.record.abi;
    info.mountedBy = mount.record.systemUuid || undefined;
    info.daemonPid = mount.record.pid;
  }
  return { ...snap, mount: info, relpath };
}
