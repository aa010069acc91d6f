/**
 * @famfs/fused: the FUSE protocol over /dev/fuse (wire codecs, ABI profiles, session loop,
 * worker, mounting) and the file systems it serves.
 */
export * from './errors';
export * from './filesystem';
export * from './protocol';
export * from './session/transport';
export * from './session/session';
export * from './session/messages';
export * from './session/start';
export * from './mount';
export { MemFs, createFileSystem as createMemFs, patternBytes } from './memfs/memfs';
export type { MemFsOptions, MemFileSpec } from './memfs/memfs';
export { FamfsFileSystem, createFileSystem as createFamfsFileSystem, SHADOW_XATTR } from './famfs/famfs-fs';
export type { FamfsFsOptions, CacheMode } from './famfs/famfs-fs';
export { encodeFmapReply, encodeDaxdevReply, checkDaxdevName, fmapReplySize, interleavedCapacity, FmapReplyError, FAMFS_PMD_SIZE } from './famfs/fmap-reply';
export { InodeTable } from './famfs/inodes';
export type { Inode, InodeKind, AttrOverrides } from './famfs/inodes';
export { parseArgs as parseFamfsFusedArgs, runDaemon as runFamfsFused, UsageError as FamfsFusedUsageError, PID_FILE as FAMFS_FUSED_PID_FILE } from './daemon/main';
export type { DaemonOptions as FamfsFusedOptions } from './daemon/main';
