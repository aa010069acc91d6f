import { defineLayout, u32 } from '../src/layout';
import { Reader, ReadPastEndError } from '../src/reader';

const Pair = defineLayout('pair', 8, { a: u32(0), b: u32(4) });

describe('Reader', () => {
  it('reads a struct, a name and a tail in sequence', () => {
    const buf = Buffer.concat([Pair.encode({ a: 1, b: 2 }), Buffer.from('name\0'), Buffer.from([9, 9])]);
    const r = new Reader(buf);
    expect(r.struct(Pair)).toEqual({ a: 1, b: 2 });
    const nul = r.findNul();
    expect(buf.toString('utf8', r.pos, nul)).toBe('name');
    r.skipPast(nul);
    expect([...r.take(2)]).toEqual([9, 9]);
    expect(r.atEnd).toBe(true);
  });

  it('stays inside its range', () => {
    const buf = Buffer.from('abc\0def');
    const r = new Reader(buf, 4, 6);
    expect(r.findNul()).toBe(-1);
    expect(r.remaining).toBe(2);
    expect(() => r.take(3, 'payload')).toThrow(ReadPastEndError);
    expect(() => r.take(3, 'payload')).toThrow('payload: 3 bytes needed, 2 left');
    expect(() => r.struct(Pair)).toThrow(ReadPastEndError);
    expect(() => r.skipPast(6)).toThrow(RangeError);
    expect(() => new Reader(buf, 5, 9)).toThrow(RangeError);
  });

  it('reads arrays', () => {
    const buf = Buffer.concat([Pair.encode({ a: 1, b: 2 }), Pair.encode({ a: 3, b: 4 })]);
    const r = new Reader(buf);
    expect(r.array(Pair, 2)).toEqual([
      { a: 1, b: 2 },
      { a: 3, b: 4 },
    ]);
    expect(() => new Reader(buf).array(Pair, 3, 'pairs')).toThrow('pairs: 24 bytes needed, 16 left');
  });
});
