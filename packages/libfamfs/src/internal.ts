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
export * from './sizes';
export * from './system-uuid';
export * from './mounts';
export * from './device';
export * from './replay';
export * from './bitmap';
export * from './allocator';
export * from './log-session';
export * from './mkfs';
export * from './fsck';
export * from './shadow/yaml';
export * from './shadow/tree';
export * from './shadow/meta-files';
export * from './shadow/logplay';
export * from './shadow/alloc-config';
export * from './mounted';
export * from './prng';
export * from './file-data';
export * from './interleave';
export * from './master';
export * from './famfs-file';
export * from './inspect';
export * from './api';
