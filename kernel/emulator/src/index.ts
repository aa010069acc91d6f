/**
 * @famfs/kernel-emulator: a stand-in for a famfs-enabled FUSE kernel, for testing famfs_fused
 * where the running kernel lacks the famfs series.
 */
export * from './errors';
export * from './fmap';
export * from './wire';
export * from './init';
export * from './readdir';
export * from './records';
export * from './dax';
export * from './kernel';
export * from './emulate-mount';
export * from './daxdev-table';
export * from './fuzz';
export * from './prng';
