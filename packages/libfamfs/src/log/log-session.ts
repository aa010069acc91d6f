import * as fs from 'fs';
import { prefault } from '@famfs/native';
import { FamfsError } from '../errors';
import { LOG_ENTRY_SIZE, LOG_HEADER_SIZE, LOG_OFFSET } from '../format/constants';
import { encodeLogEntry, fileEntry, FileEntry, LogEntry, MkdirEntry } from '../format/log-entry';
import { LogHeader, LogHeaderLayout } from '../format/log-header';
import { Fmap, fmapExtents } from '../format/fmap';
import { allocateInterleaved, checkInterleave, InterleaveParams, isInterleaved } from '../alloc/interleave';
import { checkRelpath } from '../format/relpath';
import { uuidToText } from '../format/uuid';
import { ContiguousAllocator } from '../alloc/allocator';
import { AllocationMap } from '../alloc/allocation-map';
import { Device, mapMeta, MetaMapping } from '../device/device';
import { requireMappable } from '../device/device-access';
import { checkedLogEntry, entryOffset, geometryOf } from './replay';
import { ReservedQueue } from './reserved-queue';
import { deviceWindows, memoryWindows } from './log-windows';
import { PathIndex } from './path-index';
import { passLogTree } from './tree-pass';
import { getSystemUuid, roleOf } from '../system-uuid';
import { LOG_META, META_DIR, SUPERBLOCK_META } from '../format/meta-paths';
import { MAX_PATHLEN } from '../format/constants';

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

/** Paths the index of a session's own appends has room for before it grows. */
const APPEND_ROOM = 1024;

/** Bytes of the log mapping faulted in at a time ahead of the appends (about 480 entries). */
const LOG_READY_STEP = 256 * 1024;
const LOG_READY_ALIGN = 4096;

/** Entries of a run encoded and written to a file-backed device's log with one pwrite. */
const RUN_CHUNK = 128;

/**
 * An exclusive, master-only session on a device's log: the lock is held from open() to close(),
 * the log is read once, and every append goes through the allocator built from it.
 *
 * The session holds what appending needs and no object per entry: the tree as a byte-keyed path
 * index (path -> slot, file or directory, placed by replay's rule) and the allocation map, both
 * made by one windowed pass (tree-pass.ts). The session's own appends go into a second, small
 * index, so that growing it costs in proportion to the appends, not to the log (growing the
 * log's index of a 90% full 256 MiB log copied megabytes into fresh memory). An entry asked for
 * (fileAt, dirAt) is read again from its slot in the mapped log, checked as replay checks it. So
 * the rate of a batch does not fall with the log's fill: the garbage collector has no replayed
 * entries to walk, and no index the size of the log grows.
 *
 * Append order (what keeps a crash harmless): the entry is written and flushed into the free
 * slot first, and only then are next_seqnum and next_index advanced and flushed. A writer killed
 * before the counters move leaves a slot that no reader looks at; one killed after leaves a
 * complete entry. A run of entries (logReservedRun) is written whole before the counters move
 * once: a reader or a crash sees all of it or none.
 *
 * How entries reach the device: a memory device (devdax, pmem) through the log mapping and a CPU
 * cache flush; a regular file by pwrite(2) of entries encoded in a scratch buffer (one call per
 * RUN_CHUNK entries), into the same page cache every mapping of the file sees. A store through
 * a mapping costs a page fault the first time it touches each page, and on a virtual machine the
 * first touch costs far more than the fault (measured here: 10 to 20 us a page even after
 * MADV_POPULATE_WRITE); the kernel's copy for pwrite pays neither. The counters, in the header
 * page every session touches, are always set through the mapping.
 */
export class LogSession {
  private closed = false;
  /** Entries checked (and files allocated) by reserveFile/reserveMkdir, not logged yet, in slot order. */
  private readonly reserved = new ReservedQueue();
  /** The log mapping's bytes below this are faulted in (a step at a time, ahead of the appends). */
  private logReady = 0;
  /** A file-backed device's descriptor, for writing entries with pwrite; undefined for memory devices. */
  private readonly pwriteFd: number | undefined;
  /** Where entries are encoded for pwrite. */
  private runBuffer: Buffer | undefined;
  /** The files and directories this session logged, by path. */
  private readonly appended = new PathIndex(APPEND_ROOM);

