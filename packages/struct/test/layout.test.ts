import { bytes, cstring, defineLayout, i32, struct, u16, u32, u64, u64big, u8 } from '../src/layout';

const Inner = defineLayout('inner', 8, { a: u16(0), b: u32(4) });
const Outer = defineLayout('outer', 48, {
  tag: u8(0),
  count: u16(2),
  delta: i32(4),
  size: u64(8),
  flags: u64big(16),
  inner: struct(24, Inner),
  name: cstring(32, 8),
  raw: bytes(40, 4),
});

const value = {
  tag: 0xab,
  count: 0x1234,
  delta: -2,
  size: 2 ** 40 + 5,
  flags: 0x8000_0000_0000_0001n,
  inner: { a: 7, b: 0xdeadbeef },
  name: 'famfs',
  raw: Buffer.from([1, 2, 3, 4]),
};

// Byte for byte what a C compiler lays out for the struct above on LP64 little-endian.
const golden = Buffer.from(
  'ab003412' +
    'feffffff' +
    '0500000000010000' +
    '0100000000000080' +
    '07000000efbeadde' +
    '66616d6673000000' +
    '01020304' +
    '00000000',
  'hex',
);

describe('Layout', () => {
  it('encodes to the golden bytes and decodes them back', () => {
    expect(Outer.encode(value).toString('hex')).toBe(golden.toString('hex'));
    expect(Outer.decode(golden)).toEqual(value);
  });

  it('zeroes padding and unused string bytes whatever the buffer held', () => {
    const buf = Buffer.alloc(Outer.size + 4, 0xee);
    Outer.encodeInto(value, buf, 4);
    expect(buf.subarray(0, 4).toString('hex')).toBe('eeeeeeee');
    expect(buf.subarray(4).toString('hex')).toBe(golden.toString('hex'));
  });

  it('describes its fields in offset order', () => {
    expect(Inner.fieldInfo).toEqual([
      { name: 'a', offset: 0, size: 2 },
      { name: 'b', offset: 4, size: 4 },
    ]);
    expect(Outer.offsetOf('name')).toBe(32);
  });

  it('reads and writes one field in place', () => {
    const buf = Buffer.from(golden);
    expect(Outer.get(buf, 'size')).toBe(2 ** 40 + 5);
    Outer.set(buf, 'count', 9);
    expect(buf.readUInt16LE(2)).toBe(9);
    expect(Outer.decode(buf).count).toBe(9);
  });

  it('decodes arrays of structs', () => {
    const buf = Buffer.concat([Inner.encode({ a: 1, b: 2 }), Inner.encode({ a: 3, b: 4 })]);
    expect(Inner.decodeArray(buf, 0, 2)).toEqual([
      { a: 1, b: 2 },
      { a: 3, b: 4 },
    ]);
  });

  it('refuses overlapping fields and fields past the size', () => {
    expect(() => defineLayout('bad', 8, { a: u32(0), b: u32(2) })).toThrow(/overlaps/);
    expect(() => defineLayout('bad', 6, { a: u64(0) })).toThrow(/past size 6/);
  });

  it('refuses spans outside the buffer', () => {
    expect(() => Inner.decode(Buffer.alloc(7))).toThrow(RangeError);
    expect(() => Inner.decode(Buffer.alloc(16), 9)).toThrow(/need 8 bytes at 9/);
    expect(() => Inner.encodeInto({ a: 1, b: 1 }, Buffer.alloc(8), 1)).toThrow(RangeError);
  });

  it('refuses values outside each field range', () => {
    const bad = (patch: Partial<typeof value>) => () => Outer.encode({ ...value, ...patch });
    expect(bad({ tag: 256 })).toThrow(/u8: 256/);
    expect(bad({ count: -1 })).toThrow(/u16/);
    expect(bad({ size: 2 ** 53 })).toThrow(/u64/);
    expect(bad({ size: 1.5 })).toThrow(/u64/);
    expect(bad({ delta: 2 ** 31 })).toThrow(/i32/);
    expect(bad({ name: 'eightbyt' })).toThrow(/does not fit/);
    expect(bad({ raw: Buffer.alloc(5) })).toThrow(/4 given 5/);
    expect(() => Inner.encode({ a: 1, b: 2 ** 32 })).toThrow(/u32/);
  });

  it('keeps the magnitude of 64-bit values above 2^53 read from untrusted bytes', () => {
    const buf = Buffer.alloc(Outer.size);
    buf.writeBigUInt64LE(0xffff_ffff_ffff_ffffn, 8);
    expect(Outer.decode(buf).size).toBeGreaterThan(Number.MAX_SAFE_INTEGER);
  });

  it('reads unterminated strings up to the field end and allows full fields when not terminated', () => {
    const Name = defineLayout('name', 4, { s: cstring(0, 4, false) });
    expect(Name.encode({ s: 'abcd' }).toString()).toBe('abcd');
    expect(Name.decode(Buffer.from('abcd')).s).toBe('abcd');
    expect(Name.decode(Buffer.from([0x61, 0, 0x62, 0])).s).toBe('a');
  });

  it('decodes and encodes strings exactly or refuses them: no U+FFFD in either direction', () => {
    const Name = defineLayout('name', 8, { s: cstring(0, 8) });
    expect(Name.decode(Buffer.from([0xe2, 0x82, 0xac, 0xef, 0xbf, 0xbd, 0, 0])).s).toBe('\u20ac\ufffd');
    expect(() => Name.decode(Buffer.from([0x61, 0xff, 0, 0, 0, 0, 0, 0]))).toThrow(/not valid UTF-8/);
    expect(() => Name.decode(Buffer.from([0x61, 0xe2, 0x82, 0, 0, 0, 0, 0]))).toThrow(/not valid UTF-8/);
    expect(() => Name.encode({ s: 'a\ud800' })).toThrow(/lone UTF-16 surrogate/);
    expect(Name.encode({ s: '\u20ac' }).subarray(0, 4)).toEqual(Buffer.from([0xe2, 0x82, 0xac, 0]));
  });

  it('measures strings by their UTF-8 bytes and pads them with NULs over whatever was there', () => {
    const Name = defineLayout('name', 8, { s: cstring(0, 8) });
    const dirty = () => Buffer.alloc(8, 0xff);
    expect(Name.encodeInto({ s: 'ab' }, dirty())).toEqual(Buffer.from([0x61, 0x62, 0, 0, 0, 0, 0, 0]));
    // Three units, six bytes: fits a field of seven usable bytes; three euro signs (nine) do not.
    expect(Name.encodeInto({ s: '\u00e9\u00e9\u00e9' }, dirty())).toEqual(
      Buffer.from([0xc3, 0xa9, 0xc3, 0xa9, 0xc3, 0xa9, 0, 0]),
    );
    expect(() => Name.encode({ s: '\u20ac\u20ac\u20ac' })).toThrow(/9 bytes does not fit/);
    expect(() => Name.encode({ s: 'a\u{1F600}bcd' })).toThrow(/8 bytes does not fit/);
    expect(Name.encodeInto({ s: 'a\u{1F600}bc' }, dirty()).subarray(5)).toEqual(Buffer.from([0x62, 0x63, 0]));
  });
});
