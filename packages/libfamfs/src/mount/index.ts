/**
 * @famfs/libfamfs/mount: famfs mounts as a tool sees them (finding, recording, unmounting,
 * inspecting, creating files on the master, file data on any host) and the CLI-daemon contract.
 * Named exports only.
 */
export { isFuseMount, isMountpoint, mountpointsOf, mountsOfDevice } from './mount-table';
export { daemonPushProbe, kernelAfterMount, prepareMountDevice } from './mount-device';
export type { PrepareMountOptions, PreparedMount } from './mount-device';
export { findFamfsMount, readMountRecord, removeMountRecord, requireFamfsMount, writeMountRecord } from './records';
export type { FamfsMount, MountRecord } from './records';
export { relpathInMount } from './mount-path';
export { umountQuietly, unmountFamfs } from './unmount';
export { FamfsMaster } from './master';
export { FamfsFile } from './famfs-file';
export {
  checkMountedTree,
  fileEntryDifferences,
  isMetaFile,
  mountedFileMap,
  readMountedLog,
  rewriteMetaFiles,
} from './inspect';
export type { MountedFileMap, MountedLog, TreeCheckReport } from './inspect';
export {
  DAEMON_NAME,
  DAEMON_PID_FILE,
  DAEMON_STATUS_FILE,
  daemonPaths,
  DIAGNOSTICS_SOCKET,
  LOGPLAY_XATTR,
  readDaemonStatus,
  SHADOW_XATTR,
  writeDaemonStatus,
} from './contract';
export type { DaemonPaths, DaemonStatus, DataPathKind, LogplayReply } from './contract';
export { logplayMount } from './logplay-mount';
export {
  DAEMON_LOG_MAX_DEFAULT,
  daemonLogDir,
  daemonLogFile,
  escapeMountpoint,
  rotatedLogFile,
  underSystemd,
} from './daemon-log';
export { removeMountLeftovers, removeOwnMountLeftovers } from './leftovers';
export type { MountLeftovers } from './leftovers';
export { listFamfsMounts } from './list';
export type { FamfsMountInfo } from './list';
// Top-level utilities the CLI's mount, creat and verify use, here so that they need no other subpath.
export { tryGetSystemUuid } from '../system-uuid';
export { randomizeFile, verifyFile } from '../prng';
