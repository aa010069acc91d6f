/**
 * The fuzzer's end of the link: numbers its requests, keeps the run's tally of violations and the
 * lookup references it took, and sends the well-formed requests of the baseline and the probes
 * (call), for which any protocol slip is a violation rather than an exception.
 */
import { Opcode } from '@famfs/fuse';
import type { AbiProfile } from '@famfs/fuse';
import { msg, readMsg } from '@famfs/fuse/testing';
import { DaemonLink, opName, parseReply, payloadProblem, payloadRule } from '../wire';
import type { FuzzResult } from './types';

/** The pid the baseline's and the probes' requests carry. */
const PROBE_PID = 4242;
export const NO_REPLY_OPS = new Set<number>([Opcode.FORGET, Opcode.BATCH_FORGET]);

/** An answer: errno (0 or negative) and payload, or null when the exchange was itself a violation. */
export type Answer = { error: number; payload: Buffer } | null;

export class FuzzChannel {
  /** Lookup references this fuzzer took, per nodeid: FORGETs give back no more than these. */
  readonly lookups = new Map<number, number>();
  private counter = 1n << 40n;

  constructor(
    readonly link: DaemonLink,
    readonly profile: AbiProfile,
    readonly result: FuzzResult,
    private readonly keep: number,
  ) {}

  /** The unique of the latest request. */
  get unique(): bigint {
    return this.counter;
  }

  nextUnique(): bigint {
    this.counter += 2n;
    return this.counter;
  }

  violation(text: string): void {
    this.result.violationCount++;
    this.result.outcomes.violation++;
    if (this.result.violations.length < this.keep) this.result.violations.push(text);
  }

  noteLookup(nodeid: number): void {
    this.lookups.set(nodeid, (this.lookups.get(nodeid) ?? 0) + 1);
  }

  /** One well-formed request of the baseline or a probe. */
  call(opcode: number, nodeid: number | bigint, body: Buffer = Buffer.alloc(0), size?: number): Answer {
    return this.callWith(opcode, nodeid, (u) => msg(opcode, u, nodeid, body, { pid: PROBE_PID }), size);
  }

  /** A READ or READDIR of the baseline. */
  callRead(opcode: number, nodeid: number, fh: number, offset: number, size: number): Answer {
    return this.callWith(opcode, nodeid, (u, pid) => readMsg(opcode, u, nodeid, offset, size, fh, { pid }), size);
  }

  /** As call(), for a message `build` writes (with the probe pid) for the unique it is given. */
  callWith(
    opcode: number,
    nodeid: number | bigint,
    build: (unique: bigint, pid: number) => Buffer,
    size?: number,
  ): Answer {
    const op = opName(opcode, this.profile);
    const u = this.nextUnique();
    let x;
    try {
      x = this.link.exchange(build(u, PROBE_PID));
    } catch (e) {
      this.violation(`${op} (baseline/probe): daemon threw ${(e as Error).message}`);
      return null;
    }
    if (NO_REPLY_OPS.has(opcode)) {
      if (x.replies.length) this.violation(`${op}: reply to a request that gets none`);
      return { error: 0, payload: Buffer.alloc(0) };
    }
    const where = `${op} nodeid ${nodeid} (baseline/probe)`;
    if (x.refused.length || x.replies.length !== 1) {
      this.violation(`${where}: ${x.replies.length} replies, refused: ${x.refused.map((r) => r.message).join('; ')}`);
      return null;
    }
    const r = parseReply(x.replies[0]);
    if (typeof r === 'string' || r.unique !== u) {
      this.violation(`${where}: ${typeof r === 'string' ? r : `unique ${r.unique} for ${u}`}`);
      return null;
    }
    if (r.error === 0) {
      const p = payloadProblem(payloadRule(opcode, this.profile, { size }), r.payload.length);
      if (p) {
        this.violation(`${where}: ${p}`);
        return null;
      }
    }
    return { error: r.error, payload: r.payload };
  }
}
