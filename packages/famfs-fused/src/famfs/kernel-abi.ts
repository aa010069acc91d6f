/**
 * What the famfs file system does differently per famfs kernel ABI generation, kept out of
 * famfs-fs.ts: the profile in force (INIT's, then the Connection's once "auto" has probed), the
 * form fmaps go out in (simple-only where the profile refuses interleave or --simple-fmaps asks),
 * the daxdev pusher of push profiles, and the one large fmap held between a header-only reply and
 * the kernel's retry (a 1 TiB striped file's fmap is 12 MiB: built once, not twice).
 */
import { chooseProfile } from '@famfs/fuse';
import type { AbiProfile, Connection, ConnectionInfo } from '@famfs/fuse';
import type { FileEntry } from '@famfs/libfamfs/format';
import { DaxdevPusher } from './daxdev-push';
import { encodeFmapReply, unrolls } from './fmap-reply';

export interface KernelAbiOptions {
  /** Profile name (or "auto") used before INIT says more. */
  abi?: string;
  /** Unroll interleaved files on every kernel (famfs_fused --simple-fmaps). */
  simpleFmaps?: boolean;
  /** The device of daxdev index 0. */
  daxdev?: string;
  log: (message: string) => void;
}

export class KernelAbi {
  private current: AbiProfile;
  private pusher: DaxdevPusher | null = null;
  private held: { nodeid: number; fmap: Buffer } | null = null;

  constructor(private readonly o: KernelAbiOptions) {
    this.current = chooseProfile(o.abi).initial;
  }

  get profile(): AbiProfile {
    return this.current;
  }

  /** The daxdev pusher, when this connection pushes devices. */
  get daxdevPusher(): DaxdevPusher | null {
    return this.pusher;
  }

  init(info: ConnectionInfo): void {
    this.current = info.profile;
  }

  /** INIT is answered and the profile settled; `famfs`: the file system asked for famfs mode. */
  connected(conn: Connection, famfs: boolean): void {
    this.current = conn.profile;
    const dev = this.o.daxdev;
    this.pusher = famfs && dev && conn.pushDaxdev ? new DaxdevPusher([dev], conn.pushDaxdev, this.o.log) : null;
    if (!famfs) return;
    const form = unrolls(conn.profile, { simpleFmaps: this.o.simpleFmaps }) ? 'simple-only' : 'as logged';
    const devices = this.pusher ? 'pushed at LOOKUP' : 'named by GET_DAXDEV';
    this.o.log(`famfs kernel ABI ${conn.profile.name}: fmaps ${form}, daxdevs ${devices}`);
  }

  /** A regular file was looked up (LOOKUP, or a READDIRPLUS entry: the kernel sends no LOOKUP after it). */
  lookedUp(entry: FileEntry): void {
    this.pusher?.lookedUp(entry);
  }

  /** The fmap of `nodeid` for a GET_FMAP with a reply buffer of `bufferSize`. */
  fmap(nodeid: number, entry: FileEntry, bufferSize: number): Buffer {
    const held = this.held;
    this.held = null;
    const fmap =
      held && held.nodeid === nodeid
        ? held.fmap
        : encodeFmapReply(entry, this.current, { simpleFmaps: this.o.simpleFmaps });
    // Too large for this buffer: the session sends the header alone and the kernel asks again.
    if (fmap.length > bufferSize && this.current.fmapSizing) this.held = { nodeid, fmap };
    return fmap;
  }
}
