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
