/**
 * Binary layouts: a struct is declared once, as named fields at fixed offsets, and both its
 * decoder and its encoder are derived from that declaration. Multi-byte integers are
 * little-endian (famfs and FUSE structs are host-native on LP64 little-endian machines).
 *
 * 64-bit fields are JS numbers: every famfs and FUSE quantity we produce is below 2^53. A value
 * read from untrusted bytes above 2^53 decodes to a number that is still above 2^53 (precision is
 * lost, magnitude is not), so range checks against device sizes stay correct. Encoding refuses
 * anything that is not a safe non-negative integer.
 */
import { isUtf8 } from 'buffer';

export interface FieldCodec<V> {
  readonly size: number;
  read(buf: Buffer, at: number): V;
  write(buf: Buffer, at: number, value: V): void;
}

export interface Field<V> {
  readonly offset: number;
  readonly codec: FieldCodec<V>;
}

type FieldMap = Record<string, Field<unknown>>;
export type ValueOf<F extends FieldMap> = { [K in keyof F]: F[K] extends Field<infer V> ? V : never };

const TWO32 = 0x1_0000_0000;

function checkInt(value: number, max: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`${what}: ${value} is not an integer in [0, ${max}]`);
  }
}

const U8: FieldCodec<number> = {
  size: 1,
  read: (b, at) => b[at],
  write: (b, at, v) => {
    checkInt(v, 0xff, 'u8');
    b[at] = v;
  },
};
const U16: FieldCodec<number> = {
  size: 2,
  read: (b, at) => b.readUInt16LE(at),
  write: (b, at, v) => {
    checkInt(v, 0xffff, 'u16');
    b.writeUInt16LE(v, at);
  },
};
const U32: FieldCodec<number> = {
  size: 4,
  read: (b, at) => b.readUInt32LE(at),
  write: (b, at, v) => {
    checkInt(v, 0xffff_ffff, 'u32');
    b.writeUInt32LE(v, at);
  },
};
const I32: FieldCodec<number> = {
  size: 4,
  read: (b, at) => b.readInt32LE(at),
  write: (b, at, v) => b.writeInt32LE(v, at),
};
const U64: FieldCodec<number> = {
  size: 8,
  read: (b, at) => b.readUInt32LE(at) + b.readUInt32LE(at + 4) * TWO32,
  write: (b, at, v) => {
    checkInt(v, Number.MAX_SAFE_INTEGER, 'u64');
    b.writeUInt32LE(v % TWO32, at);
    b.writeUInt32LE(Math.floor(v / TWO32), at + 4);
  },
};
const U64BIG: FieldCodec<bigint> = {
  size: 8,
  read: (b, at) => b.readBigUInt64LE(at),
  write: (b, at, v) => b.writeBigUInt64LE(v, at),
};

/** The built-in codecs, which the compiled decoder and encoder inline (see compileDecoder/compileEncoder). */
const BUILTIN = new Map<FieldCodec<unknown>, 'u8' | 'u16' | 'u32' | 'i32' | 'u64' | 'u64big'>([
  [U8 as FieldCodec<unknown>, 'u8'],
  [U16 as FieldCodec<unknown>, 'u16'],
  [U32 as FieldCodec<unknown>, 'u32'],
  [I32 as FieldCodec<unknown>, 'i32'],
  [U64 as FieldCodec<unknown>, 'u64'],
  [U64BIG as FieldCodec<unknown>, 'u64big'],
]);
/** String.prototype.isWellFormed (ES2024; in every Node this package supports), which lib ES2022 does not declare. */
type WellFormedString = string & { isWellFormed(): boolean };
/** Codecs whose write fills their whole span (bytes, cstring): the encoder need not zero it first. */
const SELF_FILLING = new WeakSet<object>();
/** The inner layout of each struct() codec, so nested structs are compiled inline. */
const STRUCT_OF = new WeakMap<object, Layout<FieldMap>>();

export const u8 = (offset: number): Field<number> => ({ offset, codec: U8 });
export const u16 = (offset: number): Field<number> => ({ offset, codec: U16 });
export const u32 = (offset: number): Field<number> => ({ offset, codec: U32 });
export const i32 = (offset: number): Field<number> => ({ offset, codec: I32 });
export const u64 = (offset: number): Field<number> => ({ offset, codec: U64 });
/** A 64-bit field kept exact, for values that may use all 64 bits (flags, file handles). */
export const u64big = (offset: number): Field<bigint> => ({ offset, codec: U64BIG });

