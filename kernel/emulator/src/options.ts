/** What a FamfsKernelEmulator is told: the profile, the kernel's strictness, the caller's credentials. */
import type { AbiProfile } from '@famfs/fuse';
import type { OfferOptions } from './init';

export interface EmulatorOptions extends OfferOptions {
  /** famfs ABI profile or its name (default v10). */
  profile?: AbiProfile | string;
  /** Throw from init() unless the daemon accepted famfs (default: offerFamfs). */
  requireFamfs?: boolean;
  /** Accept fmaps on device indices other than 0 (< 24). The V10 kernel refuses them (default false). */
  multiDevice?: boolean;
  /**
   * Accept a regular file as a daxdev (named by GET_DAXDEV or pushed by DAXDEV_OPEN). Default
   * false, as the kernel: a device must be a character device. Tests on image files opt in.
   */
  allowFileDaxdev?: boolean;
  /**
   * What a reply that matched its request but broke a payload rule does: throw
   * EmulatorProtocolError (default) or fail the request with EIO as the kernel does. Header
   * faults and missing replies always leave the request pending (KernelHang).
   */
  onMalformedReply?: 'throw' | 'eio';
  /** Credentials put in request headers (default 0, 0, process.pid). */
  uid?: number;
  gid?: number;
  pid?: number;
  /** Receives each warning as it is recorded. */
  log?: (message: string) => void;
}
