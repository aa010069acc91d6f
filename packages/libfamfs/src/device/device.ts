import * as fs from 'fs';
import * as native from '@famfs/native';
import { FamfsError } from '../errors';
import { FileKind, openChecked } from '../checked-open';
import { LOG_OFFSET, SUPERBLOCK_SIZE } from '../format/constants';
import { checkSuperblock, parseSuperblock, Superblock, SuperblockCheck, SuperblockLayout } from '../format/superblock';

export type DeviceKind = 'file' | 'block' | 'chardev';
const DEVICE_KINDS: readonly FileKind[] = ['file', 'block', 'chardev'];

/**
 * When to run CPU cache maintenance on mapped metadata. Memory shared between hosts (devdax,
 * pmem) is not kept coherent by hardware, so writers flush and readers invalidate; a regular
 * file is coherent through the page cache and needs none ('auto' decides by device kind).
 */
export type CachePolicy = 'auto' | 'always' | 'never';

export interface OpenOptions {
  writable?: boolean;
  cache?: CachePolicy;
}

/**
 * A famfs device: a regular file (the embedded default), a pmem block device or a devdax
 * character device, all used through the same mmap path.
 */
export class Device {
  private mappings: Buffer[] = [];

  private constructor(
    readonly path: string,
    readonly fd: number,
    readonly size: number,
    readonly kind: DeviceKind,
    readonly writable: boolean,
    readonly cacheMaintenance: boolean,
  ) {}

  /**
   * Opens a device: a regular file, a block device or a dax character device, checked before
   * anything reads it (openChecked: O_NONBLOCK, then fstat), so a FIFO, a socket or a directory is
   * refused at once instead of blocking or failing later. A device of 0 bytes, or a character
   * device that is not a dax device (/dev/zero, /dev/null), is EINVAL too.
   */
  static open(path: string, opts: OpenOptions = {}): Device {
    const writable = opts.writable ?? false;
    const { fd, kind } = openChecked(path, {
      flags: writable ? fs.constants.O_RDWR : fs.constants.O_RDONLY,
      accept: DEVICE_KINDS,
      what: 'device',
      expected: 'a famfs device (a regular file, a block device or a dax character device)',
    });
    let size: number;
    try {
      size = native.deviceSize(fd).size;
    } catch (e) {
      fs.closeSync(fd);
      const why = kind === 'chardev' ? 'a character device that is not a dax device' : (e as Error).message;
      throw new FamfsError('EINVAL', `device ${path} is not usable as a famfs device: ${why}`, { device: path }, e);
    }
    if (size === 0) {
      fs.closeSync(fd);
      throw new FamfsError('EINVAL', `device ${path} is empty (0 bytes)`, { device: path });
    }
    const policy = opts.cache ?? 'auto';
    const maintain = policy === 'always' || (policy === 'auto' && kind !== 'file');
    return new Device(path, fd, size, kind as DeviceKind, writable, maintain);
  }

  /** Maps [offset, offset+length) of the device; the mapping lives until close(). */
  map(offset: number, length: number): Buffer {
    if (offset + length > this.size) {
      throw new FamfsError(
        'EINVAL',
        `${this.path}: cannot map [${offset}, ${offset + length}) of a ${this.size}-byte device`,
        { device: this.path },
      );
    }
    const buf = native.mmap(this.fd, length, offset, this.writable);
    this.mappings.push(buf);
    return buf;
  }

  /** Before reading bytes another host may have written. */
  invalidate(buf: Buffer, offset: number, length: number): void {
    if (this.cacheMaintenance && length > 0) native.invalidate(buf, offset, length);
  }

  /** After writing bytes another host will read. */
  flush(buf: Buffer, offset: number, length: number): void {
    if (this.cacheMaintenance && length > 0) native.flush(buf, offset, length);
  }

  /** Takes the cross-process exclusive lock that serializes log appends on this device. */
  lockExclusive(): void {
    native.flock(this.fd, native.LOCK_EX);
  }

  /** The same lock without waiting: false when another open file description holds it. */
  tryLockExclusive(): boolean {
    try {
      native.flock(this.fd, native.LOCK_EX | native.LOCK_NB);
      return true;
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'EWOULDBLOCK' || code === 'EAGAIN') return false;
      throw e;
    }
  }

  unlock(): void {
    native.flock(this.fd, native.LOCK_UN);
  }

  close(): void {
    for (const m of this.mappings) {
      if (this.writable && this.kind === 'file') native.msync(m, 0, m.length, true);
      native.unmap(m);
    }
    this.mappings = [];
    fs.closeSync(this.fd);
  }

  /** Unmaps one mapping made by map() before close(). */
  unmap(buf: Buffer): void {
    const i = this.mappings.indexOf(buf);
    if (i < 0) throw new RangeError('not a mapping of this device');
    this.mappings.splice(i, 1);
    native.unmap(buf);
  }

  /**
   * Reads and checks the superblock without keeping a mapping (for mkfs, fsck, role checks);
   * undefined when the device is too small to hold one. Goes through mmap because devdax
   * devices support nothing else.
   */
  readSuperblock(): SuperblockCheck | undefined {
    if (this.size < SUPERBLOCK_SIZE) return undefined;
    const area = this.map(0, SUPERBLOCK_SIZE);
    try {
      this.invalidate(area, 0, SuperblockLayout.size);
      return checkSuperblock(Buffer.from(area.subarray(0, SuperblockLayout.size)), this.size);
    } finally {
      this.unmap(area);
    }
  }
}

/** The superblock and log of an open device, mapped. */
export interface MetaMapping {
  sb: Superblock;
  /** The 2 MiB superblock area. */
  sbArea: Buffer;
  /** The whole log: header then entries. */
  log: Buffer;
}

/** Maps the superblock and the log; throws EBADSUPER when there is no valid superblock. */
export function mapMeta(dev: Device): MetaMapping {
  const { sb, sbArea } = mapSuperblock(dev);
  try {
    return { sb, sbArea, log: dev.map(LOG_OFFSET, sb.logLen) };
  } catch (e) {
    dev.unmap(sbArea);
    throw e;
  }
}

/**
 * Maps the superblock area and checks the superblock (EBADSUPER), without the log: for a pass
 * that reads the log a window at a time. Unmap sbArea when done (or close the device).
 */
export function mapSuperblock(dev: Device): { sb: Superblock; sbArea: Buffer } {
  if (dev.size < SUPERBLOCK_SIZE) {
    throw new FamfsError(
      'EBADSUPER',
      `${dev.path}: no valid famfs superblock: device of ${dev.size} bytes is smaller than a superblock`,
      { device: dev.path },
    );
  }
  const sbArea = dev.map(0, SUPERBLOCK_SIZE);
  try {
    dev.invalidate(sbArea, 0, SuperblockLayout.size);
    return { sb: parseSuperblock(sbArea, dev.path, dev.size), sbArea };
  } catch (e) {
    // A long-lived caller (the daemon's statfs) keeps its device open: leave nothing mapped.
    dev.unmap(sbArea);
    throw e;
  }
}

/** Unmaps what mapMeta mapped, for callers that keep the device open. */
export function unmapMeta(dev: Device, meta: MetaMapping): void {
  dev.unmap(meta.log);
  dev.unmap(meta.sbArea);
}
