import { FamfsError } from '../errors';
import { LOG_ENTRY_SIZE, LOG_HEADER_SIZE } from '../format/constants';
import { encodeLogEntry, fileEntry, FileEntry, LogEntry, MkdirEntry } from '../format/log-entry';
import { LogHeaderLayout } from '../format/log-header';
import { Fmap, fmapExtents } from '../format/fmap';
import { allocateInterleaved, checkInterleave, InterleaveParams, isInterleaved } from '../alloc/interleave';
import { checkRelpath } from '../format/relpath';
import { uuidToText } from '../format/uuid';
import { ContiguousAllocator } from '../alloc/allocator';
import { AllocationMap } from '../alloc/allocation-map';
import { Device, mapMeta, MetaMapping } from '../device/device';
import { requireMappable } from '../device/device-access';
import { entryOffset, Replay, replayLog } from './replay';
import { getSystemUuid, roleOf } from '../system-uuid';
import { LOG_META, META_DIR, SUPERBLOCK_META } from '../format/meta-paths';

export interface OwnerOptions {
  /** Permission bits; defaults 0644 for files and 0755 for directories. */
  mode?: number;
  uid?: number;
  gid?: number;
}

export interface FileOptions extends OwnerOptions {
  /** Interleave the file over buckets of the device (all zero or absent: one contiguous extent). */
  interleave?: InterleaveParams;
  /** Source of randoms for the bucket order (default Math.random). */
  random?: () => number;
}

export interface LogSessionOptions {
  /** This host's system UUID; defaults to getSystemUuid(). */
  systemUuid?: Buffer;
}

/**
 * An exclusive, master-only session on a device's log: the lock is held from open() to close(),
 * the log is replayed once, and every append goes through the allocator built from it.
 *
 * Append order (what keeps a crash harmless): the entry is written and flushed into the free
 * slot first, and only then are next_seqnum and next_index advanced and flushed. A writer killed
 * before the counters move leaves a slot that no reader looks at; one killed after leaves a
 * complete entry.
 */
export class LogSession {
  private closed = false;

  private constructor(
    readonly device: Device,
    private readonly meta: MetaMapping,
    readonly replay: Replay,
    readonly allocation: AllocationMap,
    private readonly allocator: ContiguousAllocator,
  ) {}

  static open(devicePath: string, opts: LogSessionOptions = {}): LogSession {
    requireMappable(devicePath, 'appending to the log');
    const dev = Device.open(devicePath, { writable: true });
    try {
      dev.lockExclusive();
      const meta = mapMeta(dev);
      const me = opts.systemUuid ?? getSystemUuid();
      if (roleOf(meta.sb, me) !== 'master') {
        throw new FamfsError(
          'ENOTMASTER',
          `${devicePath}: this host (${uuidToText(me)}) is not the famfs master (${uuidToText(meta.sb.systemUuid)}); only the master may change the log`,
          { device: devicePath },
        );
      }
      dev.invalidate(meta.log, 0, meta.log.length);
      const replay = replayLog(meta.log, meta.sb, devicePath);
      const allocation = AllocationMap.build(meta.sb, replay);
      return new LogSession(dev, meta, replay, allocation, new ContiguousAllocator(allocation));
    } catch (e) {
      dev.close();
      throw e;
    }
  }

  get nextIndex(): number {
    return LogHeaderLayout.get(this.meta.log, 'nextIndex');
  }

  get lastIndex(): number {
    return this.replay.header.lastIndex;
  }

  get freeSlots(): number {
    return this.lastIndex + 1 - this.nextIndex;
  }

  /** Logs a directory; its parent must exist and the path must be free. */
  mkdir(path: string, opts: OwnerOptions = {}): MkdirEntry {
    this.checkNewPath(path);
    const entry: MkdirEntry = { type: 'mkdir', path, mode: opts.mode ?? 0o755, uid: opts.uid ?? 0, gid: opts.gid ?? 0 };
    const index = this.append(entry);
    this.replay.dirs.set(path, index);
    return entry;
  }

  /** Allocates and logs a file of `size` bytes (size > 0, fixed forever). */
  createFile(path: string, size: number, opts: FileOptions = {}): FileEntry {
    this.checkNewPath(path);
    if (!Number.isSafeInteger(size) || size <= 0) throw new FamfsError('EINVAL', `cannot create '${path}' with size ${size}: famfs files need a size > 0`);
    this.checkLogSpace();
    const index = this.nextIndex;
    let fmap: Fmap | undefined;
    if (isInterleaved(opts.interleave)) {
      checkInterleave(opts.interleave, this.allocation.capacityBytes, this.allocation.unitSize);
      fmap = allocateInterleaved(this.allocation, size, opts.interleave, index, this.device.path, opts.random);
    }
    fmap ??= { kind: 'simple', extents: [this.allocator.allocate(size, index, this.device.path)] };
    const entry = fileEntry(path, size, opts.mode ?? 0o644, opts.uid ?? 0, opts.gid ?? 0, fmap);
    this.append(entry);
    this.allocation.fileBytes += size;
    this.replay.files.set(path, index);
    return entry;
  }

  /**
   * Appends an entry exactly as given, with no allocation and no tree checks. A testing aid (and
   * what `famfs clone` uses): it can write cross-linked or otherwise inconsistent logs on purpose.
   */
  appendRaw(entry: LogEntry): number {
    const index = this.append(entry);
    if (entry.type === 'file') for (const e of fmapExtents(entry.fmap)) this.allocation.claim(e.offset, e.len, index);
    return index;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.device.unlock();
    } finally {
      this.device.close();
    }
  }

  private checkLogSpace(): void {
    if (this.nextIndex > this.lastIndex) {
      throw new FamfsError('ELOGFULL', `${this.device.path}: the log is full (${this.lastIndex + 1} entries)`, { device: this.device.path });
    }
  }

  private checkNewPath(path: string): void {
    checkRelpath(path);
    if (path === META_DIR || path === SUPERBLOCK_META || path === LOG_META) throw new FamfsError('EEXIST', `'${path}' is reserved for famfs metadata`, { path });
    if (this.replay.files.has(path) || this.replay.dirs.has(path)) throw new FamfsError('EEXIST', `'${path}' already exists`, { path });
    const slash = path.lastIndexOf('/');
    // .meta is there in every famfs without being logged; files such as .meta/.alloc.cfg go in it.
    if (slash > 0 && path.slice(0, slash) !== META_DIR) {
      const parent = path.slice(0, slash);
      if (this.replay.files.has(parent)) throw new FamfsError('ENOTDIR', `cannot create '${path}': '${parent}' is a file`, { path });
      if (!this.replay.dirs.has(parent)) throw new FamfsError('ENOENT', `cannot create '${path}': directory '${parent}' does not exist`, { path });
    }
  }

  private append(entry: LogEntry): number {
    if (this.closed) throw new FamfsError('EINVAL', 'log session is closed');
    this.checkLogSpace();
    const log = this.meta.log;
    const index = this.nextIndex;
    const at = entryOffset(index);
    encodeLogEntry(entry, index, log, at);
    this.device.flush(log, at, LOG_ENTRY_SIZE);
    LogHeaderLayout.set(log, 'nextSeqnum', index + 1);
    LogHeaderLayout.set(log, 'nextIndex', index + 1);
    this.device.flush(log, 0, LOG_HEADER_SIZE);
    this.replay.entries[index] = entry;
    return index;
  }
}
