/**
 * @famfs/native: typed wrapper over the famfs_native addon (mmap, CPU cache maintenance,
 * ioctl, flock, mount/umount2, device sizing).
 *
 * All functions are synchronous. Failed system calls throw an Error shaped like
 * {@link NativeError}; wrong argument types throw TypeError and out-of-range values RangeError.
 * Errors raised inside the addon belong to the main realm, so under jest use
 * {@link isNativeError} or check `name`/`code` rather than `instanceof`.
 */
import { constants as bufferConstants, isUtf8 } from 'buffer';
import { loadAddon } from './addon';

/** Error thrown for a failed system call, e.g. message "mmap: Invalid argument". */
export interface NativeError extends Error {
  /** Positive errno value. */
  errno: number;
  /** Symbolic errno name ('EINVAL', 'ENOENT', 'EWOULDBLOCK', ... or 'UNKNOWN'). */
  code: string;
  /** The system call (or operation) that failed. */
  syscall: string;
}

export type FlushMethod = 'clwb' | 'clflushopt' | 'clflush' | 'dc cvac' | 'msync';
export type InvalidateMethod = 'clflushopt' | 'clflush' | 'dc civac' | 'msync';

export interface CacheMethods {
  flush: FlushMethod;
  invalidate: InvalidateMethod;
}

export interface DeviceSize {
  /** Size in bytes. */
  size: number;
  kind: 'file' | 'block' | 'chardev';
}

interface Binding {
  mmap(fd: number, length: number, offset: number, writable: boolean): ArrayBuffer;
  unmap(buf: ArrayBuffer | Uint8Array): void;
  msync(buf: Uint8Array, offset: number, length: number, sync: boolean): void;
  pageSize(): number;
  flush(buf: Uint8Array, offset: number, length: number): void;
  invalidate(buf: Uint8Array, offset: number, length: number): void;
  cacheMethod(): CacheMethods;
  ioctl(fd: number, request: number | bigint, arg?: Uint8Array | number | bigint): number;
  flock(fd: number, op: number): void;
  isTerminal(fd: number): boolean;
  deviceSize(fd: number): DeviceSize;
  readInto(fd: number, buf: Uint8Array): number;
  mapAsciiText(path: string): string | undefined;
  writeBuffers(fd: number, bufs: readonly Uint8Array[]): number;
  writeThenRead(fd: number, buf: Uint8Array, ...bufs: Uint8Array[]): number;
  fuseRingOpen(fuseFd: number, queues: number, payloadBytes: number, devBufferBytes: number): FuseRing;
  fuseRingStart(ring: FuseRing): void;
  fuseRingNext(ring: FuseRing, buf: Uint8Array): number;
  fuseRingReply(ring: FuseRing, bufs: readonly Uint8Array[]): number;
  fuseRingExchange(ring: FuseRing, buf: Uint8Array, ...bufs: Uint8Array[]): number;
  fuseRingCounts(ring: FuseRing): FuseRingCounts;
  fuseRingClose(ring: FuseRing): void;
  mount(source: string, target: string, fstype: string, flags: number, data: string): void;
  umount2(target: string, flags: number): void;
  getxattr(path: string, name: string): Buffer | null;
  prngFill(state: Int32Array, buf: Uint8Array): void;
  prngCompare(state: Int32Array, buf: Uint8Array): number;
  crc32(buf: Uint8Array, offset: number, length: number): number;
  crc32Method: 'pclmul' | 'zlib';
  crc32Records(buf: Uint8Array, offset: number, stride: number, span: number, count: number): Uint32Array;
  prefault(buf: ArrayBufferView, offset: number, length: number): boolean;
  hugePageBuffer(length: number): ArrayBuffer;
  keepFreedMemory(): boolean;
  Crc32RecordsJob: new (
    buf: Uint8Array,
    offset: number,
    stride: number,
    span: number,
    count: number,
    fd?: number,
    position?: number,
    length?: number,
    out?: Uint32Array,
  ) => Crc32RecordsJob;
  CopyFilesJob: new (
    paths: Buffer,
    files: Float64Array,
    pieces: Float64Array,
    deviceFd: number,
    noFollow: boolean,
  ) => CopyFilesJob;
  readDirStats(dir: string): { names: Buffer; stats: Float64Array };
  COPY_NOT_REGULAR: number;
  COPY_SIZE_CHANGED: number;
  catchInterrupts(): void;
  interruptSignal(): number;
  releaseInterrupts(): void;
  LOCK_SH: number;
  LOCK_EX: number;
  LOCK_UN: number;
  LOCK_NB: number;
  MS_RDONLY: number;
  MS_NOSUID: number;
  MS_NODEV: number;
  MS_NOEXEC: number;
  MS_NOATIME: number;
  MNT_FORCE: number;
  MNT_DETACH: number;
  UMOUNT_NOFOLLOW: number;
}

