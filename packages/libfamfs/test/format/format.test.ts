import { encodeSuperblock, SuperblockLayout, checkSuperblock } from '../../src/format/superblock';
import { LogHeaderLayout, newLogHeader, parseLogHeader } from '../../src/format/log-header';
import { encodeLogEntry, fileEntry, readLogEntry } from '../../src/format/log-entry';
import { GiB, LOG_OFFSET, MiB } from '../../src/format/constants';
import { isFamfsError } from '../../src/errors';
import { vectorMeta, vectorInfo, VECTORS } from '../vectors';

const seq = (from: number) => Buffer.from(Array.from({ length: 16 }, (_, i) => from + i));

function goldenSuperblock(): Buffer {
  return encodeSuperblock({
    magic: 0x87b282ff,
    version: 48,
    logOffset: 2 * MiB,
    logLen: 8 * MiB,
    allocUnit: 2 * MiB,
    omfMajor: 2,
    omfMinor: 2,
    uuid: seq(0x10),
    devUuid: seq(0x20),
    systemUuid: seq(0x30),
    crc: 0,
    flags: 0,
    daxdevSize: 8 * GiB,
    daxdevUuid: Buffer.alloc(16),
    daxdevName: '/dev/dax0.0',
  });
}

describe('superblock', () => {
  test('golden bytes of reference §1.5', () => {
    const b = goldenSuperblock();
    expect(b.length).toBe(200);
    expect(b.subarray(0, 0x30).toString('hex')).toBe(
      'ff82b28700000000' +
        '3000000000000000' +
        '0000200000000000' +
        '0000800000000000' +
        '0000200000000000' +
        '0200000002000000',
    );
    expect(b.subarray(0x30, 0x60)).toEqual(Buffer.concat([seq(0x10), seq(0x20), seq(0x30)]));
    expect(b.readUInt32LE(96)).toBe(0x194a8129);
    expect(b.subarray(0x60, 0x70).toString('hex')).toBe('29814a19000000000000000000000000');
    expect(b.subarray(0x70, 0x78).toString('hex')).toBe('0000000002000000');
    expect(b.toString('latin1', 0x88, 0x88 + 11)).toBe('/dev/dax0.0');
    expect(b.subarray(0x88 + 11, 200).every((x) => x === 0)).toBe(true);
  });

  test('equals the superblock bytes the C famfs wrote', () => {
    expect(goldenSuperblock()).toEqual(vectorMeta('populated').subarray(0, 200));
  });

  test('version 47 is read and reported; other versions refused', () => {
    const b = goldenSuperblock();
    const v47 = encodeSuperblock({ ...SuperblockLayout.decode(b), version: 47 });
    const c = checkSuperblock(v47);
    expect(c.ok).toBe(true);
    expect(c.sb.version).toBe(47);
    const v49 = encodeSuperblock({ ...SuperblockLayout.decode(b), version: 49 });
    expect(checkSuperblock(v49)).toMatchObject({ ok: false, fault: 'version' });
  });

  test.each([
    ['magic', 0, 'magic'],
    ['crc', 97, 'crc'],
    ['covered field', 50, 'crc'],
  ])('corrupt %s is refused', (_n, offset, fault) => {
    const b = goldenSuperblock();
    b[offset] ^= 0x40;
    expect(checkSuperblock(b)).toMatchObject({ ok: false, fault });
  });

  test('a superblock that claims more than the device holds is refused', () => {
    expect(checkSuperblock(goldenSuperblock(), 4 * GiB)).toMatchObject({ ok: false, fault: 'dev_size' });
  });
});

describe('log header', () => {
  test('golden bytes of a fresh 8 MiB log', () => {
    const h = newLogHeader(8 * MiB);
    expect(h.toString('hex')).toBe(
      '0df0fecaad0b0000' + '0000800000000000' + '3b3c000000000000' + '785087a500000000' + '0'.repeat(32),
    );
    expect(h).toEqual(vectorMeta('empty').subarray(LOG_OFFSET, LOG_OFFSET + 48));
  });

  test('256 MiB log has 493,447 slots', () => {
    expect(LogHeaderLayout.decode(newLogHeader(256 * MiB)).lastIndex).toBe(493446);
  });

  test('CRC, length and next_index are checked', () => {
    const h = newLogHeader(8 * MiB);
    expect(() => parseLogHeader(h, 16 * MiB, 'dev')).toThrow(/does not match/);
    const c = Buffer.from(h);
    c[17] ^= 1;
    expect(() => parseLogHeader(c, 8 * MiB, 'dev')).toThrow(/CRC mismatch/);
    const n = Buffer.from(h);
    LogHeaderLayout.set(n, 'nextIndex', 15421);
    expect(() => parseLogHeader(n, 8 * MiB, 'dev')).toThrow(/beyond the last slot/);
  });
});

