/**
 * The famfs v1 file ioctls, answered from the file's map so that the C `famfs getmap` and
 * `famfs check` work on a famfs-ts mount: they open a file and ask FAMFSIOC_NOP ("is this famfs?"),
 * then MAP_GET (check; getmap before KABI 43) or MAP_GET_V2 (getmap), and MAP_GETEXT for the
 * extents. The C FUSE daemon answers none of them, so those commands fail on its mounts.
 *
 * The answers follow the v1 kernel module (famfs_file_ioctl) with these choices:
 * - MAP_GET fills every field it can: file_type (SUPERBLOCK and LOG for .meta/.superblock and
 *   .meta/.log, REG otherwise) and up to two extents in ext_list, which the module leaves 0.
 *   ext_list_count is the real count (1 for an interleaved file), so `famfs check` passes for
 *   every file whatever its map.
 * - MAP_GETEXT copies as many simple extents as out_size holds. Through FUSE that is _IOC_SIZE of
 *   the command, one famfs_extent: the kernel copies no more back whatever the reply says (the
 *   module writes ext_list_count of them past the declared size, which FUSE cannot).
 * - MAP_GET_V2 is the 448-byte famfs_ioc_get_fmap; a map it cannot hold (more than 2 simple
 *   extents, more than 16 strips) is E2BIG rather than a truncated map. Interleaved MAP_GETEXT is
 *   EINVAL, as in the module.
 * Refused: directories (FUSE_IOCTL_DIR, or a directory inode) and any other command with ENOTTY,
 * as the module has no directory ioctls; 32-bit and compat callers with ENOTTY (only the 64-bit
 * layouts are served); a known command whose sizes are not its struct's with EINVAL.
 */
import { LOG_META, SUPERBLOCK_META } from '@famfs/libfamfs/format';
import type { Extent, FileEntry } from '@famfs/libfamfs/format';
import {
  Errno,
  FamfsFileType,
  FUSE_IOCTL_32BIT,
  FUSE_IOCTL_COMPAT,
  FUSE_IOCTL_COMPAT_X32,
  FUSE_IOCTL_DIR,
  FuseErrno,
} from '@famfs/fuse';
import type { IoctlReply, IoctlRequest } from '@famfs/fuse';
import {
  FAMFS_IOC_MAX_EXTENTS,
  FAMFS_IOC_MAX_STRIPS,
  FamfsExtent,
  FamfsIoc,
  FamfsIocExtType,
  FamfsIocGetFmapInterleaved,
  FamfsIocGetFmapSimple,
  FamfsIocMap,
  FamfsIocSimpleExtent,
} from './ioctl-abi';

/** What an ioctl is asked of: an inode as famfs-fs.ts keeps it. */
export interface IoctlTarget {
  readonly kind: 'file' | 'dir';
  /** Path relative to the shadow root ('' for the root). */
  readonly path: string;
  readonly entry?: FileEntry;
}

const NOT_64BIT = FUSE_IOCTL_32BIT | FUSE_IOCTL_COMPAT | FUSE_IOCTL_COMPAT_X32;

/** Answers one IOCTL; throws FuseErrno for everything refused. */
export function answerIoctl(req: IoctlRequest, target: IoctlTarget): IoctlReply {
  const cmd = hex(req.cmd);
  if (req.flags & FUSE_IOCTL_DIR || target.kind !== 'file' || !target.entry) {
    throw new FuseErrno(Errno.ENOTTY, `ioctl ${cmd} on a directory`);
  }
  if (req.flags & NOT_64BIT) throw new FuseErrno(Errno.ENOTTY, `ioctl ${cmd} from a 32-bit or compat caller`);
  const entry = target.entry;
  switch (req.cmd) {
    case FamfsIoc.NOP:
      sizes(req, 0);
      return { result: 0 };
    case FamfsIoc.MAP_GET:
      sizes(req, FamfsIocMap.size);
      return { result: 0, data: mapGet(entry, fileType(target.path)) };
    case FamfsIoc.MAP_GETEXT:
      sizes(req, FamfsExtent.size);
      return { result: 0, data: mapGetext(entry, req.outSize) };
    case FamfsIoc.MAP_GET_V2:
      sizes(req, FamfsIocGetFmapSimple.size);
      return { result: 0, data: mapGetV2(entry, fileType(target.path)) };
    default:
      throw new FuseErrno(Errno.ENOTTY, `unknown ioctl ${cmd}`);
  }
}