const addon = loadAddon<Binding>();
const native: Binding = addon.binding;

/**
 * Why the addon could not be loaded (the one-line message every call then throws, an
 * {@link AddonUnavailableError}), or undefined when it loaded.
 */
export function addonProblem(): string | undefined {
  return addon.problem;
}

/** The addon file in use (a local build or the prebuilt binary), or undefined when none loads. */
export function addonFile(): string | undefined {
  return addon.file;
}

/** True if `e` is a {@link NativeError} (optionally with the given code). Realm-independent. */
export function isNativeError(e: unknown, code?: string): e is NativeError {
  if (typeof e !== 'object' || e === null) return false;
  const err = e as Partial<NativeError>;
  return (
    typeof err.message === 'string' &&
    typeof err.errno === 'number' &&
    typeof err.code === 'string' &&
    typeof err.syscall === 'string' &&
    (code === undefined || err.code === code)
  );
}

/** Largest mapping mmap() can return as one Buffer (buffer.constants.MAX_LENGTH; 4 GiB on Node 20). */
export const MAX_MAP_LENGTH: number = bufferConstants.MAX_LENGTH;

/**
 * Maps `length` bytes of `fd` at `offset` (a multiple of the page size) with MAP_SHARED,
 * read-only or read-write. The Buffer's memory is unmapped when it is garbage collected, or
 * at once by {@link unmap}. Touching pages beyond the end of the file raises SIGBUS.
 */
export function mmap(fd: number, length: number, offset: number, writable: boolean): Buffer {
  if (typeof length === 'number' && length > MAX_MAP_LENGTH) {
    throw new RangeError(`mmap: length ${length} exceeds the Buffer limit of ${MAX_MAP_LENGTH} bytes`);
  }
  const mapping = native.mmap(fd, length, offset, writable);
  try {
    return Buffer.from(mapping, 0, mapping.byteLength);
  } catch (e) {
    native.unmap(mapping);
    throw e;
  }
}

/**
 * Unmaps a Buffer returned by {@link mmap} now and detaches it (its length becomes 0). Throws
 * EINVAL if the buffer is not a live mapping, e.g. on a second call.
 */
export function unmap(buf: Buffer): void {
  native.unmap(buf);
}

function checkWindow(fn: string, buf: Uint8Array, offset: number, length: number): void {
  if (!ArrayBuffer.isView(buf)) throw new TypeError(`${fn}: buf must be a Buffer`);
  for (const [name, value] of [
    ['offset', offset],
    ['length', length],
  ] as const) {
    if (!Number.isSafeInteger(value)) throw new TypeError(`${fn}: ${name} must be an integer`);
  }
  if (offset < 0 || length < 0 || offset + length > buf.length) {
    throw new RangeError(`${fn}: range [${offset}, ${offset + length}) is outside the buffer of length ${buf.length}`);
  }
}

/**
 * msync(2) over `buf[offset, offset + length)`; the start is rounded down to its page.
 * `sync` selects MS_SYNC (default) or MS_ASYNC. `length` defaults to the rest of the buffer.
 */
export function msync(buf: Buffer, offset = 0, length = buf.length - offset, sync = true): void {
  checkWindow('msync', buf, offset, length);
  native.msync(buf, offset, length, sync);
}

