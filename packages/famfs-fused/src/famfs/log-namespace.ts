/**
 * The famfs tree served from the device's log: the index (log-index.ts) says which names exist,
 * and a file's entry is read from its slot only when the kernel first asks about the file (and
 * kept with its inode while the kernel references it). That read checks the slot again as replay
 * does and that it still holds the path the index placed there: a slot another host rewrote
 * after it was placed is never served (one log line, ENOENT).
 *
 * Inode numbers come from the slots (slot + SLOT_INO_BASE; the root 1, .meta 2, its .superblock 3
 * and .log 4), so they are the same at every mount of the device.
 */
import { Errno, FuseErrno } from '@famfs/fuse';
import type { AttrValue } from '@famfs/fuse';
import { FamfsError, isFamfsError, roleOf } from '@famfs/libfamfs';
import type { Device } from '@famfs/libfamfs/device';
import type { FileEntry } from '@famfs/libfamfs/format';
import { LogReader } from '@famfs/libfamfs/log';
import { logMetaEntry, superblockMetaEntry } from '@famfs/libfamfs/shadow';
import { logDirAttr, logFileAttr } from './attrs';
import { LOG_META_SLOT, LogIndex, SUPERBLOCK_META_SLOT } from './log-index';
import type { IndexDir } from './log-index';
import { LogFollower } from './log-follower';
import type { CatchUp } from './log-follower';
import type { DirListing, Namespace, NsEntry, NsObject } from './namespace';

/** Inode number of log slot 0 (below: the root and the .meta objects). */
export const SLOT_INO_BASE = 16;

export function inoOfSlot(slot: number): number {
  return slot >= 0 ? slot + SLOT_INO_BASE : -slot;
}

function slotOfIno(ino: number): number {
  return ino >= SLOT_INO_BASE ? ino - SLOT_INO_BASE : -ino;
}

export interface LogNamespaceOptions {
  /** This host's system UUID: its role on the device decides whether .meta/.log is writable (the master's only). */
  systemUuid: Buffer | undefined;
  log: (message: string, level: number) => void;
  /** Logs a line once per key. */
  logOnce: (key: string, message: string) => void;
  /** The reader's window size (default LogReader's). */
  windowBytes?: number;
}

export class LogNamespace implements Namespace {
  readonly source = 'log';
  readonly reader: LogReader;
  readonly index: LogIndex;
  readonly follower: LogFollower;
  private readonly metaEntries: Map<number, FileEntry>;
  /** Attributes made per directory, with the version of the directory they were made from. */
  private readonly dirAttrs = new WeakMap<IndexDir, { version: number; attr: AttrValue }>();

  constructor(
    device: Device,
    private readonly opts: LogNamespaceOptions,
  ) {
    this.reader = LogReader.open(device, { windowBytes: opts.windowBytes });
    this.index = new LogIndex(this.reader.slots, Date.now());
    this.follower = new LogFollower(this.reader, this.index, opts.log);
    this.metaEntries = new Map([
      [SUPERBLOCK_META_SLOT, superblockMetaEntry()],
      [LOG_META_SLOT, logMetaEntry(this.reader.sb.logLen, roleOf(this.reader.sb, opts.systemUuid))],
    ]);
  }

  /** Reads the whole log into the index (the first answer waits for this); later catch-ups are dated. */
  build(): CatchUp | null {
    const c = this.follower.catchUp(this.index.builtAt);
    // A log that cannot be read at all is not mounted (as logplay refuses it): EBADLOG.
    if (this.follower.stopped)
      throw new FamfsError('EBADLOG', `${this.reader.device.path}: ${this.follower.stopReason}`);
    this.index.seal();
    // The scan touched every window: give the memory back, entries are read again one at a time.
    this.reader.dropWindows();
    return c;
  }

  /** Reads what the log gained since the last catch-up (null: nothing, or following has stopped). */
  catchUp(now = Date.now()): CatchUp | null {
    return this.follower.catchUp(now);
  }

  root(): { attr: AttrValue; ino: number } {
    return { attr: this.attrOfDir(this.index.root), ino: 1 };
  }

  child(dirPath: string, name: string): NsObject | undefined {
    const slot = this.index.dir(dirPath)?.children.get(name);
    if (slot === undefined) return undefined;
    const kind = this.index.kindOf(slot);
    return kind ? { kind, ino: inoOfSlot(slot) } : undefined;
  }

  load(path: string, obj: NsObject): { attr: AttrValue; entry?: FileEntry } {
    const slot = slotOfIno(obj.ino);
    if (obj.kind === 'dir') {
      const d = this.index.dirOfSlot(slot);
      if (!d) throw new FuseErrno(Errno.ENOENT);
      return { attr: this.attrOfDir(d) };
    }
    const entry = this.entryOf(slot, path);
    return { attr: logFileAttr(obj.ino, entry, this.index.placedTime(slot)), entry };
  }

  dirAttr(path: string, ino: number): AttrValue | undefined {
    const d = this.index.dir(path);
    return d && inoOfSlot(d.slot) === ino ? this.attrOfDir(d) : undefined;
  }

  list(path: string): DirListing {
    const d = this.index.dir(path);
    if (!d) throw new FuseErrno(Errno.ENOENT);
    const index = this.index;
    return {
      at(i: number): NsEntry | undefined {
        if (i >= d.order.length) return undefined;
        const slot = d.order[i];
        return { name: d.names[i], kind: index.kindOf(slot) ?? 'file', ino: inoOfSlot(slot) };
      },
    };
  }

  /** Unmaps what the reader mapped (the device is the caller's). */
  close(): void {
    this.reader.close();
  }

  private attrOfDir(d: IndexDir): AttrValue {
    const c = this.dirAttrs.get(d);
    if (c && c.version === d.version) return c.attr;
    const attr = logDirAttr(inoOfSlot(d.slot), d, d.changedAt);
    this.dirAttrs.set(d, { version: d.version, attr });
    return attr;
  }

  /** The file entry in `slot`, read and checked now; ENOENT (logged once) when the slot no longer holds `path`. */
  private entryOf(slot: number, path: string): FileEntry {
    const meta = this.metaEntries.get(slot);
    if (meta) return meta;
    let why: string;
    try {
      const e = this.reader.entry(slot);
      if (e.type === 'file' && e.path === path) return e;
      why = `now holds ${e.type === 'add_daxdev' ? 'an ADD_DAXDEV entry' : `'${e.path}' (${e.type})`}`;
    } catch (e) {
      if (!isFamfsError(e)) throw e;
      why = e.message;
    }
    this.opts.logOnce(
      `slot:${slot}`,
      `log slot ${slot} of '${path}' changed after it was read: ${why}; answering ENOENT`,
    );
    throw new FuseErrno(Errno.ENOENT, why);
  }
}
