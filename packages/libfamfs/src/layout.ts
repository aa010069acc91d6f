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

export const u8 = (offset: number): Field<number> => ({ offset, codec: U8 });
export const u16 = (offset: number): Field<number> => ({ offset, codec: U16 });
export const u32 = (offset: number): Field<number> => ({ offset, codec: U32 });
export const i32 = (offset: number): Field<number> => ({ offset, codec: I32 });
export const u64 = (offset: number): Field<number> => ({ offset, codec: U64 });
/** A 64-bit field kept exact, for values that may use all 64 bits (flags, file handles). */
export const u64big = (offset: number): Field<bigint> => ({ offset, codec: U64BIG });

/** Raw bytes; decoding copies them out of the source buffer. */
export function bytes(offset: number, size: number): Field<Buffer> {
  return {
    offset,
    codec: {
      size,
      read: (b, at) => Buffer.from(b.subarray(at, at + size)),
      write: (b, at, v) => {
        if (v.length > size) throw new RangeError(`bytes field of ${size} given ${v.length} bytes`);
        b.fill(0, at, at + size);
        v.copy(b, at);
      },
    },
  };
}

/**
 * A NUL-padded UTF-8 string in a fixed field. `terminated` requires room for a NUL (the string may
 * use at most size-1 bytes); otherwise a string filling the whole field is allowed, as C strncpy does.
 */
export function cstring(offset: number, size: number, terminated = true): Field<string> {
  const max = terminated ? size - 1 : size;
  return {
    offset,
    codec: {
      size,
      read: (b, at) => {
        const end = b.indexOf(0, at);
        return b.toString('utf8', at, end < 0 || end > at + size ? at + size : end);
      },
      write: (b, at, v) => {
        const len = Buffer.byteLength(v, 'utf8');
        if (len > max) throw new RangeError(`string of ${len} bytes does not fit a ${size}-byte field`);
        b.fill(0, at, at + size);
        b.write(v, at, 'utf8');
      },
    },
  };
}

/** A nested struct. */
export function struct<F extends FieldMap>(offset: number, inner: Layout<F>): Field<ValueOf<F>> {
  return {
    offset,
    codec: { size: inner.size, read: (b, at) => inner.decode(b, at), write: (b, at, v) => void inner.encodeInto(v, b, at) },
  };
}

export interface FieldInfo {
  readonly name: string;
  readonly offset: number;
  readonly size: number;
}

export class Layout<F extends FieldMap> {
  readonly fieldInfo: readonly FieldInfo[];
  private readonly entries: ReadonlyArray<readonly [string, Field<unknown>]>;
  private readonly decodeAt: (buf: Buffer, at: number) => ValueOf<F>;

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
    this.decodeAt = compileDecoder(this.entries);
  }

  /** Decodes the struct at `at`; the caller guarantees (or we check) that size bytes are there. */
  decode(buf: Buffer, at = 0): ValueOf<F> {
    if (at < 0 || at + this.size > buf.length) {
      throw new RangeError(`${this.name}: need ${this.size} bytes at ${at}, buffer has ${buf.length}`);
    }
    return this.decodeAt(buf, at);
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

  /** Encodes into `buf` at `at`: the whole struct span is zeroed first, so padding is always zero. */
  encodeInto(value: ValueOf<F>, buf: Buffer, at = 0): Buffer {
    if (at < 0 || at + this.size > buf.length) {
      throw new RangeError(`${this.name}: need ${this.size} bytes at ${at}, buffer has ${buf.length}`);
    }
    buf.fill(0, at, at + this.size);
    for (const [fname, f] of this.entries) f.codec.write(buf, at + f.offset, (value as Record<string, unknown>)[fname]);
    return buf;
  }

  encode(value: ValueOf<F>): Buffer {
    return this.encodeInto(value, Buffer.alloc(this.size), 0);
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

/**
 * Builds the decoder of a layout as one function returning an object literal, so every decoded
 * value has the same shape and no per-field loop runs on hot paths (log replay, FUSE requests).
 * It is generated from the same field list as everything else: names are JSON-quoted keys and
 * each value is read by the field's own codec.
 */
function compileDecoder<F extends FieldMap>(entries: ReadonlyArray<readonly [string, Field<unknown>]>): (buf: Buffer, at: number) => ValueOf<F> {
  const readers = entries.map(([, f]) => f.codec.read);
  const props = entries.map(([name, f], i) => `${JSON.stringify(name)}: r[${i}](b, at + ${f.offset})`).join(', ');
  return new Function('r', `return function decode(b, at) { return { ${props} }; };`)(readers);
}

export function defineLayout<F extends FieldMap>(name: string, size: number, fields: F): Layout<F> {
  return new Layout(name, size, fields);
}

export type LayoutValue<L> = L extends Layout<infer F> ? ValueOf<F> : never;