/** Raw bytes; decoding copies them out of the source buffer. */
export function bytes(offset: number, size: number): Field<Buffer> {
  const codec: FieldCodec<Buffer> = {
    size,
    read: (b, at) => Buffer.from(b.subarray(at, at + size)),
    write: (b, at, v) => {
      if (v.length > size) throw new RangeError(`bytes field of ${size} given ${v.length} bytes`);
      b.fill(0, at, at + size);
      v.copy(b, at);
    },
  };
  SELF_FILLING.add(codec);
  return { offset, codec };
}

/**
 * A NUL-padded UTF-8 string in a fixed field. `terminated` requires room for a NUL (the string may
 * use at most size-1 bytes); otherwise a string filling the whole field is allowed, as C strncpy does.
 * Both ways are exact or refused: bytes that are not UTF-8 (decoding would replace them with
 * U+FFFD) and strings with a lone surrogate (encoding would) throw a RangeError.
 */
export function cstring(offset: number, size: number, terminated = true): Field<string> {
  const max = terminated ? size - 1 : size;
  const codec: FieldCodec<string> = {
    size,
    read: (b, at) => {
      const nul = b.indexOf(0, at);
      const end = nul < 0 || nul > at + size ? at + size : nul;
      if (!isUtf8(b.subarray(at, end))) throw new RangeError(`string field of ${size} bytes is not valid UTF-8`);
      return b.toString('utf8', at, end);
    },
    write: (b, at, v) => {
      if (!(v as WellFormedString).isWellFormed()) {
        throw new RangeError('string has a lone UTF-16 surrogate: it has no UTF-8 form');
      }
      // A UTF-16 unit takes at most 3 UTF-8 bytes, so a string this short fits without measuring it.
      if (3 * v.length > max) {
        const len = Buffer.byteLength(v, 'utf8');
        if (len > max) throw new RangeError(`string of ${len} bytes does not fit a ${size}-byte field`);
      }
      const n = b.write(v, at, size, 'utf8');
      b.fill(0, at + n, at + size);
    },
  };
  SELF_FILLING.add(codec);
  return { offset, codec };
}

/** A nested struct. */
export function struct<F extends FieldMap>(offset: number, inner: Layout<F>): Field<ValueOf<F>> {
  const codec: FieldCodec<ValueOf<F>> = {
    size: inner.size,
    read: (b, at) => inner.decode(b, at),
    write: (b, at, v) => void inner.encodeInto(v, b, at),
  };
  STRUCT_OF.set(codec, inner as unknown as Layout<FieldMap>);
  return { offset, codec };
}

export interface FieldInfo {
  readonly name: string;
  readonly offset: number;
  readonly size: number;
}

export class Layout<F extends FieldMap> {
  readonly fieldInfo: readonly FieldInfo[];
  private readonly entries: ReadonlyArray<readonly [string, Field<unknown>]>;
  /**
   * The compiled codecs, made at first use: a process compiles only the ones it uses (a famfs
   * command uses a few of the layouts its modules define, and compiling costs generated source,
   * parsing and garbage).
   */
  private decodeAt?: (buf: Buffer, at: number) => ValueOf<F>;
  private encodeAt?: (value: ValueOf<F>, buf: Buffer, at: number) => void;

  constructor(
    readonly name: string,
    readonly size: number,
    readonly fields: F,
  ) {
    this.entries = Object.entries(fields).sort((a, b) => a[1].offset - b[1].offset);
    let end = 0;
    let prev = '';
    for (const [fname, f] of this.entries) {
      if (f.offset < end) throw new Error(`layout ${name}: field ${fname} at ${f.offset} overlaps ${prev}`);
      end = f.offset + f.codec.size;
      prev = fname;
      if (end > size) throw new Error(`layout ${name}: field ${fname} ends at ${end}, past size ${size}`);
    }
    this.fieldInfo = this.entries.map(([n, f]) => ({ name: n, offset: f.offset, size: f.codec.size }));
  }

  /** Decodes the struct at `at`; the caller guarantees (or we check) that size bytes are there. */
  decode(buf: Buffer, at = 0): ValueOf<F> {
    if (!(at >= 0 && at + this.size <= buf.length && Math.floor(at) === at)) {
      throw new RangeError(`${this.name}: need ${this.size} bytes at ${at}, buffer has ${buf.length}`);
    }
    return (this.decodeAt ??= compileDecoder(this.entries, this.size))(buf, at);
  }

  /** Reads one field without decoding the rest. */
  get<K extends keyof F & string>(buf: Buffer, name: K, at = 0): ValueOf<F>[K] {
    const f = this.fields[name];
    return f.codec.read(buf, at + f.offset) as ValueOf<F>[K];
  }

  /** Writes one field in place. */
  set<K extends keyof F & string>(buf: Buffer, name: K, value: ValueOf<F>[K], at = 0): void {
    const f = this.fields[name];
    f.codec.write(buf, at + f.offset, value);
  }