const hex = (n: number): string => `0x${n.toString(16)}`;

/** A restricted read ioctl carries no input and asks for exactly its struct. */
function sizes(req: IoctlRequest, out: number): void {
  if (req.inSize !== 0 || req.outSize !== out) {
    const want = `in 0, out ${out}`;
    throw new FuseErrno(Errno.EINVAL, `ioctl ${hex(req.cmd)}: in ${req.inSize}, out ${req.outSize} (want ${want})`);
  }
}

/** The v1 module marks the two metadata files; everything else is a regular file. */
function fileType(path: string): number {
  if (path === SUPERBLOCK_META) return FamfsFileType.SUPERBLOCK;
  if (path === LOG_META) return FamfsFileType.LOG;
  return FamfsFileType.REG;
}

function extents(list: readonly Extent[]): Buffer {
  return Buffer.concat(list.map((e) => FamfsExtent.encode({ offset: e.offset, len: e.len })));
}

function simpleExtents(list: readonly Extent[]): Buffer {
  return Buffer.concat(
    list.map((e) => FamfsIocSimpleExtent.encode({ devindex: e.devIndex, offset: e.offset, len: e.len })),
  );
}

/** famfs_ioc_map (56 bytes). */
export function mapGet(entry: FileEntry, type: number): Buffer {
  const f = entry.fmap;
  const simple = f.kind === 'simple';
  return FamfsIocMap.encode({
    extentType: simple ? FamfsIocExtType.SIMPLE : FamfsIocExtType.INTERLEAVE,
    fileType: type,
    fileSize: entry.size,
    extListCount: simple ? f.extents.length : 1,
    extList: simple ? extents(f.extents.slice(0, FAMFS_IOC_MAX_EXTENTS)) : Buffer.alloc(0),
  });
}

/** famfs_extent[outSize / 16] for a simple map, zero-filled past the last extent. */
export function mapGetext(entry: FileEntry, outSize: number): Buffer {
  const f = entry.fmap;
  if (f.kind !== 'simple') throw new FuseErrno(Errno.EINVAL, 'MAP_GETEXT on an interleaved file');
  const out = Buffer.alloc(outSize);
  extents(f.extents.slice(0, Math.floor(outSize / FamfsExtent.size))).copy(out);
  return out;
}

/** famfs_ioc_get_fmap (448 bytes): the simple or the interleaved arm of its union. */
export function mapGetV2(entry: FileEntry, type: number): Buffer {
  const f = entry.fmap;
  const simple = f.kind === 'simple';
  const list = simple ? f.extents : f.strips;
  const max = simple ? FAMFS_IOC_MAX_EXTENTS : FAMFS_IOC_MAX_STRIPS;
  if (list.length > max) {
    throw new FuseErrno(Errno.E2BIG, `${list.length} ${simple ? 'extents' : 'strips'} do not fit famfs_ioc_get_fmap`);
  }
  // An interleaved map is one interleaved extent covering the whole file (fioc_niext 1), as the module has it.
  const iocmap = {
    fiocFileSize: entry.size,
    fiocFileType: type,
    fiocExtType: simple ? FamfsIocExtType.SIMPLE : FamfsIocExtType.INTERLEAVE,
    fiocNextents: simple ? list.length : 1,
    kse: 0,
  };
  if (simple) return FamfsIocGetFmapSimple.encode({ iocmap, ikse: simpleExtents(list) });
  const ikie = { ieNstrips: list.length, ieChunkSize: f.chunkSize, ieNbytes: entry.size, ieStrips: 0 };
  return FamfsIocGetFmapInterleaved.encode({ iocmap, ikie, kieStrips: simpleExtents(list) });
}
