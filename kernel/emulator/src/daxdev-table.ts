/**
 * The daxdev table of one emulated famfs connection (fc->dax_devlist in the famfs series): which
 * device index is installed, claimed or failed. The V10 generation fills it by asking GET_DAXDEV
 * for each index an fmap names (famfs_update_daxdev_table()); the push generation lets the daemon
 * install devices with the DAXDEV_OPEN ioctl, and an fmap naming an index nobody pushed is an
 * ENODEV in famfs_check_daxdev_table().
 */
import * as nodefs from 'fs';
import { DAXDEV_NAME_MAX, DaxdevOut, Errno } from '@famfs/fuse';
import type { AbiProfile } from '@famfs/fuse';
import { claimDaxdev, pushDaxdevSlot } from './dax';
import { KernelErrno } from './errors';
import { MAX_DAXDEVS } from './fmap';
import type { KernelFmap } from './fmap';
import type { DaxdevSlot } from './records';

/** What the table needs from the emulator around it. */
export interface DaxdevTableHost {
  /** Image files are accepted as daxdevs (tests only; a real kernel wants a character device). */
  allowFile: boolean;
  /** Whether the connection is in famfs mode right now (DAXDEV_OPEN is EOPNOTSUPP before). */
  famfsNow(): boolean;
  /** Sends GET_DAXDEV for an index and returns the reply payload (throws KernelErrno). */
  getDaxdev(index: number): Buffer;
  warn(message: string): void;
  /** A malformed GET_DAXDEV reply: the kernel fails the request (throws). */
  malformed(message: string): never;
}

export class DaxdevTable {
  readonly slots = new Map<number, DaxdevSlot>();
  /** GET_DAXDEV requests sent, per device index. */
  readonly requests = new Map<number, number>();
  /** DAXDEV_OPEN ioctls the daemon made: the index and what the kernel answered ('OK' or an errno name). */
  readonly pushes: { index: number; answer: string }[] = [];

  constructor(
    private readonly profile: AbiProfile,
    private readonly host: DaxdevTableHost,
  ) {}

  /** Indices the fmap references that are neither installed nor known to have failed (push generation). */
  unpushed(fmap: KernelFmap): number[] {
    return fmap.devices.filter((i) => !this.slots.has(i));
  }

  /**
   * DAXDEV_OPEN (pushDaxdevSlot in dax.ts); any other ioctl, and every ioctl on a kernel without
   * push, is ENOTTY. Returns 0 or throws KernelErrno (its `code` is the errno name the daemon sees).
   */
  ioctl(request: number, arg: Buffer): number {
    const push = this.profile.daxdevPush;
    if (!push || request !== push.ioctl) throw new KernelErrno(Errno.ENOTTY, `ioctl 0x${request.toString(16)}`);
    const index = arg.length >= 16 ? Number(arg.readBigUInt64LE(8)) : -1;
    try {
      const slot = pushDaxdevSlot(arg, this.slots, { famfs: this.host.famfsNow(), allowFile: this.host.allowFile });
      if (slot) this.slots.set(slot.index, slot);
      if (slot?.daxErr) throw new KernelErrno(Errno.EIO, `daxdev ${slot.index} (${slot.name}) could not be claimed`);
      const flags = arg.readUInt32LE(4);
      if (flags !== 0)
        this.host.warn(`DAXDEV_OPEN of daxdev ${index} with flags 0x${flags.toString(16)} (reserved: 0)`);
    } catch (e) {
      if (e instanceof KernelErrno) this.pushes.push({ index, answer: e.code });
      throw e;
    }
    this.pushes.push({ index, answer: 'OK' });
    return 0;
  }

  /** famfs_update_daxdev_table() for one index: GET_DAXDEV unless the slot is valid. Errors are logged only. */
  update(index: number): void {
    if (this.slots.has(index)) return;
    if (index >= MAX_DAXDEVS) {
      this.host.warn(`device index ${index} >= ${MAX_DAXDEVS}: no GET_DAXDEV sent`);
      return;
    }
    this.requests.set(index, (this.requests.get(index) ?? 0) + 1);
    let p: Buffer;
    try {
      p = this.host.getDaxdev(index);
    } catch (err) {
      if (err instanceof KernelErrno) {
        this.host.warn(
          `GET_DAXDEV ${index} failed (${err.code}); the open goes on, I/O on device ${index} will fail with EIO`,
        );
        return;
      }
      throw err;
    }
    const nameField = p.subarray(DaxdevOut.offsetOf('name'), DaxdevOut.offsetOf('name') + DAXDEV_NAME_MAX);
    const nul = nameField.indexOf(0);
    if (nul < 0) {
      this.host.malformed(
        `daxdev name is not NUL-terminated within ${DAXDEV_NAME_MAX} bytes (the kernel kstrdup()s past it)`,
      );
    }
    const name = nameField.toString('utf8', 0, nul);
    const outIndex = DaxdevOut.get(p, 'index');
    if (outIndex !== index) this.host.warn(`GET_DAXDEV ${index} answered with index field ${outIndex}`);
    const slot = claimDaxdev(index, name, this.host.allowFile);
    if (typeof slot === 'string') this.host.warn(slot);
    else this.slots.set(index, slot);
  }

  /** Closes every claimed device (unmount). */
  close(): void {
    for (const s of this.slots.values()) if (s.fd !== null) nodefs.closeSync(s.fd);
    this.slots.clear();
  }
}
