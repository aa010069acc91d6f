/** The fuzzer's options, its result, and the shapes its parts pass to each other. */
import type { AbiProfile } from '@famfs/fuse';

export interface FuzzOptions {
  count: number;
  seed: number;
  /** ABI profile the session uses (default v10). */
  profile?: AbiProfile | string;
  /** Send INIT first: 'auto' (default) does so unless the target has already negotiated. */
  init?: boolean | 'auto';
  /** Offer FUSE_DAX_FMAP in that INIT (default true). */
  offerFamfs?: boolean;
  /** A probe (fresh path walk compared with the baseline) every this many requests (default 50; 0: none). */
  probeEvery?: number;
  /** How many violation messages to keep (default 50; all are counted). */
  keepViolations?: number;
  /** Also send sizes no kernel sends (READ/READDIR/GETXATTR sizes up to 4 GiB - 1). Default false. */
  hostileSizes?: boolean;
  /** Limits of the baseline walk. */
  maxBaselineEntries?: number;
}

export type FuzzOutcome = 'ok' | 'error' | 'noReply' | 'dropped' | 'undelivered' | 'violation';

export interface FuzzResult {
  seed: number;
  sent: number;
  /** Per outcome: ok / error replies, expected silence, malformed requests dropped without a reply, violations. */
  outcomes: Record<FuzzOutcome, number>;
  /** Error replies per errno name. */
  errnos: Record<string, number>;
  /** Requests per generator. */
  generators: Record<string, number>;
  violationCount: number;
  violations: string[];
  probes: { sent: number; failed: number };
  baseline: { entries: number; mismatches: string[] };
  /** Whether the session had famfs negotiated (from our INIT, or assumed when the target was already up). */
  famfs: boolean;
}

/** A name the baseline found. */
export interface KnownEntry {
  path: string;
  nodeid: number;
  mode: number;
  size: number;
  parent: number;
  name: string;
}

/** One generated request and what the oracle expects of its answer. */
export interface Gen {
  msg: Buffer;
  /** A request a kernel could send: it must be answered (or not, per opcode). */
  wellFormed: boolean;
  /** A success reply is a violation. */
  expectError?: boolean;
  /** Extra size info for the payload rule (READ, READDIR, xattr sizes). */
  size?: number;
  /** Extra check on a success payload; returns a violation or undefined. */
  check?: (payload: Buffer) => string | undefined;
  /** Called with a success payload (to learn fhs, nodeids). */
  learn?: (payload: Buffer) => void;
}
