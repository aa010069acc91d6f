/**
 * @famfs/libfamfs: the famfs on-media format and the operations on it, for tools that work with
 * famfs devices and mounts. This is the public, documented surface.
 *
 * Typical uses:
 * - look at a device: `fsckDevice(dev)` for a structured check, `logplayDevice(dev, shadowDir)` to
 *   replay it into a shadow tree, `LogSession.open(dev)` (master only) to read its tree and log;
 * - make one: `mkfs(dev, { logLen })`;
 * - change one (master only): `LogSession.open(dev).mkdir(...)/createFile(...)` on a device, or
 *   `FamfsMaster.open(pathInMount)` on a mounted famfs (also updates what the mount shows);
 * - file data on a mounted famfs, on any host: `FamfsFile.open(path)`.
 * Every failure is a `FamfsError` with a stable `code`.
 *
 * Inside, the source is cut in layers, each importing only the ones before it:
 *   format/  on-media structs, constants, the fmap rule, reserved metadata paths
 *   device/  devices (mmap, locks), file data on them (DataPath), dax device modes and the
 *            one way commands reach a device (device-access.ts), the host's famfs readiness
 *   alloc/   the allocation map and allocators
 *   log/     replay, appends (LogSession), mkfs, fsck, statfs
 *   shadow/  the shadow tree: YAML, the hardened reader, logplay
 *   mount/   mounts: table, records, contract with the daemon, FamfsMaster, FamfsFile, inspection
 * (one exception: log/mkfs, log/fsck and shadow/logplay ask mount/mount-table.ts, a leaf over
 * @famfs/native, where a device is mounted, and pass that to device/device-access.ts).
 * Utilities every layer may use stay at the top: errors.ts, checked-open.ts (opening paths others
 * named), sizes.ts, system-uuid.ts, prng.ts; snapshot.ts (read-only snapshots) sits above all layers.
 * The other famfs-ts packages reach a layer through its subpath (`@famfs/libfamfs/format`,
 * `/device`, `/log`, `/alloc`, `/shadow`, `/mount`), each exporting by name what they use; the
 * top-level utilities are exported here.
 */
export { FamfsError, isFamfsError } from './errors';
export type { FamfsErrorCode } from './errors';

export {
  ALLOC_UNIT,
  CURRENT_VERSION,
  DEFAULT_LOG_LEN,
  GiB,
  KiB,
  LOG_OFFSET,
  MAX_PATHLEN,
  MiB,
  MIN_DEVICE_SIZE,
  MIN_LOG_LEN,
  READABLE_VERSIONS,
  SUPERBLOCK_SIZE,
  logSlots,
} from './format/constants';
export type { Superblock } from './format/superblock';
export type { LogHeader } from './format/log-header';
export type { LogEntry, FileEntry, MkdirEntry, AddDaxdevEntry } from './format/log-entry';
export type { Fmap, SimpleFmap, InterleavedFmap, Extent } from './format/fmap';
export { fmapExtents, fmapCapacity } from './format/fmap';
export { uuidToText, uuidToBytes } from './format/uuid';

export { getSystemUuid, roleOf, SYSTEM_UUID_PATH, SYSTEM_UUID_ENV } from './system-uuid';
export type { Role, SystemUuidOptions } from './system-uuid';
export { tryGetSystemUuid } from './system-uuid';
export { parseMode, parseSize } from './sizes';
export { fileKindOf, fileKindOfMode, kindName, openChecked, readSmallFile, writeSmallFile } from './checked-open';
export type { CheckedOpen, CheckedOpenOptions, FileKind, KindQuestions } from './checked-open';

export { mkfs } from './log/mkfs';
export type { MkfsOptions, MkfsResult } from './log/mkfs';
export { fsckDevice } from './log/fsck';
export type { FsckReport, FsckOptions, CollisionReport, BucketStats } from './log/fsck';
export type { BadEntry, TreeConflict } from './log/replay';
export { logplayDevice } from './shadow/logplay';
export type { LogplayResult, LogplayOptions, LogplayProblem } from './shadow/logplay';
export { parseShadowYaml } from './shadow/yaml-parse';
export { emitShadowYaml } from './shadow/yaml-emit';

export { LogSession } from './log/log-session';
export type { LogSessionOptions, OwnerOptions, FileOptions } from './log/log-session';
export type { InterleaveParams } from './alloc/interleave';
export { findFamfsMount } from './mount/records';
export type { FamfsMount } from './mount/records';
export { FamfsMaster } from './mount/master';
export { FamfsFile } from './mount/famfs-file';
export { DataPath } from './device/file-data';
export { FamfsPrng, randomizeFile, verifyFile } from './prng';

// Read-only snapshots of a device or a mounted famfs: superblock, log and tree with fmaps.
export { readFamfs, readMountedFamfs } from './snapshot';
export type {
  FamfsSnapshot,
  MountedFamfsSnapshot,
  MountInfo,
  ReadFamfsOptions,
  SnapshotDirectory,
  SnapshotFile,
  SuperblockInfo,
} from './snapshot';
export type { DeviceKind } from './device/device';
