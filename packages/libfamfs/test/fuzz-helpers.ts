/**
 * Shared plumbing of the fuzz targets (fuzz-*.test.ts here, and famfs-fused's fuzz-requests):
 * a seeded fast-check run of one decoder over mutated valid inputs, with the oracle every target
 * shares: the decoder returns a value or throws its typed error; anything else (RangeError,
 * TypeError, a plain Error...) fails the test, showing the input.
 *
 * Knobs (environment):
 *   FAMFS_FUZZ_SEED   the fast-check seed (default a fixed one, so `npm test` is reproducible)
 *   FAMFS_FUZZ_RUNS   runs per target (default 20,000; scripts/fuzz.sh uses 1,000,000)
 *   FAMFS_FUZZ_REPORT a file each target appends one JSON line to (name, runs, seed, outcomes)
 *
 * Each target prints `fuzz <target>: <n> runs, seed <s>, outcomes {...}`.
 */
import * as fs from 'fs';
import * as fc from 'fast-check';

export { fc };

export const DEFAULT_FUZZ_SEED = 0x0f4f5f5;
export const DEFAULT_FUZZ_RUNS = 20000;

function envInt(name: string, fallback: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new Error(`${name}=${v} is not an integer`);
  return n;
}

export const FUZZ_SEED: number = envInt('FAMFS_FUZZ_SEED', DEFAULT_FUZZ_SEED) | 0;
export const FUZZ_RUNS: number = envInt('FAMFS_FUZZ_RUNS', DEFAULT_FUZZ_RUNS);

/** A jest timeout for a target: two minutes at the default count, scaled for longer runs. */
export function fuzzTimeout(runs = FUZZ_RUNS, msPerRun = 1): number {
  return Math.max(120_000, runs * msPerRun * 2);
}

/** Classifies a thrown value: a label for an acceptable (typed) error, undefined for a failure. */
export type TypedErrorClassifier = (e: unknown) => string | undefined;

export interface FuzzOptions<T> {
  /** How the input is shown when a run fails (default: fast-check's own printing). */
  show?: (input: T) => string;
  runs?: number;
  seed?: number;
}

export interface FuzzReport {
  target: string;
  runs: number;
  seed: number;
  outcomes: Record<string, number>;
}

/** Thrown by a target body for a broken property (round trip, invariant): always a failure. */
export class PropertyViolation extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PropertyViolation';
  }
}

export function violated(why: string): never {
  throw new PropertyViolation(why);
}

/**
 * Runs `body` over `runs` inputs of `arb`. `body` returns an outcome label for an accepted input
 * (e.g. 'ok:file'); a thrown error that `typed` recognises counts under its label; anything else,
 * and every PropertyViolation, fails the run with the input shown. Returns (and prints) the count
 * of each outcome.
 */
export function fuzz<T>(
  target: string,
  arb: fc.Arbitrary<T>,
  body: (input: T) => string,
  typed: TypedErrorClassifier,
  opts: FuzzOptions<T> = {},
): FuzzReport {
  const runs = opts.runs ?? FUZZ_RUNS;
  const seed = opts.seed ?? FUZZ_SEED;
  const outcomes: Record<string, number> = {};
  let counting = true;
  const prop = fc.property(arb, (input) => {
    let label: string;
    try {
      label = body(input);
    } catch (e) {
      const t = e instanceof PropertyViolation ? undefined : typed(e);
      if (t === undefined) {
        const err = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
        const shown = opts.show ? `\ninput: ${opts.show(input)}` : '';
        // A plain Error with the whole story, so fast-check's report carries it.
        throw new Error(`fuzz ${target}: ${err}${shown}`, { cause: e });
      }
      label = t;
    }
    if (counting) outcomes[label] = (outcomes[label] ?? 0) + 1;
  });
  try {
    fc.assert(prop, { seed, numRuns: runs, endOnFailure: false });
  } finally {
    counting = false;
  }
  const sorted = Object.fromEntries(Object.entries(outcomes).sort((a, b) => b[1] - a[1]));
  const report: FuzzReport = { target, runs, seed, outcomes: sorted };
  console.log(`fuzz ${target}: ${runs} runs, seed ${seed}, outcomes ${JSON.stringify(sorted)}`);
  const file = process.env.FAMFS_FUZZ_REPORT;
  if (file) fs.appendFileSync(file, JSON.stringify(report) + '\n');
  return report;
}

// ---------------------------------------------------------------------------------------------
// Seeded mutation of valid inputs

