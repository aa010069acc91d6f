/** What the emulated kernel keeps: per inode, per daxdev table slot, per open file, per looked-up name. */
import type { AttrValue } from '@famfs/fuse';
import type { KernelFmap } from './fmap';

/** What the emulator keeps per inode (struct fuse_inode, with its famfs_meta). */
export interface EmulatedInode {
  nodeid: number;
  generation: number;
  mode: number;
  /** i_size as attribute replies and the fmap set it. */
  size: bigint;
  /** Lookup references the kernel holds (sent back in FORGET). */
  nlookup: number;
  fmap?: KernelFmap;
  /** famfs_meta->error: set once i_size was found overwritten; every later access is EIO. */
  metaError: boolean;
  /** Open handles on this inode. */
  opens: number;
}

export interface DaxdevSlot {
  index: number;
  name: string;
  /** The device could not be claimed (opened): every access is EIO. */
  daxErr: boolean;
  fd: number | null;
  size: bigint;
  writable: boolean;
}

export interface FileHandle {
  readonly id: number;
  readonly nodeid: number;
  readonly fh: number;
  readonly flags: number;
  readonly path: string;
  readonly dir: boolean;
  readonly famfs: boolean;
  released: boolean;
}

export interface EntryInfo {
  nodeid: number;
  generation: number;
  attr: AttrValue;
}
