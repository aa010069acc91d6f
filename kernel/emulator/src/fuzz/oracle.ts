/**
 * The checks: what the kernel would make of each answer to a generated request (exactly one
 * well-formed reply with the request's unique and a payload of the size the opcode allows, none
 * where the protocol has none, at most one header-only error for INTERRUPT), the payload checks
 * some generators add, and the probes (fresh path walks compared with the baseline).
 */
import {
  DaxdevOut,
  DAXDEV_NAME_MAX,
  FamfsFmapHeader,
  EntryOut,
  errnoName,
  FUSE_ROOT_ID,
  GetxattrIn,
  InHeader,
  Opcode,
  ReadIn,
  S_IFMT,
} from '@famfs/fuse';
import type { AbiProfile } from '@famfs/fuse';
import { cstr } from '@famfs/fuse/testing';
import { fmapLimits, FmapRejected, parseFmap } from '../fmap';
import { VALID_FILE_TYPES } from '../kernel';
import type { Prng } from '../prng';
import { opName, parseReply, payloadProblem, payloadRule } from '../wire';
import { Baseline, describe } from './baseline';
import { FuzzChannel, NO_REPLY_OPS } from './channel';
import type { Gen } from './types';

/** A LOOKUP-like entry: a negative one must be cacheable (else ENOENT), a positive one needs a file type. */
export function entryCheck(payload: Buffer): string | undefined {
  const e = EntryOut.decode(payload);
  const t = e.attr.mode & S_IFMT;
  if (e.nodeid === 0 && e.entryValid === 0 && e.entryValidNsec === 0) {
    return 'negative entry (nodeid 0) with entry_valid 0: use ENOENT';
  }
  if (e.nodeid !== 0 && !VALID_FILE_TYPES.has(t)) {
    return `entry attr mode 0${e.attr.mode.toString(8)} has no valid type`;
  }
  return undefined;
}

/**
 * On a famfs connection, a GET_FMAP answer to a request offering `bufferSize` bytes must pass the
 * kernel's own parser (fmap.ts). Where the profile sizes replies, one that did not fit is the
 * header alone with fmap_size larger than the buffer, and a whole one says its own size (or 0,
 * which the kernel reads as "it fits").
 */
export function fmapCheck(profile: AbiProfile, famfs: boolean, what: string, bufferSize: number) {
  return (payload: Buffer): string | undefined => {
    if (!famfs) return undefined;
    const sizing = profile.fmapSizing;
    if (sizing && payload.length >= FamfsFmapHeader.size) {
      const total = payload.readUInt32LE(sizing.sizeFieldOffset);
      if (total > bufferSize) {
        if (payload.length === FamfsFmapHeader.size) return undefined;
        return `GET_FMAP of ${what}: fmap_size ${total} > buffer ${bufferSize} but ${payload.length} bytes sent`;
      }
      if (total !== 0 && total !== payload.length) {
        return `GET_FMAP of ${what}: fmap_size ${total} but the reply carries ${payload.length} bytes`;
      }
    }
    try {
      parseFmap(payload, fmapLimits(profile));
      return undefined;
    } catch (e) {
      if (!(e instanceof FmapRejected)) throw e;
      const why = `${errnoName(e.errno)}, ${e.rule}`;
      return `GET_FMAP of ${what} returned an fmap the kernel refuses (${why}): ${e.message}`;
    }
  };
}

/** A GET_DAXDEV answer names a device: NUL-terminated and not empty. */
export function daxdevCheck(payload: Buffer): string | undefined {
  const name = payload.subarray(DaxdevOut.offsetOf('name'), DaxdevOut.offsetOf('name') + DAXDEV_NAME_MAX);
  if (name.indexOf(0) < 0) return 'daxdev name not NUL-terminated within 256 bytes';
  return name.indexOf(0) === 0 ? 'empty daxdev name' : undefined;
}

/** fuse_read_in.size of a READ-like message, when its args are complete. */
function readSize(m: Buffer): number | undefined {
  return m.length >= InHeader.size + ReadIn.size ? ReadIn.get(m, 'size', InHeader.size) : 0;
}