/**
 * Has the kernel fault in, in one call, the pages wholly inside `buf[offset, offset + length)`
 * (madvise MADV_POPULATE_WRITE), for memory about to be touched all over: a large typed array of
 * a pass over a whole log. One page fault each costs far more, on a virtual machine above all.
 * Returns false, changing nothing, where the kernel cannot (before Linux 5.14).
 */
export function prefault(buf: ArrayBufferView, offset = 0, length = buf.byteLength - offset): boolean {
  return native.prefault(buf, offset, length);
}

/**
 * A zeroed ArrayBuffer of `length` bytes in its own anonymous mapping, 2 MiB-aligned, with
 * transparent huge pages requested (MADV_HUGEPAGE); unmapped when collected. For the large arrays
 * a pass fills from scratch: on a virtual machine the first touch of each 4 KiB page of an
 * ordinary allocation can cost microseconds (17 us measured on the development VM, against about
 * 0.4 us per 4 KiB through a huge page). Where huge pages are refused it is an ordinary mapping.
 */
export function hugePageBuffer(length: number): ArrayBuffer {
  return native.hugePageBuffer(length);
}

/**
 * Has malloc keep freed memory for reuse rather than hand it back to the kernel (glibc's
 * M_MMAP_THRESHOLD raised to 32 MiB, M_TRIM_THRESHOLD to 256 MiB), for the rest of the process.
 * For short-lived commands on machines where touching fresh pages is dear (17 us a page on the
 * development VM): V8's compiler and Node's buffers then reuse pages already touched. A process
 * keeps its peak malloc memory in exchange: the famfs CLI calls it, and famfs_fused, whose
 * memory in the mount bench did not change. Returns whether malloc accepted (false where it is
 * not glibc's).
 */
export function keepFreedMemory(): boolean {
  return native.keepFreedMemory();
}

/** Writes back the CPU cache lines covering `buf[offset, offset + length)` (see cacheMethod). */
export function flush(buf: Buffer, offset = 0, length = buf.length - offset): void {
  checkWindow('flush', buf, offset, length);
  native.flush(buf, offset, length);
}

/** Writes back and invalidates the CPU cache lines covering `buf[offset, offset + length)`. */
export function invalidate(buf: Buffer, offset = 0, length = buf.length - offset): void {
  checkWindow('invalidate', buf, offset, length);
  native.invalidate(buf, offset, length);
}

/** The cache instructions chosen for this CPU at load time. */
export function cacheMethod(): CacheMethods {
  return native.cacheMethod();
}

/**
 * ioctl(2). A Buffer `arg` is passed by pointer (the kernel may read and write it); a number
 * or bigint is passed by value; no arg passes 0. Returns the (non-negative) ioctl result.
 */
export function ioctl(fd: number, request: number | bigint, arg?: Buffer | number | bigint): number {
  return native.ioctl(fd, request, arg);
}

/**
 * One read(2) of up to `buf.length` bytes into `buf`, retried on EINTR; returns the count read.
 * For message channels (/dev/fuse: one read is one whole request), without fs.readSync's
 * per-call costs (argument checks, libuv request, sync trace). Errors throw a NativeError with
 * the errno's code (ENODEV, EAGAIN, ...).
 */
export function readInto(fd: number, buf: Uint8Array): number {
  return native.readInto(fd, buf);
}

/**
 * The text of an ASCII file as a string whose characters stay in a read-only mapping of the file
 * (an external string: nothing is copied into a buffer or the JS heap; unmapped when the string is
 * collected). For large scripts compiled at start-up (the famfs CLI's bundle). Undefined when the
 * file is empty, not a regular file or not ASCII, or this Node cannot make external strings
 * (node_api_create_external_string_latin1, Node 20.4 on): read it as usual then. A file that
 * cannot be opened throws a NativeError (ENOENT, EACCES, ...).
 */
export function mapAsciiText(path: string): string | undefined {
  return native.mapAsciiText(path);
}

/**
 * One writev(2) of `bufs` (at most IOV_MAX, 1024) in order, retried on EINTR; returns the count written
 * (a short write is not continued: on a message channel one write is one message).
 */
export function writeBuffers(fd: number, bufs: readonly Uint8Array[]): number {
  return native.writeBuffers(fd, bufs);
}

