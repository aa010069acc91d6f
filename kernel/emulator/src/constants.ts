/** Kernel constants the emulator applies: open(2) flags as the kernel passes them, and attribute rules. */
export const O_RDONLY = 0;
export const O_WRONLY = 1;
export const O_RDWR = 2;
export const O_ACCMODE = 3;
export const O_CREAT = 0o100;
export const O_EXCL = 0o200;
export const O_NOCTTY = 0o400;
/** The largest file size the kernel represents (loff_t). */
export const LLONG_MAX = (1n << 63n) - 1n;
/** The file types fuse_invalid_attr() accepts in an attribute's mode. */
export const VALID_FILE_TYPES: ReadonlySet<number> = new Set([
  0o010000, 0o020000, 0o040000, 0o060000, 0o100000, 0o120000, 0o140000,
]);