function xattrSize(m: Buffer, opcode: number): number | undefined {
  if (opcode !== Opcode.GETXATTR && opcode !== Opcode.LISTXATTR) return undefined;
  return m.length >= InHeader.size + GetxattrIn.size ? GetxattrIn.get(m, 'size', InHeader.size) : 0;
}

const isReadLike = (op: number): boolean => op === Opcode.READ || op === Opcode.READDIR || op === Opcode.READDIRPLUS;

/** Sends one generated request and tallies its outcome; `label` names it in a violation. */
export function judge(ch: FuzzChannel, g: Gen, label: string): void {
  const { result, profile } = ch;
  const tag = (): string => `${label} (${g.msg.length >= 8 ? opName(g.msg.readUInt32LE(4), profile) : 'no header'})`;
  let x;
  try {
    x = ch.link.exchange(g.msg);
  } catch (e) {
    return ch.violation(`${tag()}: daemon threw: ${(e as Error).stack ?? e}`);
  }
  if (!x.delivered) {
    result.outcomes.undelivered++;
    return;
  }
  if (x.refused.length) {
    const why = x.refused.map((r) => `${r.code} ${r.message}`).join('; ');
    return ch.violation(`${tag()}: transport refused the reply: ${why}`);
  }
  const readable = g.msg.length >= InHeader.size;
  const opcode = readable ? g.msg.readUInt32LE(4) : -1;
  const reqUnique = readable ? g.msg.readBigUInt64LE(8) : -1n;
  if (!readable || NO_REPLY_OPS.has(opcode)) {
    if (x.replies.length) ch.violation(`${tag()}: ${x.replies.length} reply(ies) where the protocol has none`);
    else result.outcomes.noReply++;
    return;
  }
  if (x.replies.length === 0) {
    if (opcode === Opcode.INTERRUPT) result.outcomes.noReply++;
    else if (g.wellFormed) ch.violation(`${tag()}: no reply`);
    else result.outcomes.dropped++;
    return;
  }
  if (x.replies.length > 1) return ch.violation(`${tag()}: ${x.replies.length} replies`);
  const r = parseReply(x.replies[0]);
  if (typeof r === 'string') return ch.violation(`${tag()}: ${r}`);
  if (r.unique !== reqUnique) return ch.violation(`${tag()}: reply unique ${r.unique}, request unique ${reqUnique}`);
  if (r.error !== 0) {
    result.outcomes.error++;
    const n = errnoName(-r.error);
    result.errnos[n] = (result.errnos[n] ?? 0) + 1;
    return;
  }
  if (g.expectError) return ch.violation(`${tag()}: succeeded (${r.payload.length}-byte payload) where it must fail`);
  // A success reply is checked against what the opcode allows. Malformed requests of unknown shape
  // (size unknown) are not size-checked beyond the fixed rules.
  const size = g.size ?? (isReadLike(opcode) ? readSize(g.msg) : xattrSize(g.msg, opcode));
  const problem = payloadProblem(payloadRule(opcode, profile, { size }), r.payload.length) ?? g.check?.(r.payload);
  if (problem) return ch.violation(`${tag()}: ${problem}`);
  g.learn?.(r.payload);
  result.outcomes.ok++;
}

/** Walks to a name the baseline found, one LOOKUP per component; its entry must describe as before. */
export function probe(ch: FuzzChannel, rng: Prng, before: Baseline): void {
  const known = before.entries;
  const f = known.length ? rng.pick(known) : undefined;
  if (!f) return;
  ch.result.probes.sent++;
  let parent = FUSE_ROOT_ID;
  let last: string | undefined;
  for (const part of f.path.split('/').filter(Boolean)) {
    const r = ch.call(Opcode.LOOKUP, parent, cstr(part));
    if (!r || r.error !== 0) {
      ch.result.probes.failed++;
      ch.violation(`probe: LOOKUP "${part}" on the way to ${f.path}: ${r ? errnoName(-r.error) : 'malformed'}`);
      return;
    }
    const e = EntryOut.decode(r.payload);
    ch.noteLookup(e.nodeid);
    parent = e.nodeid;
    last = describe(0, r.payload, 'entry');
  }
  const want = before.facts.get(`${f.path} lookup`);
  if (last !== want) {
    ch.result.probes.failed++;
    ch.violation(`probe: ${f.path} now "${last}", baseline "${want}"`);
  }
}
