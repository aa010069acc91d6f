/**
 * The famfs data path of the kernel series (fs/fuse/famfs.c): claiming the device a GET_DAXDEV
 * names or a DAXDEV_OPEN pushes, the per-access famfs_file_bad() check, and I/O through the fmap
 * straight on the device (dax_iomap_rw with famfs_fileofs_to_daxofs(), §2.2/§2.3). No request is
 * sent from here.
 *
 * A daxdev must be a character device, as the kernel checks (S_ISCHR). Tests that back the device
 * with an image file opt in with `allowFile`; a real kernel would leave such a slot invalid.
 */
import * as nodefs from 'fs';
import { BackingMap, Errno } from '@famfs/fuse';
import { KernelErrno } from './errors';
import { MAX_DAXDEVS } from './fmap';
import { fileOffsetToDax } from './fmap';
import type { DaxdevSlot, EmulatedInode } from './records';

/** Copies `n` bytes between the caller's buffer at `bufAt` and the device at `devOffset`. */
export type DaxIo = (slot: DaxdevSlot, devOffset: number, bufAt: number, n: number) => void;

/**
 * famfs_verify_daxdev() then fs_dax_get() for the device GET_DAXDEV `index` named: the table
 * slot, or why the slot stays invalid. A device that is found but cannot be opened still fills
 * the slot (every access through it is then EIO).
 */
export function claimDaxdev(index: number, name: string, allowFile: boolean): DaxdevSlot | string {
  // famfs_verify_daxdev(): kern_path(LOOKUP_FOLLOW), then the type check.
  let st: nodefs.Stats;
  try {
    st = nodefs.statSync(name);
  } catch (err) {
    return `GET_DAXDEV ${index}: "${name}": ${(err as NodeJS.ErrnoException).code ?? err}; slot left invalid`;
  }
  if (!isDaxdevKind(st, allowFile)) {
    return `GET_DAXDEV ${index}: "${name}" is not ${kindsAccepted(allowFile)} (EINVAL); slot left invalid`;
  }
  return openSlot(index, name, st);
}

/** S_ISCHR, or a regular file where a test allows one. */
function isDaxdevKind(st: nodefs.Stats, allowFile: boolean): boolean {
  return st.isCharacterDevice() || (allowFile && st.isFile());
}

const kindsAccepted = (allowFile: boolean): string =>
  allowFile ? 'a character device or a regular file' : 'a character device';

/** The slot of a verified device: fs_dax_get() can fail, then the slot is valid but every access is EIO. */
function openSlot(index: number, name: string, st: nodefs.Stats): DaxdevSlot {
  let fd: number | null;
  let writable = true;
  try {
    fd = nodefs.openSync(name, 'r+');
  } catch {
    try {
      fd = nodefs.openSync(name, 'r');
      writable = false;
    } catch {
      fd = null;
    }
  }
  let size = BigInt(st.size);
  if (fd !== null && st.isCharacterDevice()) size = 1n << 62n; // a devdax size is not in stat; trust the device
  return { index, name, daxErr: fd === null, fd, size, writable };
}

/**
 * famfs_daxdev_open(), the push generation's DAXDEV_OPEN, on an argument that is a
 * fuse_backing_map, in the kernel's order: famfs not negotiated EOPNOTSUPP, a bad fd EBADF, not a
 * character device EINVAL, an index past the table EINVAL, an installed slot 0 (idempotent), a
 * slot whose claim failed before EIO. Otherwise the device behind the fd is claimed (reopened
 * through /proc/self/fd: the kernel keeps its own reference, so the daemon may close its fd) and
 * installed; a device that cannot be claimed marks the slot failed for good (EIO). Returns the
 * new slot, or throws KernelErrno.
 */
export function pushDaxdevSlot(
  arg: Buffer,
  table: ReadonlyMap<number, DaxdevSlot>,
  o: { famfs: boolean; allowFile: boolean },
): DaxdevSlot | null {
  if (arg.length < BackingMap.size) throw new KernelErrno(Errno.EFAULT, `argument of ${arg.length} bytes`);
  const { fd, daxdevIndex: index } = BackingMap.decode(arg);
  if (!o.famfs) throw new KernelErrno(Errno.EOPNOTSUPP, 'the connection is not in famfs mode');
  let st: nodefs.Stats;
  let name: string;
  try {
    st = nodefs.fstatSync(fd);
    name = nodefs.readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    throw new KernelErrno(Errno.EBADF, `fd ${fd}`);
  }
  if (!isDaxdevKind(st, o.allowFile)) {
    throw new KernelErrno(Errno.EINVAL, `"${name}" is not ${kindsAccepted(o.allowFile)}`);
  }
  if (index >= MAX_DAXDEVS) throw new KernelErrno(Errno.EINVAL, `daxdev index ${index} >= ${MAX_DAXDEVS}`);
  const slot = table.get(index);
  if (slot && !slot.daxErr) return null;
  if (slot) throw new KernelErrno(Errno.EIO, `daxdev ${index} could not be claimed before`);
  return openSlot(index, name, st);
}

/** famfs_file_bad(): a missing fmap or a past error is EIO; an i_size that moved is ENXIO once, then EIO. */
export function famfsFileBad(ino: EmulatedInode): void {
  if (!ino.fmap) throw new KernelErrno(Errno.EIO, 'un-initialized famfs file');
  if (ino.metaError) throw new KernelErrno(Errno.EIO, 'file has a previous metadata error');
  if (ino.size !== ino.fmap.fileSize) {
    ino.metaError = true;
    throw new KernelErrno(Errno.ENXIO, `i_size overwritten from ${ino.fmap.fileSize} to ${ino.size}`);
  }
}

/** dax_iomap_rw over the fmap: walks mappings until `len` bytes are done or one fails. */
export function daxRw(
  ino: EmulatedInode,
  daxdevs: ReadonlyMap<number, DaxdevSlot>,
  offset: number,
  len: number,
  io: DaxIo,
): number {
  const fmap = ino.fmap!;
  const iSize = fmap.fileSize;
  const pos = BigInt(offset);
  if (pos >= iSize) return 0;
  let count = BigInt(len);
  if (count > iSize - pos) count = iSize - pos;
  let done = 0n;
  while (done < count) {
    const m = fileOffsetToDax(fmap, pos + done, count - done);
    const slot = m ? daxdevs.get(m.devIndex) : undefined;
    if (!m || m.length <= 0n || !slot || slot.daxErr || slot.fd === null || m.devOffset + m.length > slot.size) {
      if (done > 0n) break;
      const why = !m
        ? 'offset past the extent list'
        : !slot
          ? `device ${m.devIndex} not in the daxdev table`
          : slot.daxErr
            ? `device ${m.devIndex} could not be claimed`
            : `mapping ${m.devOffset}+${m.length} past the device end ${slot.size}`;
      throw new KernelErrno(Errno.EIO, `nodeid ${ino.nodeid} at file offset ${pos + done}: ${why}`);
    }
    io(slot, Number(m.devOffset), Number(done), Number(m.length));
    done += m.length;
  }
  return Number(done);
}