describe('log entries', () => {
  test('golden mkdir entry of §1.5', () => {
    const b = encodeLogEntry({ type: 'mkdir', path: 'dir1', uid: 0, gid: 0, mode: 0o755 }, 0);
    expect(b.length).toBe(544);
    expect(b.readUInt32LE(536)).toBe(0xd6db820b);
    expect(b.readUInt32LE(540)).toBe(0);
    expect(readLogEntry(b, 0, 0)).toEqual({ type: 'mkdir', path: 'dir1', uid: 0, gid: 0, mode: 0o755 });
  });

  test('golden file entry of §1.5', () => {
    const e = fileEntry('dir1/file0', 1048576, 0o644, 1000, 1000, {
      kind: 'simple',
      extents: [{ devIndex: 0, offset: 0xa00000, len: 0x200000 }],
    });
    const b = encodeLogEntry(e, 1);
    expect(b.readUInt32LE(536)).toBe(0x88905844);
    expect(b.subarray(0x10, 0x18).toString('hex')).toBe('0000100000000000');
    expect(b.readUInt32LE(0x80)).toBe(1);
    expect(b.subarray(0x90, 0xa0).toString('hex')).toBe('0000a000000000000000200000000000');
    expect(readLogEntry(b, 0, 1)).toEqual(e);
  });

  test('every entry of the C images decodes and re-encodes to the same bytes', () => {
    for (const name of ['populated', 'populated-log256m'] as const) {
      const meta = vectorMeta(name);
      const n = vectorInfo(name).log_header.next_index;
      for (let i = 0; i < n; i++) {
        const at = LOG_OFFSET + 48 + 544 * i;
        const e = readLogEntry(meta, at, i);
        expect(encodeLogEntry(e, i)).toEqual(meta.subarray(at, at + 544));
      }
    }
  });

  test('the interleaved entry of the populated image', () => {
    const meta = vectorMeta('populated');
    const e = readLogEntry(meta, LOG_OFFSET + 48 + 544 * 6, 6);
    expect(e).toMatchObject({ type: 'file', path: 'striped', size: 7 * MiB });
    if (e.type !== 'file' || e.fmap.kind !== 'interleaved') throw new Error('expected interleaved');
    expect(e.fmap.nstrips).toBe(2);
    expect(e.fmap.chunkSize).toBe(2 * MiB);
    expect(e.fmap.strips.map((s) => s.len)).toEqual([4 * MiB, 4 * MiB]);
  });

  test.each([
    ['seqnum', (b: Buffer) => b.writeUInt32LE(7, 0), /seqnum 7/],
    ['crc', (b: Buffer) => (b[536] ^= 1), /CRC mismatch/],
    ['body byte', (b: Buffer) => (b[300] ^= 1), /CRC mismatch/],
  ])('a corrupt %s is a typed EBADENTRY naming the index', (_n, corrupt, msg) => {
    const b = encodeLogEntry({ type: 'mkdir', path: 'd', uid: 0, gid: 0, mode: 0o755 }, 3);
    corrupt(b);
    try {
      readLogEntry(b, 0, 3);
      throw new Error('not refused');
    } catch (e) {
      expect(isFamfsError(e, 'EBADENTRY')).toBe(true);
      expect((e as Error).message).toMatch(/^log entry 3: /);
      expect((e as Error).message).toMatch(msg);
    }
  });

  test('all vectors have the documented header', () => {
    for (const v of VECTORS) {
      const meta = vectorMeta(v);
      const info = vectorInfo(v);
      const h = parseLogHeader(meta.subarray(LOG_OFFSET), info.log_len, v);
      expect(h.nextIndex).toBe(info.log_header.next_index);
      expect(checkSuperblock(meta, info.device_size).ok).toBe(true);
    }
  });
});