/**
 * writeBuffers(fd, bufs), then readInto(fd, buf), in one call: a message channel's server answers
 * one message and waits for the next with one return into JavaScript instead of two. Returns the
 * count read. A failed writev throws with `syscall` "writev" and nothing is read; a failed read
 * throws with `syscall` "read" (the reply was written).
 */
export function writeThenRead(fd: number, bufs: readonly Uint8Array[], buf: Uint8Array): number {
  if (!fitsAsArguments(bufs)) {
    writeBuffers(fd, bufs);
    return readInto(fd, buf);
  }
  return withBuffers(native.writeThenRead, fd, buf, bufs);
}

/** The most buffers the exchange calls pass to the addon as arguments; more go as two calls. */
const EXCHANGE_BUFFERS = 8;

const fitsAsArguments = (bufs: readonly Uint8Array[]): boolean =>
  Array.isArray(bufs) && bufs.length > 0 && bufs.length <= EXCHANGE_BUFFERS;

/**
 * f(a, b, ...bufs), the usual one to three buffers written out: the addon reads arguments without
 * the property lookup each array element costs through Node-API, and a spread call costs more.
 */
function withBuffers<A, B>(
  f: (a: A, b: B, ...bufs: Uint8Array[]) => number,
  a: A,
  b: B,
  bufs: readonly Uint8Array[],
): number {
  switch (bufs.length) {
    case 1:
      return f(a, b, bufs[0]);
    case 2:
      return f(a, b, bufs[0], bufs[1]);
    case 3:
      return f(a, b, bufs[0], bufs[1], bufs[2]);
    default:
      return f(a, b, ...bufs);
  }
}

/** A FUSE-over-io_uring ring of one /dev/fuse connection (opaque; see fuseRingOpen). */
export type FuseRing = { readonly __fuseRing: unique symbol };

/** What went through a FuseRing. */
export interface FuseRingCounts {
  /** Requests that came through ring entries. */
  ringRequests: number;
  /** Requests read from /dev/fuse while the ring ran (FORGET and INTERRUPT do not use the ring). */
  devRequests: number;
  /** Entries registered again after the kernel refused a commit (its request was gone). */
  rearmed: number;
  /** Requests larger than the session's buffer, answered EIO without being handed out. */
  oversized: number;
}

/**
 * Prepares FUSE over io_uring for the connection of `fuseFd`: the io_uring instance and one ring
 * entry (a header and a `payloadBytes` payload buffer, at least the connection's max(8192,
 * max_write, max_pages pages)) per queue, `queues` being the kernel's possible CPUs, and a buffer
 * of `devBufferBytes` for what still comes through /dev/fuse (FORGET, INTERRUPT). Nothing is
 * registered yet: do this before the INIT reply offers FUSE_OVER_IO_URING (a kernel that accepted
 * it holds every request back until the ring is started) and call fuseRingStart after it. Throws
 * a NativeError (EPERM/ENOSYS: io_uring is disabled or missing).
 */
export function fuseRingOpen(fuseFd: number, queues: number, payloadBytes: number, devBufferBytes: number): FuseRing {
  return native.fuseRingOpen(fuseFd, queues, payloadBytes, devBufferBytes);
}

/**
 * Registers the ring's entries and starts reading /dev/fuse through it; after the INIT reply.
 * Throws a NativeError with the kernel's code when it refuses (EOPNOTSUPP: the fuse module's
 * enable_uring is off; EINVAL: a queue count or payload size it does not accept); the kernel then
 * keeps serving the connection through /dev/fuse.
 */
export function fuseRingStart(ring: FuseRing): void {
  native.fuseRingStart(ring);
}

/**
 * The next request, copied into `buf` as a read(2) of /dev/fuse would deliver it; 0 when the
 * connection is gone. Submits the answer fuseRingReply queued in the same io_uring_enter.
 */
export function fuseRingNext(ring: FuseRing, buf: Uint8Array): number {
  return native.fuseRingNext(ring, buf);
}

/**
 * Answers the request fuseRingNext returned last: copied into its ring entry and committed with
 * the next fuseRingNext (or written to /dev/fuse at once, for a request that came from there).
 */
