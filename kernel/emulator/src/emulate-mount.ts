/**
 * An emulated mount: a daemon Session over an in-process strict QueueTransport, with a
 * FamfsKernelEmulator in front of it, for tests that drive a FileSystem as a famfs kernel would.
 */
import { AUTO_PROFILE, Session } from '@famfs/fuse';
import type { AbiProfile, FileSystem, SessionOptions } from '@famfs/fuse';
import { QueueTransport } from '@famfs/fuse/testing';
import { FamfsKernelEmulator } from './kernel';
import type { EmulatorOptions } from './kernel';

/** A daemon session over an in-process strict QueueTransport, with an emulated kernel in front of it. */
export interface EmulatedMount {
  session: Session;
  transport: QueueTransport;
  kernel: FamfsKernelEmulator;
}

/**
 * Wires a FileSystem into a Session (strict QueueTransport: replies checked as the kernel checks
 * them, ioctls answered by the emulator) and puts a FamfsKernelEmulator in front. INIT is not
 * sent: call kernel.init(). `profile` is both sides'; `session.profile` (e.g. "auto") and
 * `kernel.profile` set one side each.
 */
export function emulateMount(
  fs: FileSystem,
  options: { profile?: AbiProfile | string; session?: SessionOptions; kernel?: EmulatorOptions } = {},
): EmulatedMount {
  const transport = new QueueTransport();
  const daemonSide = options.session?.profile ?? options.profile ?? options.kernel?.profile;
  const session = new Session(fs, transport, { ...options.session, profile: daemonSide });
  const sessionSide = daemonSide === AUTO_PROFILE ? undefined : session.profile;
  const kernelSide = options.kernel?.profile ?? options.profile ?? sessionSide;
  const kernel = new FamfsKernelEmulator(session, { ...options.kernel, profile: kernelSide });
  return { session, transport, kernel };
}
