/**
 * @famfs/fused: famfs_fused, the famfs FUSE daemon: the famfs file system served from the shadow
 * tree and the device (over @famfs/fuse), and the daemon around it.
 */
export { FamfsFileSystem, createFileSystem as createFamfsFileSystem } from './famfs/famfs-fs';
export type { FamfsFsOptions, CacheMode } from './famfs/famfs-fs';
export { encodeFmapReply, fmapReplySize, FmapReplyError, FAMFS_PMD_SIZE } from './famfs/fmap-reply';
export { InodeTable } from './famfs/inodes';
export type { Inode, InodeKind, AttrOverrides } from './famfs/inodes';
export {
  parseArgs as parseFamfsFusedArgs,
  runDaemon as runFamfsFused,
  UsageError as FamfsFusedUsageError,
} from './daemon/main';
export type { DaemonOptions as FamfsFusedOptions } from './daemon/main';
