/**
 * INIT, the kernel's half (fuse_new_init(), process_init_reply()): what it offers and what it
 * makes of the daemon's answer. Shared by FamfsKernelEmulator.init() and the fuzzer, which
 * negotiates the same way before it starts.
 */
import { FUSE_INIT_EXT, FUSE_KERNEL_MINOR_VERSION, InitBit, initFlag, InitOut } from '@famfs/fuse';
import type { AbiProfile } from '@famfs/fuse';
import { initMsg, STOCK_OFFER } from '@famfs/fuse/testing';

/** Kernel page size: the unit of READ sizes and of max_pages. */
export const PAGE_SIZE = 4096;
/** FUSE_DEFAULT_MAX_PAGES_PER_REQ: max_pages when the daemon does not negotiate MAX_PAGES. */
const DEFAULT_MAX_PAGES = 32;
/** fuse_max_pages_limit default. */
const MAX_PAGES_LIMIT = 256;

/**
 * What fuse_new_init() offers on a current kernel (§4.4): the offer of the stock kernel of our
 * real-mount runs (STOCK_OFFER, one list for the tests and the emulator), without PASSTHROUGH
 * (OVER_IO_URING is not in it either).
 */
export const KERNEL_OFFER: bigint = STOCK_OFFER & ~initFlag(InitBit.PASSTHROUGH);

/** What the kernel puts in its INIT request. */
export interface InitOffer {
  /** The 64-bit flag set: always FUSE_INIT_EXT, the profile's FUSE_DAX_FMAP bit only when famfs is offered. */
  flags: bigint;
  famfsBit: bigint;
  minor: number;
  maxReadahead: number;
}

export interface OfferOptions {
  /** Offer the profile's FUSE_DAX_FMAP bit at INIT (default true: the kernel has the series and CAP_SYS_RAWIO). */
  offerFamfs?: boolean;
  /** Base flag set offered at INIT (default KERNEL_OFFER); the famfs bit is added or removed per offerFamfs. */
  offer?: bigint;
  /** Kernel protocol minor (default 45). */
  minor?: number;
  /** max_readahead offered (default 128 KiB). */
  maxReadahead?: number;
}

export function initOffer(profile: AbiProfile, o: OfferOptions = {}): InitOffer {
  const famfsBit = initFlag(profile.initFlagBit);
  let flags = (o.offer ?? KERNEL_OFFER) & ~famfsBit;
  if (o.offerFamfs ?? true) flags |= famfsBit;
  return {
    flags: flags | FUSE_INIT_EXT,
    famfsBit,
    minor: o.minor ?? FUSE_KERNEL_MINOR_VERSION,
    maxReadahead: o.maxReadahead ?? 128 * 1024,
  };
}

/** Header fields of a request besides opcode, unique and nodeid: who the kernel says is asking. */
export interface RequestCreds {
  uid?: number;
  gid?: number;
  pid?: number;
}

/** The INIT request of an offer (major 7), with the caller's unique and credentials. */
export function initRequest(offer: InitOffer, unique: bigint, creds: RequestCreds): Buffer {
  return initMsg(unique, offer.flags, offer.minor, 7, offer.maxReadahead, creds);
}

export interface NegotiatedConnection {
  major: number;
  minor: number;
  /** The daemon's 64-bit flag reply (flags2 only counted when it set INIT_EXT). */
  flags: bigint;
  offered: bigint;
  famfs: boolean;
  maxWrite: number;
  maxPages: number;
  maxReadahead: number;
}

/** A reply the kernel could read: the connection it makes of it, and what a correct daemon would not have sent. */
export interface InitOutcome {
  conn: NegotiatedConnection;
  notes: string[];
}

/**
 * process_init_reply() on a successful payload: bytes past its end read as zero (the kernel's
 * init_out is zeroed), flags2 counts only with FUSE_INIT_EXT, famfs mode only if the daemon
 * echoes the offered bit. Returns why the payload is malformed instead when it is under 24 bytes.
 * The major version is the caller's to judge.
 */
export function readInitReply(p: Buffer, offer: InitOffer): InitOutcome | string {
  if (p.length < 24) return `init_out of ${p.length} bytes (at least 24)`;
  const whole = p.length < InitOut.size ? Buffer.concat([p, Buffer.alloc(InitOut.size - p.length)]) : p;
  const out = InitOut.decode(whole);
  const notes: string[] = [];
  let flags = BigInt(out.flags >>> 0);
  if (flags & FUSE_INIT_EXT) flags |= BigInt(out.flags2 >>> 0) << 32n;
  else if (out.flags2 !== 0) {
    const flags2 = out.flags2.toString(16);
    notes.push(`INIT reply sets flags2 0x${flags2} without FUSE_INIT_EXT: the kernel ignores flags2`);
  }
  const extra = flags & ~offer.flags;
  if (extra) notes.push(`INIT reply sets flags the kernel did not offer: 0x${extra.toString(16)}`);
  const famfs = (flags & offer.famfsBit & offer.flags) !== 0n;
  if (famfs) {
    if (flags & initFlag(InitBit.WRITEBACK_CACHE)) {
      notes.push('famfs connection negotiated WRITEBACK_CACHE: the kernel would trust its own i_size (§1.9)');
    }
    if (flags & initFlag(InitBit.ATOMIC_O_TRUNC)) {
      notes.push('famfs connection negotiated ATOMIC_O_TRUNC: O_TRUNC opens would reach famfs files (§1.9)');
    }
  }
  const maxPages =
    flags & initFlag(InitBit.MAX_PAGES) ? Math.min(MAX_PAGES_LIMIT, Math.max(1, out.maxPages)) : DEFAULT_MAX_PAGES;
  const conn: NegotiatedConnection = {
    major: out.major,
    minor: out.minor,
    flags,
    offered: offer.flags,
    famfs,
    maxWrite: Math.max(4096, out.maxWrite),
    maxPages,
    maxReadahead: out.maxReadahead,
  };
  return { conn, notes };
}