/** Integers worth planting in binary fields: boundaries of u8..u64, famfs sizes, path lengths. */
export const INTERESTING_INTS: readonly bigint[] = [
  0n,
  1n,
  2n,
  3n,
  7n,
  15n,
  16n,
  17n,
  31n,
  47n,
  48n,
  49n,
  79n,
  80n,
  81n,
  0x7fn,
  0x80n,
  0xffn,
  0x100n,
  0x7fffn,
  0x8000n,
  0xffffn,
  0x10000n,
  4096n,
  4095n,
  4097n,
  0x1fffffn,
  0x200000n,
  0x200001n,
  0x400000n,
  0x600000n,
  0x800000n,
  0xa00000n,
  0x1000000n,
  0x7fffffffn,
  0x80000000n,
  0xffffffffn,
  0x100000000n,
  0x1fffffffffffffn,
  0x20000000000000n,
  0x20000000000001n,
  2n * 1024n ** 3n,
  8n * 1024n ** 3n,
  8n * 1024n ** 3n + 0x200000n,
  8n * 1024n ** 3n - 0x200000n,
  0x7fffffffffffffffn,
  0x8000000000000000n,
  0xfffffffffffffffen,
  0xffffffffffffffffn,
];

export type Mutation =
  | { op: 'flip'; at: number; bit: number }
  | { op: 'byte'; at: number; v: number }
  | { op: 'int'; at: number; width: 1 | 2 | 4 | 8; v: bigint; hot: boolean }
  | { op: 'copy'; from: number; to: number; len: number }
  | { op: 'fill'; at: number; len: number; v: number }
  | { op: 'insert'; at: number; token: number; hot: boolean }
  | { op: 'delete'; at: number; len: number }
  | { op: 'resize'; len: number };

export interface MutatorOptions {
  /** Offsets of fields worth hitting (an 'int' mutation with hot=true picks one of them). */
  hot?: readonly number[];
  /** Tokens to insert (text formats, names; written over the bytes of fixed-size inputs); enables 'insert'. */
  dictionary?: readonly Buffer[];
  /** Whether the input may change length ('insert', 'delete', 'resize'). */
  resizable?: boolean;
  /** Largest length a resize may produce. */
  maxLength?: number;
  /** Most mutations stacked on one input. */
  maxMutations?: number;
}

const SPECIAL_BYTES = [0x00, 0x01, 0x0a, 0x20, 0x22, 0x27, 0x2e, 0x2f, 0x3a, 0x5c, 0x7f, 0x80, 0xc0, 0xed, 0xfe, 0xff];

export function mutationArb(opts: MutatorOptions = {}): fc.Arbitrary<Mutation> {
  const at = fc.nat({ max: 0xffff });
  const small = fc.integer({ min: 1, max: 64 });
  const byteV = fc.oneof(fc.constantFrom(...SPECIAL_BYTES), fc.integer({ min: 0, max: 255 }));
  const arbs: fc.WeightedArbitrary<Mutation>[] = [
    { weight: 3, arbitrary: fc.record({ op: fc.constant('flip' as const), at, bit: fc.integer({ min: 0, max: 7 }) }) },
    { weight: 3, arbitrary: fc.record({ op: fc.constant('byte' as const), at, v: byteV }) },
    {
      weight: 6,
      arbitrary: fc.record({
        op: fc.constant('int' as const),
        at,
        width: fc.constantFrom(1 as const, 2 as const, 4 as const, 8 as const),
        v: fc.oneof(
          { weight: 4, arbitrary: fc.constantFrom(...INTERESTING_INTS) },
          { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }) },
        ),
        hot: fc.boolean(),
      }),
    },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('copy' as const), from: at, to: at, len: small }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('fill' as const), at, len: small, v: byteV }) },
  ];
  if (opts.dictionary && opts.dictionary.length > 0) {
    arbs.push({
      weight: 6,
      arbitrary: fc.record({
        op: fc.constant('insert' as const),
        at,
        token: fc.nat({ max: opts.dictionary.length - 1 }),
        hot: fc.boolean(),
      }),
    });
  }
  if (opts.resizable) {
    arbs.push({ weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), at, len: small }) });
    arbs.push({
      weight: 1,
      arbitrary: fc.record({ op: fc.constant('resize' as const), len: fc.nat({ max: opts.maxLength ?? 4096 }) }),
    });
  }
  return fc.oneof(...arbs);
}