export function fuseRingReply(ring: FuseRing, bufs: readonly Uint8Array[]): number {
  return native.fuseRingReply(ring, bufs);
}

/**
 * fuseRingReply(ring, bufs), then fuseRingNext(ring, buf), in one call: returns what fuseRingNext
 * returns. A refused answer throws as fuseRingReply does (syscall "fuseRingReply", or "writev" for
 * a request that came through /dev/fuse) and nothing is read.
 */
export function fuseRingExchange(ring: FuseRing, bufs: readonly Uint8Array[], buf: Uint8Array): number {
  if (!fitsAsArguments(bufs)) {
    fuseRingReply(ring, bufs);
    return fuseRingNext(ring, buf);
  }
  return withBuffers(native.fuseRingExchange, ring, buf, bufs);
}

export function fuseRingCounts(ring: FuseRing): FuseRingCounts {
  return native.fuseRingCounts(ring);
}

/** Closes the ring (the kernel cancels its commands) and frees its buffers; idempotent. */
export function fuseRingClose(ring: FuseRing): void {
  native.fuseRingClose(ring);
}

export const LOCK_SH: number = native.LOCK_SH;
export const LOCK_EX: number = native.LOCK_EX;
export const LOCK_UN: number = native.LOCK_UN;
export const LOCK_NB: number = native.LOCK_NB;

/**
 * Whether `fd` is a terminal (isatty(3)), without loading Node's tty module (which loads net and
 * the stream modules with it). A descriptor that is not open is not a terminal.
 */
export function isTerminal(fd: number): boolean {
  return native.isTerminal(fd);
}

/**
 * flock(2), retried on EINTR. A blocking request blocks the whole thread (event loop). With
 * LOCK_NB a held lock throws a NativeError with code 'EWOULDBLOCK'.
 */
export function flock(fd: number, op: number): void {
  native.flock(fd, op);
}

export const MS_RDONLY: number = native.MS_RDONLY;
export const MS_NOSUID: number = native.MS_NOSUID;
export const MS_NODEV: number = native.MS_NODEV;
export const MS_NOEXEC: number = native.MS_NOEXEC;
export const MS_NOATIME: number = native.MS_NOATIME;
export const MNT_FORCE: number = native.MNT_FORCE;
export const MNT_DETACH: number = native.MNT_DETACH;
export const UMOUNT_NOFOLLOW: number = native.UMOUNT_NOFOLLOW;

/** mount(2); an empty `data` string is passed as NULL. Needs CAP_SYS_ADMIN. */
export function mount(source: string, target: string, fstype: string, flags: number, data = ''): void {
  native.mount(source, target, fstype, flags, data);
}

/** umount2(2). */
export function umount2(target: string, flags = 0): void {
  native.umount2(target, flags);
}

/**
 * Size of what `fd` refers to: a regular file (st_size), a block device (BLKGETSIZE64) or a
 * character device such as devdax (/sys/dev/char/MAJOR:MINOR/size). Anything else, including
 * a character device without that sysfs file, throws EINVAL.
 */
export function deviceSize(fd: number): DeviceSize {
  return native.deviceSize(fd);
}

/** The system page size in bytes. */
export function pageSize(): number {
  return native.pageSize();
}

/**
 * How the addon computes CRC-32 on this CPU: 'pclmul' (folding with carry-less multiplication,
 * x86-64 with PCLMULQDQ, for spans of 64 bytes and more) or 'zlib' (Node's zlib). Either gives
 * zlib.crc32's value; the first is several times faster on a log entry.
 */
export function crc32Method(): 'pclmul' | 'zlib' {
  return native.crc32Method;
}

/**
 * CRC-32 (zlib's, the same as zlib.crc32) of buf[offset, offset + length): one record, returned as
 * a number (no array is allocated, which matters when a log entry is written per call).
 */
export function crc32(buf: Uint8Array, offset: number, length: number): number {
  return native.crc32(buf, offset, length);
}

/**
 * CRC-32 (zlib's, the same as zlib.crc32) of `count` records in one call: the i-th over
 * buf[offset + i*stride, offset + i*stride + span). For checking a famfs log's entries without
 * paying a JS-to-native call per entry.
 */
