/**
 * A read cursor over a byte range [start, end) of a buffer, for records that are a fixed struct
 * followed by variable parts (NUL-terminated names, arrays). It holds the position that decoders
 * would otherwise keep in a shared variable, so decoding is re-entrant.
 */

/** Thrown when a read would pass the end of the range; `what` names the item being read. */
export class ReadPastEndError extends RangeError {
  constructor(
    readonly what: string,
    readonly needed: number,
    readonly available: number,
  ) {
    super(`${what}: ${needed} bytes needed, ${available} left`);
    this.name = 'ReadPastEndError';
  }
}

interface Decodable<V> {
  readonly size: number;
  decode(buf: Buffer, at?: number): V;
}

export class Reader {
  /** Offset in `buf` of the next byte to read. */
  pos: number;

  constructor(
    readonly buf: Buffer,
    start = 0,
    readonly end = buf.length,
  ) {
    if (!(start >= 0 && start <= end && end <= buf.length)) {
      throw new RangeError(`Reader: range [${start}, ${end}) is not inside a ${buf.length}-byte buffer`);
    }
    this.pos = start;
  }

  /** Bytes left before `end`. */
  get remaining(): number {
    return this.end - this.pos;
  }

  /** Throws ReadPastEndError unless `n` more bytes are there. */
  need(n: number, what: string): void {
    if (this.end - this.pos < n) throw new ReadPastEndError(what, n, this.end - this.pos);
  }

  /** Decodes one struct at the cursor and moves past it. */
  struct<V>(layout: Decodable<V>, what = 'struct'): V {
    this.need(layout.size, what);
    const v = layout.decode(this.buf, this.pos);
    this.pos += layout.size;
    return v;
  }

  /** Decodes `count` consecutive structs and moves past them. */
  array<V>(layout: Decodable<V>, count: number, what = 'array'): V[] {
    this.need(layout.size * count, what);
    const out: V[] = new Array(count);
    for (let i = 0; i < count; i++) {
      out[i] = layout.decode(this.buf, this.pos);
      this.pos += layout.size;
    }
    return out;
  }

  /** A view (not a copy) of the next `n` bytes; moves past them. */
  take(n: number, what = 'bytes'): Buffer {
    this.need(n, what);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /**
   * The offset of the NUL that ends the string starting at the cursor, or -1 when there is none
   * before `end`. The cursor does not move: callers validate the bytes, then `skipPast(nul)`.
   */
  findNul(): number {
    const b = this.buf;
    const end = this.end;
    for (let i = this.pos; i < end; i++) if (b[i] === 0) return i;
    return -1;
  }

  /** Moves the cursor just past `offset` (a NUL that findNul returned). */
  skipPast(offset: number): void {
    if (!(offset >= this.pos && offset < this.end))
      throw new RangeError(`Reader: ${offset} is outside [${this.pos}, ${this.end})`);
    this.pos = offset + 1;
  }

  /** True when every byte of the range has been read. */
  get atEnd(): boolean {
    return this.pos === this.end;
  }
}