  private constructor(
    readonly device: Device,
    private readonly meta: MetaMapping,
    /** The log header as the session's open read it. */
    readonly header: LogHeader,
    /** Every file and directory of the log as the session's open read it, by path. */
    private readonly tree: PathIndex,
    readonly allocation: AllocationMap,
    private readonly allocator: ContiguousAllocator,
  ) {
    this.pwriteFd = device.kind === 'file' && !device.cacheMaintenance ? device.fd : undefined;
  }

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
      // A file is read through pread (no page faults on the mapping); other devices through the
      // mapping, whose CPU cache is invalidated first (another host writes that memory).
      if (dev.kind !== 'file') dev.invalidate(meta.log, 0, meta.log.length);
      const windows = dev.kind === 'file' ? deviceWindows(dev) : memoryWindows(meta.log);
      let pass;
      try {
        pass = passLogTree(windows, meta.sb, devicePath);
      } finally {
        windows.close();
      }
      return new LogSession(dev, meta, pass.header, pass.index, pass.map, new ContiguousAllocator(pass.map));
    } catch (e) {
      dev.close();
      throw e;
    }
  }

  get nextIndex(): number {
    return LogHeaderLayout.get(this.meta.log, 'nextIndex');
  }

  get lastIndex(): number {
    return this.header.lastIndex;
  }

  /** The slot of the file logged at `path`, if any. */
  fileSlot(path: string): number | undefined {
    const v = this.find(path);
    return v >= 0 && v % 2 === 0 ? v / 2 : undefined;
  }

  /** Whether a directory is logged at `path`. */
  hasDir(path: string): boolean {
    return this.find(path) % 2 === 1;
  }

  /** The file logged at `path`, read from its slot; undefined when there is none. */
  fileAt(path: string): FileEntry | undefined {
    const slot = this.fileSlot(path);
    return slot === undefined ? undefined : this.placedAt(slot, 'file', path);
  }

  /** The directory logged at `path` (not the root), read from its slot; undefined when there is none. */
  dirAt(path: string): MkdirEntry | undefined {
    const v = this.find(path);
    return v >= 0 && v % 2 === 1 ? this.placedAt((v - 1) / 2, 'mkdir', path) : undefined;
  }

  /** The entry that placed `path` in slot `index`, read again: EBADENTRY if the slot now holds another. */
  private placedAt<T extends 'file' | 'mkdir'>(index: number, type: T, path: string): Extract<LogEntry, { type: T }> {
    const e = this.entryAt(index);
    if (e.type !== type || e.path !== path) {
      const reason = `no longer holds the ${type === 'file' ? 'file' : 'directory'} '${path}' the session read there`;
      throw new FamfsError('EBADENTRY', `log entry ${index}: ${reason}`, { index, reason });
    }
    return e as Extract<LogEntry, { type: T }>;
  }

  /**
   * The entry in slot `index`, read from the log and checked as replay checks it (EBADENTRY when
   * it no longer is what the session placed: the device changed under the lock).
   */
  entryAt(index: number): LogEntry {
    return checkedLogEntry(this.meta.log, entryOffset(index), index, geometryOf(this.meta.sb));
  }

  /** The tree's value for `path` (-1: absent; slot * 2, + 1 for a directory). */
  private find(path: string): number {
    // No path of the log is longer: a longer one is absent (and would not fit the index's scratch).
    if (path.length > MAX_PATHLEN) return -1;
    const mine = this.appended.findPath(path);
    return mine >= 0 ? mine : this.tree.findPath(path);
  }

  get freeSlots(): number {
    return this.lastIndex + 1 - this.nextIndex;
  }

  /**
   * Reserves the directories that `mkdir` (`parents`: `mkdir -p`) must log for `path`, in order,
   * after checking the whole request before anything is written: the path (every component, and
   * its length), what is in the way, and a free log slot for each. Empty when there is nothing to
   * do (-p and the directory exists). Log them with logReserved.
   */
  reserveMkdirs(path: string, parents: boolean, opts: OwnerOptions = {}): MkdirEntry[] {
    checkRelpath(path);
    const parts = path.split('/');
    const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
    const inTheWay = parents ? prefixes.find((p) => this.fileSlot(p) !== undefined) : undefined;
    if (inTheWay !== undefined) {
      throw new FamfsError('ENOTDIR', `cannot create '${path}': '${inTheWay}' is a file`, { path });
    }
    const first = parents ? prefixes.findIndex((p) => !this.hasDir(p)) : prefixes.length - 1;
    const missing = first < 0 ? [] : prefixes.slice(first);
    this.checkLogSpace(this.reserved.size + missing.length);
    return missing.map((p) => this.reserveMkdir(p, opts));
  }

  /** Logs a directory; its parent must exist and the path must be free. */
  mkdir(path: string, opts: OwnerOptions = {}): MkdirEntry {
    return this.logReserved(this.reserveMkdir(path, opts));
  }

  /** Checks a new directory and takes the next log slot for it, without writing (see reserveFile). */
  reserveMkdir(path: string, opts: OwnerOptions = {}): MkdirEntry {
    this.checkNewPath(path);
    this.checkLogSpace(this.reserved.size + 1);
    const entry: MkdirEntry = { type: 'mkdir', path, mode: opts.mode ?? 0o755, uid: opts.uid ?? 0, gid: opts.gid ?? 0 };
    this.reserved.push(entry);
    return entry;
  }

  /** Allocates and logs a file of `size` bytes (size > 0, fixed forever). */
  createFile(path: string, size: number, opts: FileOptions = {}): FileEntry {
    return this.logReserved(this.reserveFile(path, size, opts));
  }

  /**
   * Checks and allocates a new file without logging it: the space is taken in this session's
   * allocation map only, and the device is not touched. A request of several files (creat -M)
   * reserves them all first, so that a name, a size or the space of any of them refuses the
   * whole request before anything is written; it then logs them with logReserved, in the order
   * they were reserved. A session closed with reservations left leaves the device as it was.
   */
  reserveFile(path: string, size: number, opts: FileOptions = {}): FileEntry {
    this.checkNewPath(path);
    if (!Number.isSafeInteger(size) || size <= 0)
      throw new FamfsError('EINVAL', `cannot create '${path}' with size ${size}: famfs files need a size > 0`);
    this.checkLogSpace(this.reserved.size + 1);
    // The slot the entry will take: allocations are owned by it, as replay will find them.
    const index = this.nextIndex + this.reserved.size;
    let fmap: Fmap | undefined;
    if (isInterleaved(opts.interleave)) {
      checkInterleave(opts.interleave, this.allocation.capacityBytes, this.allocation.unitSize);
      fmap = allocateInterleaved(this.allocation, size, opts.interleave, index, this.device.path, opts.random);
    }
    fmap ??= { kind: 'simple', extents: [this.allocator.allocate(size, index, this.device.path)] };
    const entry = fileEntry(path, size, opts.mode ?? 0o644, opts.uid ?? 0, opts.gid ?? 0, fmap);
    this.reserved.push(entry);
    return entry;
  }

  /** Logs the oldest entry reserved by reserveFile or reserveMkdir (`entry` must be it). */
  logReserved<T extends FileEntry | MkdirEntry>(entry: T): T {
    this.logReservedRun([entry]);
    return entry;
  }

  /**
   * Logs the oldest reserved entries, `entries` in their order, as one run: every slot is
   * written, then the counters move once (see the class comment). Nothing is logged when it
   * throws. For callers that log many entries at a time (famfs cp, creat -M).
   */
  logReservedRun(entries: readonly (FileEntry | MkdirEntry)[]): void {
    for (let k = 0; k < entries.length; k++) {
      const entry = entries[k];
      if (this.reserved.nth(k) !== entry) {
        throw new FamfsError('EINVAL', `'${entry.path}' is not the next reserved entry`, { path: entry.path });
      }
    }
    const first = this.append(entries);
    for (let k = 0; k < entries.length; k++) {
      const entry = entries[k];
      this.reserved.shift();
      if (entry.type === 'file') this.allocation.fileBytes += entry.size;
      this.appended.addPath(entry.path, first + k, entry.type === 'mkdir');
    }
  }

  /**
   * Gives up a reserved entry that will not be logged after all (its source vanished meanwhile).
   * A file's space stays taken in this session's map (it is free again for the next session);
   * the entries reserved after it move up one slot.
   */
  dropReserved(entry: FileEntry | MkdirEntry): void {
    if (this.reserved.at(entry.path) !== entry)
      throw new FamfsError('EINVAL', `'${entry.path}' is not reserved`, { path: entry.path });
    if (entry.type === 'mkdir' && this.reserved.hasBelow(entry.path)) {
      throw new FamfsError('EINVAL', `'${entry.path}' has reserved entries below it`, { path: entry.path });
    }
    this.reserved.remove(entry);
  }

  /** The entry reserved (not yet logged) at `path`, if any. */
  reservedAt(path: string): FileEntry | MkdirEntry | undefined {
    return this.reserved.at(path);
  }

  /**
   * Appends an entry exactly as given, with no allocation and no tree checks. A testing aid (and
   * what `famfs clone` uses): it can write cross-linked or otherwise inconsistent logs on purpose.
   */
  appendRaw(entry: LogEntry): number {
    const index = this.append([entry]);
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

  /** ELOGFULL unless `entries` more entries fit in the log. */
  checkLogSpace(entries = 1): void {
    if (this.freeSlots < entries) {
      const free = this.freeSlots;
      const what = free === 0 ? 'the log is full' : `the log has ${free} free entries, ${entries} are needed`;
      const device = this.device.path;
      throw new FamfsError('ELOGFULL', `${device}: ${what} (${this.lastIndex + 1} entries)`, { device });
    }
  }

  private checkNewPath(path: string): void {
    checkRelpath(path);
    if (path === META_DIR || path === SUPERBLOCK_META || path === LOG_META)
      throw new FamfsError('EEXIST', `'${path}' is reserved for famfs metadata`, { path });
    if (this.find(path) >= 0) throw new FamfsError('EEXIST', `'${path}' already exists`, { path });
    if (this.reservedAt(path)) throw new FamfsError('EEXIST', `'${path}' is given twice`, { path });
    const slash = path.lastIndexOf('/');
    // .meta is there in every famfs without being logged; files such as .meta/.alloc.cfg go in it.
    if (slash > 0 && path.slice(0, slash) !== META_DIR) {
      const parent = path.slice(0, slash);
      const pending = this.reservedAt(parent);
      const logged = this.find(parent);
      if ((logged >= 0 && logged % 2 === 0) || pending?.type === 'file') {
        throw new FamfsError('ENOTDIR', `cannot create '${path}': '${parent}' is a file`, { path });
      }
      if (logged % 2 !== 1 && pending === undefined) {
        throw new FamfsError('ENOENT', `cannot create '${path}': directory '${parent}' does not exist`, { path });
      }
    }
  }

  /**
   * Faults in the log mapping from the page of byte `at` on, LOG_READY_STEP at a time: a session
   * that appends thousands of entries then takes one call per step, not a page fault per page.
   */
  private readyLog(at: number, end: number): void {
    const from = at - (at % LOG_READY_ALIGN);
    this.logReady = Math.min(this.meta.log.length, Math.max(end, from + LOG_READY_STEP));
    prefault(this.meta.log, from, this.logReady - from);
  }

  /** Writes `entries` into the next slots, then advances the counters; returns the first slot. */
  private append(entries: readonly LogEntry[]): number {
    if (this.closed) throw new FamfsError('EINVAL', 'log session is closed');
    const first = this.nextIndex;
    if (entries.length === 0) return first;
    // A reserved entry owns the next slot: nothing else may take it first.
    if (this.reserved.size > 0 && entries[0] !== this.reserved.first()) {
      throw new FamfsError('EINVAL', 'reserved entries must be logged before any other');
    }
    this.checkLogSpace(entries.length);
    const log = this.meta.log;
    const at = entryOffset(first);
    if (this.pwriteFd !== undefined) {
      for (let k = 0; k < entries.length; k += RUN_CHUNK) this.writeChunk(entries, k, first);
    } else {
      const end = at + entries.length * LOG_ENTRY_SIZE;
      if (end > this.logReady) this.readyLog(at, end);
      for (let k = 0; k < entries.length; k++) encodeLogEntry(entries[k], first + k, log, at + k * LOG_ENTRY_SIZE);
      this.device.flush(log, at, end - at);
    }
    const next = first + entries.length;
    LogHeaderLayout.set(log, 'nextSeqnum', next);
    LogHeaderLayout.set(log, 'nextIndex', next);
    this.device.flush(log, 0, LOG_HEADER_SIZE);
    return first;
  }

  /** Encodes entries [from, from + RUN_CHUNK) of a run into the scratch buffer and pwrites them to their slots. */
  private writeChunk(entries: readonly LogEntry[], from: number, firstSlot: number): void {
    const n = Math.min(RUN_CHUNK, entries.length - from);
    const buf = (this.runBuffer ??= Buffer.alloc(RUN_CHUNK * LOG_ENTRY_SIZE));
    for (let k = 0; k < n; k++) encodeLogEntry(entries[from + k], firstSlot + from + k, buf, k * LOG_ENTRY_SIZE);
    const len = n * LOG_ENTRY_SIZE;
    const position = LOG_OFFSET + entryOffset(firstSlot + from);
    for (let done = 0; done < len;) done += fs.writeSync(this.pwriteFd!, buf, done, len - done, position + done);
  }
}