export function crc32Records(
  buf: Uint8Array,
  offset: number,
  stride: number,
  span: number,
  count: number,
): Uint32Array {
  return native.crc32Records(buf, offset, stride, span, count);
}

/** CRCs being computed on the addon's background thread (crc32RecordsStart). */
export interface Crc32RecordsJob {
  /** Blocks until every CRC is computed, then returns them (the same array on each call: `out` when given). */
  wait(): Uint32Array;
}

/** Where crc32RecordsStart's job first reads `buf`'s bytes from. */
export interface RecordsSource {
  fd: number;
  /** File offset of buf[0]. */
  position: number;
  /** Bytes read into buf[0, length); past the end of the file they are zeros. */
  length: number;
}

/**
 * crc32Records on the addon's background thread, so JavaScript can go on meanwhile (a pass over
 * a log checks the next window while it walks this one). One long-lived thread serves the whole
 * process and runs jobs in the order they are started. With `from`, the job first reads the bytes
 * into `buf` with pread, so the read leaves the JavaScript thread too; a read error is thrown by
 * wait(). The arguments are checked at once, as crc32Records checks them. Until wait() returns,
 * `buf` must not be read, changed or (a mapping) unmapped: the thread is using it. With `out`
 * (at least `count` long) the CRCs are written to its first `count` elements, and it must not be
 * touched either until wait() returns it; a pass reuses two such arrays rather than having a new
 * one made per window.
 */
export function crc32RecordsStart(
  buf: Uint8Array,
  offset: number,
  stride: number,
  span: number,
  count: number,
  from?: RecordsSource,
  out?: Uint32Array,
): Crc32RecordsJob {
  return new native.Crc32RecordsJob(buf, offset, stride, span, count, from?.fd, from?.position, from?.length, out);
}

/** One file for copyFilesStart: where it is, its size, and where its bytes go on the device. */
export interface FileCopy {
  path: string;
  /** Bytes the file must hold (1 to 64 MiB): a source of another size is not copied. */
  size: number;
  /** Device byte ranges, in file order; their lengths add up to `size`. */
  ranges: readonly { offset: number; len: number }[];
}

/** Copies running on the addon's background thread (copyFilesStart). */
export interface CopyFilesJob {
  /**
   * Blocks until every file is done, then gives each one's status (the same array on each
   * call): 0 copied; a positive errno value when open, fstat, read or pwrite failed;
   * COPY_NOT_REGULAR or COPY_SIZE_CHANGED.
   */
  wait(): Int32Array;
}

/** copyFilesStart status: the path is not a regular file (now). */
export const COPY_NOT_REGULAR: number = native.COPY_NOT_REGULAR;
/** copyFilesStart status: the file does not hold exactly the size given (it grew or shrank). */
export const COPY_SIZE_CHANGED: number = native.COPY_SIZE_CHANGED;

/**
 * Copies small files into a device file on the addon's background thread, in order: each is
 * opened (O_NONBLOCK, and O_NOFOLLOW with `noFollow`), must be a regular file of exactly its
 * `size` (one read of size + 1 bytes proves it), and is written to its ranges of `deviceFd`
 * with pwrite. A file it cannot copy exactly gets a non-zero status and may have had some of its
 * ranges written; nothing else is decided here. The arguments are checked at once (TypeError,
 * RangeError). `deviceFd` must stay open until wait() has returned.
 */
export function copyFilesStart(
  files: readonly FileCopy[],
  deviceFd: number,
  opts: { noFollow: boolean },
): CopyFilesJob {
  const sizes = new Float64Array(files.length * 2);
  let pieceCount = 0;
  for (const f of files) pieceCount += f.ranges.length;
  const pieces = new Float64Array(pieceCount * 2);
  let p = 0;
  for (let i = 0; i < files.length; i++) {
    const f = files[i];
    sizes[2 * i] = f.size;
    sizes[2 * i + 1] = f.ranges.length;
    for (const r of f.ranges) {
      pieces[p++] = r.offset;
      pieces[p++] = r.len;
    }
  }
  const paths = nulEnded(
    files.map((f) => f.path),
    'copyFilesStart',
    'path',
  );
  return new native.CopyFilesJob(paths, sizes, pieces, deviceFd, opts.noFollow);
}

