/**
 * Everything libfamfs has, for the other famfs-ts packages (the CLI, the daemon, the kernel
 * emulator): `@famfs/libfamfs/internal`. It may change without notice; tools outside famfs-ts use
 * the package root, `@famfs/libfamfs`.
 */
export * from './errors';
export * from './format/constants';
export * from './format/crc';
export * from './format/uuid';
export * from './format/superblock';
export * from './format/log-header';
export * from './format/log-entry';
export * from './format/fmap';
export * from './format/relpath';
export * from './format/meta-paths';
export * from './sizes';
export * from './system-uuid';
export * from './mount/mount-table';
export * from './device/device';
export * from './log/replay';
export * from './alloc/allocation-map';
export * from './alloc/allocator';
export * from './log/log-session';
export * from './log/mkfs';
export * from './log/fsck';
export * from './shadow/yaml-emit';
export * from './shadow/yaml-parse';
export * from './shadow/tree';
export * from './shadow/meta-files';
export * from './shadow/logplay';
export * from './shadow/alloc-config';
export * from './mount/records';
export * from './prng';
export * from './device/file-ranges';
export * from './device/file-data';
export * from './alloc/interleave';
export * from './mount/master';
export * from './mount/famfs-file';
export * from './mount/inspect';
export * from './snapshot';
export * from './mount/unmount';
export * from './mount/mount-path';
export * from './log/statfs';
export * from './mount/contract';
