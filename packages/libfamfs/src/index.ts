/**
 * @famfs/libfamfs: the famfs on-media format and the operations on it.
 * The package root is the public API; modules not re-exported here are internal.
 */
export * from './errors';
export * from './layout';
export * from './format/constants';
export * from './format/crc';
export * from './format/uuid';
export * from './format/superblock';
export * from './format/log-header';
export * from './format/log-entry';
export * from './format/fmap';
export * from './format/relpath';
