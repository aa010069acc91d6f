/**
 * @famfs/libfamfs/log: the log (replay, appends under lock, mkfs, fsck) and the statfs numbers
 * derived from it, for the CLI, the daemon, tests of other packages and benches. Named exports only.
 */
export { entryOffset, replayedDir, replayedFile, replayLog } from './replay';
export type { Replay } from './replay';
export { LogSession } from './log-session';
export type { FileOptions, LogSessionOptions } from './log-session';
export { mkfs } from './mkfs';
export { checkLog, fsckDevice } from './fsck';
export type { FsckReport } from './fsck';
export { STATFS_BLOCK_SIZE, statfsOfDevice } from './statfs';
export type { FamfsStatfs } from './statfs';
