/** The two ways the emulated kernel fails a call: an errno for the process, or a broken protocol. */
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