/** `names` as one buffer of UTF-8 strings, each ended by a NUL byte (TypeError for a name holding one). */
function nulEnded(names: readonly string[], fn: string, what: string): Buffer {
  let text = '';
  for (const name of names) {
    if (name.includes('\0')) throw new TypeError(`${fn}: ${what} ${JSON.stringify(name)} holds a NUL byte`);
    text += name + '\0';
  }
  return Buffer.from(text, 'utf8');
}

/** A directory's entries and the lstat of each (readDirStats). */
export interface DirStats {
  /** Every name but "." and "..", in the order the directory gave them (no order promised). */
  names: string[];
  /** (st_mode, st_size, errno) of names[i] at 3i: errno 0 when its lstat succeeded, else mode and size are 0. */
  stats: Float64Array;
}

/**
 * The names in directory `dir` and the lstat of each (fstatat relative to the directory, not
 * following a final symlink), in one call: no Dirent, name Buffer or Stats object per entry.
 * Throws the errno of a directory that cannot be opened or read, and an {@link InvalidNameError}
 * when a name is not UTF-8 (its bytes are in the error).
 */
export function readDirStats(dir: string): DirStats {
  const { names, stats } = native.readDirStats(dir);
  if (!isUtf8(names)) throw new InvalidNameError(dir, firstNonUtf8(names));
  const list = names.toString('utf8').split('\0');
  list.pop(); // after the last NUL
  return { names: list, stats };
}

/** A directory holds a name that is not valid UTF-8. */
export class InvalidNameError extends Error {
  constructor(
    readonly dir: string,
    /** The name's bytes. */
    readonly bytes: Buffer,
  ) {
    super(`${dir}: a name is not valid UTF-8`);
    this.name = 'InvalidNameError';
  }
}

/** The first of NUL-ended `names` whose bytes are not UTF-8. */
function firstNonUtf8(names: Buffer): Buffer {
  let at = 0;
  for (;;) {
    const end = names.indexOf(0, at);
    const name = names.subarray(at, end);
    if (!isUtf8(name)) return name;
    at = end + 1;
  }
}

/** getxattr(2): the attribute's value, or null when the file has no such attribute. */
export function getxattr(path: string, name: string): Buffer | null {
  return native.getxattr(path, name);
}

/**
 * The famfs test-data stream (xoroshiro128+ 55/14/36, low 32 bits of each output as a
 * little-endian word) continued from `state` (s0 high, s0 low, s1 high, s1 low), which is
 * updated: fills `buf` with the next bytes.
 */
export function prngFill(state: Int32Array, buf: Uint8Array): void {
  native.prngFill(state, buf);
}

/** Like prngFill, but compares: the offset of the first byte of `buf` that differs, or -1. */
export function prngCompare(state: Int32Array, buf: Uint8Array): number {
  return native.prngCompare(state, buf);
}

/**
 * From now on SIGINT, SIGTERM and SIGHUP are recorded instead of acted on, for a long synchronous
 * loop that checks {@link interruptSignal} between steps (Node runs signal listeners only from
 * its event loop, which such a loop never returns to). The same signal a second time while the
 * first is pending ends the process as its default action would. Undo with releaseInterrupts().
 */
export function catchInterrupts(): void {
  native.catchInterrupts();
}

/** The signal number recorded since catchInterrupts() (SIGINT 2, SIGTERM 15, SIGHUP 1), or 0. */
export function interruptSignal(): number {
  return native.interruptSignal();
}

/** Puts back the handlers catchInterrupts() found and forgets a recorded signal. */
export function releaseInterrupts(): void {
  native.releaseInterrupts();
}

export { AddonUnavailableError, rebuildCommand } from './addon';
export { MOUNTINFO_PATH, mountsAt, mountsHolding, parseMountInfo, readMountTable } from './mount-table';
export type { MountTableEntry } from './mount-table';
export { sleepMs } from './sleep';
