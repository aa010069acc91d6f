/**
 * The famfs data path of the kernel series (fs/fuse/famfs.c): claiming the device a GET_DAXDEV
 * names, the per-access famfs_file_bad() check, and I/O through the fmap straight on the device
 * (dax_iomap_rw with famfs_fileofs_to_daxofs(), §2.2/§2.3). No request is sent from here.
 */
import * as nodefs from 'fs';
import { Errno } from '@famfs/fuse';
import { KernelErrno } from './errors';
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
  if (!(st.isCharacterDevice() || (allowFile && st.isFile()))) {
    const kinds = allowFile ? 'a character device or a regular file' : 'a character device';
    return `GET_DAXDEV ${index}: "${name}" is not ${kinds} (EINVAL); slot left invalid`;
  }
  // fs_dax_get(): claiming can fail; then the slot is valid but every access is EIO.
  let fd: number | null = null;
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
