/**
 * @famfs/libfamfs/log: the log (replay, appends under lock, mkfs, fsck) and the statfs numbers
 * derived from it, for the CLI, the daemon, tests of other packages and benches. Named exports only.
 */
export { checkedLogEntry, entryOffset, placementOf, replayedDir, replayedFile, replayLog } from './replay';
export type { BadEntry, Placement, Replay, TreeConflict, TreeView } from './replay';
export { LogReader } from './log-reader';
export type { LogReaderOptions } from './log-reader';
export { LogSession } from './log-session';
export type { FileOptions, LogSessionOptions } from './log-session';
export { mkfs } from './mkfs';
export { checkLog, fsckDevice } from './fsck';
export type { FsckReport } from './fsck';
export { STATFS_BLOCK_SIZE, statfsOfDevice } from './statfs';
export type { FamfsStatfs } from './statfs';