function writeInt(b: Buffer, at: number, width: number, v: bigint): void {
  for (let i = 0; i < width && at + i < b.length; i++) b[at + i] = Number((v >> BigInt(8 * i)) & 0xffn);
}

/** Applies `muts` to a copy of `seed`. Positions wrap around the current length. */
export function applyMutations(seed: Buffer, muts: readonly Mutation[], opts: MutatorOptions = {}): Buffer {
  let b = Buffer.from(seed);
  for (const m of muts) {
    const n = b.length;
    switch (m.op) {
      case 'flip':
        if (n > 0) b[m.at % n] ^= 1 << m.bit;
        break;
      case 'byte':
        if (n > 0) b[m.at % n] = m.v;
        break;
      case 'int': {
        if (n === 0) break;
        const hot = opts.hot && opts.hot.length > 0 && m.hot ? opts.hot[m.at % opts.hot.length] : m.at % n;
        writeInt(b, hot, m.width, m.v);
        break;
      }
      case 'copy':
        if (n > 0) b.copy(b, m.to % n, m.from % n, Math.min(n, (m.from % n) + m.len));
        break;
      case 'fill':
        if (n > 0) b.fill(m.v, m.at % n, Math.min(n, (m.at % n) + m.len));
        break;
      case 'insert': {
        // Resizable inputs get the token inserted; fixed-size ones get it written over their bytes.
        const tok = opts.dictionary![m.token];
        const at = opts.hot && opts.hot.length > 0 && m.hot ? opts.hot[m.at % opts.hot.length] : m.at % (n + 1);
        if (opts.resizable) b = Buffer.concat([b.subarray(0, at), tok, b.subarray(at)]);
        else if (at < n) tok.copy(b, at, 0, Math.min(tok.length, n - at));
        break;
      }
      case 'delete': {
        const at = m.at % (n + 1);
        b = Buffer.concat([b.subarray(0, at), b.subarray(Math.min(n, at + m.len))]);
        break;
      }
      case 'resize':
        b = m.len <= n ? Buffer.from(b.subarray(0, m.len)) : Buffer.concat([b, Buffer.alloc(m.len - n)]);
        break;
    }
  }
  return b;
}

export interface MutatedInput {
  /** Which seed was mutated. */
  seed: number;
  muts: Mutation[];
  /** Whether checksums and lengths were recomputed after mutating (so deeper checks are reached). */
  fix: boolean;
  bytes: Buffer;
}

/**
 * Inputs made by stacking up to `maxMutations` mutations on one of `seeds`, then (most of the
 * time) calling `fixup` to make the checksums/lengths consistent again, so the fuzzing reaches
 * past the first integrity check. Shrinks towards fewer mutations on the first seed.
 */
export function mutatedInputs(
  seeds: readonly Buffer[],
  fixup: ((b: Buffer) => Buffer | void) | undefined,
  opts: MutatorOptions = {},
): fc.Arbitrary<MutatedInput> {
  return fc
    .record({
      seed: fc.nat({ max: seeds.length - 1 }),
      muts: fc.array(mutationArb(opts), { minLength: 0, maxLength: opts.maxMutations ?? 6 }),
      fix: fc.oneof({ weight: 6, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    })
    .map(({ seed, muts, fix }) => {
      let bytes = applyMutations(seeds[seed], muts, opts);
      if (fix && fixup) bytes = fixup(bytes) ?? bytes;
      return { seed, muts, fix, bytes };
    });
}

/** A mutated input for a failure message: the seed, the mutations and the bytes (hex, capped). */
export function showMutated(m: MutatedInput, maxBytes = 1024): string {
  const muts = JSON.stringify(m.muts, (_k, v) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v));
  const hex = m.bytes.subarray(0, maxBytes).toString('hex');
  return `seed #${m.seed}, fix ${m.fix}, mutations ${muts}, ${m.bytes.length} bytes: ${hex}${m.bytes.length > maxBytes ? '...' : ''}`;
}

/** Deep equality for decoded values (Buffers by content, bigints by value). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null)
    return Number.isNaN(a) && Number.isNaN(b);
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** JSON of a decoded value for messages (bigints and Buffers shown). */
export function showValue(v: unknown): string {
  return JSON.stringify(v, (_k, x) =>
    typeof x === 'bigint'
      ? `${x}n`
      : x && x.type === 'Buffer' && Array.isArray(x.data)
        ? Buffer.from(x.data).toString('hex')
        : x,
  );
}
