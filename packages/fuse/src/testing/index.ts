/**
 * @famfs/fuse/testing: what tests and tools need to drive a Session without a kernel: the
 * in-process QueueTransport (strict like the kernel's reply checks), request builders, and MemFs,
 * a small in-memory file system that shows how a FileSystem is written.
 */
export { QueueTransport } from './queue-transport';
export type { QueueTransportOptions } from './queue-transport';
export { MemFs, createFileSystem as createMemFs, patternBytes } from './memfs';
export type { MemFsOptions, MemFileSpec } from './memfs';
export { cstr, getFmapMsg, initMsg, ioctlMsg, msg, parseReply, readMsg, STOCK_OFFER } from './requests';
export type { IoctlArgs } from './requests';
