/**
 * How the emulated kernel fails a call: an errno for the process, a broken protocol, a task that
 * blocks forever, or a kernel crash.
 */
import { errnoName } from '@famfs/fuse';

/** An errno a process would get from the syscall. */
export class KernelErrno extends Error {
  constructor(
    readonly errno: number,
    message?: string,
  ) {
    super(`${errnoName(errno)}${message ? `: ${message}` : ''}`);
    this.name = 'KernelErrno';
  }
  get code(): string {
    return errnoName(this.errno);
  }
}

/** The daemon broke the protocol in a way the kernel would refuse (or could not survive). */
export class EmulatorProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EmulatorProtocolError';
  }
}

/**
 * The calling task would block forever: the daemon's answer never completed the request (no
 * reply, or one the kernel refused at the header: out_header.len not the bytes written, an error
 * out of [-511, 0], a unique no request has), so it stays pending and the syscall waits for it.
 */
export class KernelHang extends Error {
  constructor(
    readonly unique: bigint,
    message: string,
  ) {
    super(message);
    this.name = 'KernelHang';
  }
}

/**
 * The kernel itself would crash in the calling task (an oops: V10 divides by an interleaved
 * extent's chunk size of 0 at the first access). On a real machine the task is killed, locks it
 * held may stay held, and panic_on_oops takes the machine down.
 */
export class KernelOops extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KernelOops';
  }
}

/** The errno `fn` failed with, or 0 when it succeeded. Other exceptions propagate. */
export function errnoOf(fn: () => unknown): number {
  try {
    fn();
    return 0;
  } catch (e) {
    if (e instanceof KernelErrno) return e.errno;
    throw e;
  }
}
