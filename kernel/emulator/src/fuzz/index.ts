/**
 * fuzzSession: sends a seeded stream of random and malformed requests to a daemon session and
 * checks every answer the way the kernel would (oracle.ts). Requests that must fail (bogus
 * nodeids, GET_FMAP of a directory, a daxdev index past the table, a second INIT, unknown
 * opcodes, size changes of famfs files) are checked to fail.
 *
 * Before the run it negotiates INIT as the emulated kernel does (init.ts) and takes a baseline of
 * the tree (baseline.ts); during the run it interleaves probes; afterwards it takes the baseline
 * again and reports every difference. The requests come from the table in generators.ts.
 */
import { DEFAULT_PROFILE, Opcode, profileByName } from '@famfs/fuse';
import type { AbiProfile } from '@famfs/fuse';
import { initOffer, initRequest, readInitReply } from '../init';
import { Prng } from '../prng';
import { DaemonLink, linkTo, SessionLike } from '../wire';
import { baselineChanges, takeBaseline } from './baseline';
import { FuzzChannel } from './channel';
import { FuzzContext } from './context';
import { generatorWeights, GENERATORS } from './generators';
import { judge, probe } from './oracle';
import type { FuzzOptions, FuzzResult } from './types';

export type { FuzzOptions, FuzzOutcome, FuzzResult } from './types';

function emptyResult(seed: number): FuzzResult {
  return {
    seed,
    sent: 0,
    outcomes: { ok: 0, error: 0, noReply: 0, dropped: 0, undelivered: 0, violation: 0 },
    errnos: {},
    generators: {},
    violationCount: 0,
    violations: [],
    probes: { sent: 0, failed: 0 },
    baseline: { entries: 0, mismatches: [] },
    famfs: false,
  };
}

/**
 * Whether the session runs in famfs mode: negotiated here with the kernel's INIT when the target
 * is not up yet (or options.init says so), otherwise what the target says it negotiated.
 */
function negotiate(ch: FuzzChannel, target: SessionLike | DaemonLink, options: FuzzOptions): boolean {
  const wantInit = options.init ?? 'auto';
  const already = (target as { negotiated?: { famfs?: boolean } | null }).negotiated;
  if (!(wantInit === true || (wantInit === 'auto' && !already))) return already?.famfs ?? false;
  const offer = initOffer(ch.profile, { offerFamfs: options.offerFamfs });
  const r = ch.callWith(Opcode.INIT, 0, (u, pid) => initRequest(offer, u, { pid }));
  if (!r || r.error !== 0) return false;
  const reply = readInitReply(r.payload, offer);
  return typeof reply !== 'string' && reply.conn.famfs;
}

export function fuzzSession(target: SessionLike | DaemonLink, options: FuzzOptions): FuzzResult {
  const profile: AbiProfile =
    typeof options.profile === 'string' ? profileByName(options.profile) : (options.profile ?? DEFAULT_PROFILE);
  const result = emptyResult(options.seed);
  const ch = new FuzzChannel(linkTo(target), profile, result, options.keepViolations ?? 50);
  const rng = new Prng(options.seed);
  result.famfs = negotiate(ch, target, options);

  const maxEntries = options.maxBaselineEntries ?? 200;
  const before = takeBaseline(ch, maxEntries);
  result.baseline.entries = before.entries.length;
  const ctx = new FuzzContext(ch, rng, before.entries, options.hostileSizes ?? false);
  const probeEvery = options.probeEvery ?? 50;
  const weights = generatorWeights(profile);
  for (let i = 0; i < options.count; i++) {
    if (probeEvery > 0 && i > 0 && i % probeEvery === 0) probe(ch, rng, before);
    const name = rng.weighted(weights);
    result.generators[name] = (result.generators[name] ?? 0) + 1;
    const g = GENERATORS[name][1](ctx);
    result.sent++;
    judge(ch, g, `#${i} ${name}`);
  }

  // Afterwards: is it still the same file system?
  result.baseline.mismatches.push(...baselineChanges(before, takeBaseline(ch, maxEntries)));
  for (const m of result.baseline.mismatches) ch.violation(`after the run: ${m}`);
  return result;
}