  /**
   * Encodes into `buf` at `at`. Every byte of the struct span is written: the fields, and zeros in
   * the padding between them (so padding is always zero, whatever the buffer held). A value out of
   * its field's range throws RangeError (the span may then be partly written).
   */
  encodeInto(value: ValueOf<F>, buf: Buffer, at = 0): Buffer {
    if (!(at >= 0 && at + this.size <= buf.length && Math.floor(at) === at)) {
      throw new RangeError(`${this.name}: need ${this.size} bytes at ${at}, buffer has ${buf.length}`);
    }
    this.encoder()(value, buf, at);
    return buf;
  }

  encode(value: ValueOf<F>): Buffer {
    // Not zeroed here: the compiled encoder writes every byte of the span. Unpooled, as alloc's buffers.
    const buf = Buffer.allocUnsafeSlow(this.size);
    this.encoder()(value, buf, 0);
    return buf;
  }

  private encoder(): (value: ValueOf<F>, buf: Buffer, at: number) => void {
    return (this.encodeAt ??= compileEncoder(this.entries, this.size));
  }

  /** Decodes `count` consecutive structs starting at `at`. */
  decodeArray(buf: Buffer, at: number, count: number): ValueOf<F>[] {
    const out: ValueOf<F>[] = new Array(count);
    for (let i = 0; i < count; i++) out[i] = this.decode(buf, at + i * this.size);
    return out;
  }

  offsetOf(name: keyof F & string): number {
    return this.fields[name].offset;
  }
}

// ---------------------------------------------------------------------------------------------
// Compiled codecs. Both are generated from the same sorted field list as everything else: names
// are JSON-quoted keys, nested structs are inlined, the built-in integer codecs become
// straight-line byte loads/stores (the same arithmetic Buffer's readUInt32LE/writeUInt32LE do,
// minus their per-call argument checks: decode/encodeInto check the span once), and any other
// codec (bytes, cstring, custom fields) is called through its own read/write.

type Entries = ReadonlyArray<readonly [string, Field<unknown>]>;

/** The sorted field list of a nested layout (private to Layout, shared with the compilers here). */
const entriesOf = (l: Layout<FieldMap>): Entries => (l as unknown as { entries: Entries }).entries;

/** Throws the RangeError of an unsigned field given a bad value (same message as checkInt). */
function badUnsigned(value: unknown, max: number, what: string): never {
  throw new RangeError(`${what}: ${String(value)} is not an integer in [0, ${max}]`);
}
function badI32(value: number): never {
  throw new RangeError(`i32: ${value} is not in [-2147483648, 2147483647]`);
}

const u32Expr = (at: number): string =>
  `((b[at + ${at}] | b[at + ${at + 1}] << 8 | b[at + ${at + 2}] << 16) + b[at + ${at + 3}] * 16777216)`;

function readExpr(kind: string, at: number): string {
  switch (kind) {
    case 'u8':
      return `b[at + ${at}]`;
    case 'u16':
      return `(b[at + ${at}] | b[at + ${at + 1}] << 8)`;
    case 'u32':
      return u32Expr(at);
    case 'i32':
      return `(b[at + ${at}] | b[at + ${at + 1}] << 8 | b[at + ${at + 2}] << 16 | b[at + ${at + 3}] << 24)`;
    case 'u64':
      return `(${u32Expr(at)} + ${u32Expr(at + 4)} * 4294967296)`;
    default:
      return `b.readBigUInt64LE(at + ${at})`;
  }
}

/** Source of an object literal decoding `entries` at `base` (relative to the struct start). */
function decodeSource(entries: Entries, base: number, readers: FieldCodec<unknown>['read'][]): string {
  const props = entries.map(([name, f]) => {
    const at = base + f.offset;
    const inner = STRUCT_OF.get(f.codec);
    const kind = BUILTIN.get(f.codec);
    let expr: string;
    if (inner) expr = decodeSource(entriesOf(inner), at, readers);
    else if (kind) expr = readExpr(kind, at);
    else {
      expr = `r[${readers.length}](b, at + ${at})`;
      readers.push(f.codec.read);
    }
    return `${JSON.stringify(name)}: ${expr}`;
  });
  return `{ ${props.join(', ')} }`;
}

/**
 * Builds the decoder of a layout as one function returning an object literal, so every decoded
 * value has the same shape and no per-field loop runs on hot paths (log replay, FUSE requests).
 * The caller (Layout.decode) has checked that the whole span is inside the buffer.
 */
function compileDecoder<F extends FieldMap>(entries: Entries, _size: number): (buf: Buffer, at: number) => ValueOf<F> {
  const readers: FieldCodec<unknown>['read'][] = [];
  const src = decodeSource(entries, 0, readers);
  return new Function('r', `return function decode(b, at) { return ${src}; };`)(readers);
}

