/**
 * flock(2) through a famfs mount (FLOCK_LOCKS negotiated, so the kernel sends SETLK/SETLKW with
 * FUSE_LK_FLOCK and the file as owner). One exclusive lock per file system, as the C daemon's
 * mutex:
 * - LOCK_EX is granted when free, or again to its holder (Linux flock semantics; C answers
 *   EINVAL there). While held, the device is also flock(LOCK_EX)ed, so libfamfs processes working
 *   on the device directly wait for it (and we wait for them).
 * - Held by another owner through this mount: EWOULDBLOCK (= EAGAIN), also for SETLKW. The
 *   session answers one request at a time, so blocking here could never see the holder's unlock
 *   (it arrives as a later request): it would deadlock the mount. C blocks a worker thread instead.
 * - Device lock held by a process outside the mount: LOCK_NB gets EWOULDBLOCK; SETLKW polls it for
 *   up to lockWaitMs (default 5 s; the mount serves nothing else meanwhile), then EWOULDBLOCK.
 * - LOCK_UN releases (a no-op for a non-holder); closing the holder's last fd releases too.
 * - LOCK_SH: EINVAL, as C. POSIX (fcntl) locks are not negotiated, so the kernel keeps them local.
 */
import { sleepMs } from '@famfs/native';
import type { Device } from '@famfs/libfamfs/device';
import { Errno, FuseErrno } from '@famfs/fuse';
import type { SetlkRequest } from '@famfs/fuse';

const F_RDLCK = 0;
const F_WRLCK = 1;
const F_UNLCK = 2;

interface Holder {
  owner: bigint;
  nodeid: number;
  deviceLocked: boolean;
}

export interface MountFlockOptions {
  /** How long SETLKW polls for a device lock held outside the mount, in ms (default 5000). */
  lockWaitMs?: number;
  log: (message: string) => void;
  debug: (message: string) => void;
}

export class MountFlock {
  private holder: Holder | null = null;

  constructor(
    /** The famfs device whose lock serializes log appends (null: no daxdev, lock the mount only). */
    private readonly device: Device | null,
    private readonly opts: MountFlockOptions,
  ) {}

  /** SETLK/SETLKW on the file `path` (nodeid `nodeid`). */
  setlk(req: SetlkRequest, nodeid: number, path: string): void {
    if (!req.flock) throw new FuseErrno(Errno.EINVAL, 'POSIX locks are not supported');
    const type = req.lk.type;
    const holder = this.holder;
    if (type === F_UNLCK) {
      if (holder && holder.owner === req.owner) this.release();
      return;
    }
    if (type === F_RDLCK) throw new FuseErrno(Errno.EINVAL, 'shared flock is not supported (famfs uses LOCK_EX only)');
    if (type !== F_WRLCK) throw new FuseErrno(Errno.EINVAL);
    if (holder) {
      if (holder.owner === req.owner) return;
      this.opts.debug(`flock ${path}: held by owner ${holder.owner}; EWOULDBLOCK`);
      throw new FuseErrno(Errno.EWOULDBLOCK);
    }
    const deviceLocked = this.device ? this.lockDevice(req.sleep, path) : false;
    this.holder = { owner: req.owner, nodeid, deviceLocked };
    this.opts.debug(`flock ${path}: granted to owner ${req.owner}`);
  }

  /** Takes the device lock, polling up to lockWaitMs for SETLKW; EWOULDBLOCK when it stays taken. */
  private lockDevice(wait: boolean, path: string): boolean {
    const dev = this.device!;
    const deadline = Date.now() + (wait ? (this.opts.lockWaitMs ?? 5000) : 0);
    let pause = 5;
    for (;;) {
      let got: boolean;
      try {
        got = dev.tryLockExclusive();
      } catch (e) {
        throw new FuseErrno(Errno.EIO, `flock of ${dev.path}: ${(e as Error).message}`);
      }
      if (got) return true;
      if (Date.now() >= deadline) {
        this.opts.debug(`flock ${path}: ${dev.path} is locked by another process; EWOULDBLOCK`);
        throw new FuseErrno(Errno.EWOULDBLOCK);
      }
      sleepMs(pause);
      pause = Math.min(100, pause * 2);
    }
  }

  /** Drops the lock when `owner` holds it (the holder's last close, FUSE_RELEASE_FLOCK_UNLOCK). */
  releaseIfOwner(owner: bigint): boolean {
    if (!this.holder || this.holder.owner !== owner) return false;
    this.release();
    return true;
  }

  /** Drops the lock, whoever holds it (unmount). */
  release(): void {
    const h = this.holder;
    if (!h) return;
    this.holder = null;
    if (h.deviceLocked && this.device) {
      try {
        this.device.unlock();
      } catch (e) {
        this.opts.log(`unlock of ${this.device.path} failed: ${(e as Error).message}`);
      }
    }
  }

  /** The current holder (for tests and diagnostics). */
  get current(): { owner: bigint; nodeid: number } | null {
    return this.holder ? { owner: this.holder.owner, nodeid: this.holder.nodeid } : null;
  }
}
