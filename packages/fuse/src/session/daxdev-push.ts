/**
 * Pushing a backing device to the kernel over the session's channel: the profile's DAXDEV_OPEN
 * ioctl on /dev/fuse with a fuse_backing_map {fd, flags 0, daxdev_index}, and the probe that
 * tells a kernel that has the ioctl (the famfs push generation) from one that has not.
 */
import { BackingMap } from '../protocol/abi';
import type { DaxdevPush } from '../protocol/profiles';
import type { Transport } from './transport';

/** What one probe found. */
export interface DaxdevProbe {
  /** The profile probed for. */
  readonly profile: string;
  readonly ioctl: number;
  /** The errno name the ioctl failed with, or 'OK'. */
  readonly answer: string;
  /** The kernel has the ioctl: the probed profile is the one to use. */
  readonly present: boolean;
}

/** A push the kernel refused; `code` is its errno name. */
export class DaxdevPushError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'DaxdevPushError';
  }
}

const codeOf = (e: unknown): string => (e as { code?: unknown } | null)?.code?.toString() ?? 'EIO';

/** ioctl(request, fuse_backing_map) on the channel: 'OK' or the errno name it failed with. */
function backingMapIoctl(transport: Transport, request: number, fd: number, index: number): string {
  // A transport without ioctls is a channel to a kernel without this one.
  if (!transport.ioctl) return 'ENOTTY';
  try {
    transport.ioctl(request, BackingMap.encode({ fd, flags: 0, daxdevIndex: index }));
    return 'OK';
  } catch (e) {
    return codeOf(e);
  }
}

/**
 * Asks the kernel whether it has DAXDEV_OPEN, without registering anything: fd -1 cannot name a
 * device, so a kernel with the ioctl refuses it with one of `push.probePresent`. Only meaningful
 * once INIT is answered: before, the channel may not be attached to the mount yet.
 */
export function probeDaxdevPush(transport: Transport, profile: string, push: DaxdevPush): DaxdevProbe {
  const answer = backingMapIoctl(transport, push.ioctl, -1, 0);
  return { profile, ioctl: push.ioctl, answer, present: push.probePresent.includes(answer) };
}

/**
 * Registers the device open at `fd` as daxdev `index`. Any non-negative result is success: the
 * famfs kernel returns 0 (and 0 again for an index already registered), where libfuse's helper
 * convention would read 0 as failure. Throws DaxdevPushError.
 */
export function pushDaxdev(transport: Transport, push: DaxdevPush, fd: number, index: number): void {
  const answer = backingMapIoctl(transport, push.ioctl, fd, index);
  if (answer !== 'OK') {
    throw new DaxdevPushError(answer, `DAXDEV_OPEN (ioctl 0x${push.ioctl.toString(16)}) of daxdev ${index}: ${answer}`);
  }
}