interface EncodeGen {
  /** Spans to zero: padding, and the spans of codecs that may not write all their bytes. */
  zero: [number, number][];
  body: string[];
  writers: FieldCodec<unknown>['write'][];
  structs: number;
}

function storeBytes(n: number, v: string): string {
  const s = ['b[o] = ' + v + ';'];
  for (let i = 1; i < n; i++) s.push(`b[o + ${i}] = ${v} >>> ${8 * i};`);
  return s.join(' ');
}

function writeSource(kind: string, at: number, val: string, g: EncodeGen): string {
  switch (kind) {
    case 'u8':
      return `x = ${val}; if (typeof x !== 'number' || (x & 255) !== x) bad(x, 255, 'u8'); b[at + ${at}] = x;`;
    case 'u16':
      return `x = ${val}; if (typeof x !== 'number' || (x & 65535) !== x) bad(x, 65535, 'u16'); o = at + ${at}; ${storeBytes(2, 'x')}`;
    case 'u32':
      return `x = ${val}; if (typeof x !== 'number' || (x >>> 0) !== x) bad(x, 4294967295, 'u32'); o = at + ${at}; ${storeBytes(4, 'x')}`;
    case 'i32':
      // As Buffer.writeInt32LE: coerced with unary +, range-checked, fractions truncated.
      return `x = +${val}; if (x > 2147483647 || x < -2147483648) badI32(x); o = at + ${at}; ${storeBytes(4, 'x')}`;
    case 'u64':
      return (
        `x = ${val}; if (typeof x !== 'number' || !(x >= 0 && x <= 9007199254740991) || Math.floor(x) !== x) bad(x, 9007199254740991, 'u64'); ` +
        `lo = x >>> 0; hi = (x - lo) / 4294967296; o = at + ${at}; ${storeBytes(4, 'lo')} o += 4; ${storeBytes(4, 'hi')}`
      );
    default:
      void g;
      return `b.writeBigUInt64LE(${val}, at + ${at});`;
  }
}

function encodeSource(entries: Entries, size: number, base: number, value: string, g: EncodeGen): void {
  let cursor = 0;
  for (const [name, f] of entries) {
    const at = base + f.offset;
    if (f.offset > cursor) g.zero.push([base + cursor, at]);
    const val = `${value}[${JSON.stringify(name)}]`;
    const inner = STRUCT_OF.get(f.codec);
    const kind = BUILTIN.get(f.codec);
    if (inner) {
      const s = `s${g.structs++}`;
      g.body.push(`const ${s} = ${val};`);
      encodeSource(entriesOf(inner), inner.size, at, s, g);
    } else if (kind) {
      g.body.push(writeSource(kind, at, val, g));
    } else {
      if (!SELF_FILLING.has(f.codec)) g.zero.push([at, at + f.codec.size]);
      g.body.push(`w[${g.writers.length}](b, at + ${at}, ${val});`);
      g.writers.push(f.codec.write);
    }
    cursor = f.offset + f.codec.size;
  }
  if (size > cursor) g.zero.push([base + cursor, base + size]);
}

/**
 * Builds the encoder of a layout: straight-line range checks and stores for every field in offset
 * order, after zeroing exactly the bytes no field writes. Equivalent to zeroing the whole span and
 * then writing each field through its codec, which is what the generic encoder did.
 */
function compileEncoder<F extends FieldMap>(
  entries: Entries,
  size: number,
): (value: ValueOf<F>, buf: Buffer, at: number) => void {
  const g: EncodeGen = { zero: [], body: [], writers: [], structs: 0 };
  encodeSource(entries, size, 0, 'v', g);
  const merged: [number, number][] = [];
  for (const [s, e] of [...g.zero].sort((a, b) => a[0] - b[0])) {
    const last = merged[merged.length - 1];
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else merged.push([s, e]);
  }
  const zero = merged.map(([s, e]) => {
    if (e - s > 8) return `b.fill(0, at + ${s}, at + ${e});`;
    const z: string[] = [];
    for (let i = s; i < e; i++) z.push(`b[at + ${i}] = 0;`);
    return z.join(' ');
  });
  const src = `return function encode(v, b, at) { let x, lo, hi, o; ${zero.join(' ')} ${g.body.join(' ')} };`;
  return new Function('w', 'bad', 'badI32', src)(g.writers, badUnsigned, badI32);
}

export function defineLayout<F extends FieldMap>(name: string, size: number, fields: F): Layout<F> {
  return new Layout(name, size, fields);
}

export type LayoutValue<L> = L extends Layout<infer F> ? ValueOf<F> : never;
