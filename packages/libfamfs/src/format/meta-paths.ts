/**
 * The paths famfs reserves for its own metadata files. They are format facts: a log entry that
 * claims one of them is refused at replay (log/replay.ts), and every mount shows the superblock
 * and the log under them (shadow/meta-files.ts writes those entries).
 */
export const META_DIR = '.meta';
export const SUPERBLOCK_META = '.meta/.superblock';
export const LOG_META = '.meta/.log';
/** The interleave defaults a master may store as a famfs file (read by FamfsMaster.allocConfig). */
export const ALLOC_CFG_META = '.meta/.alloc.cfg';
