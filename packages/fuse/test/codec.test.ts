import * as abi from '../src/protocol/abi';
import {
  DirEntry,
  encodeReaddir,
  encodeReaddirplus,
  makeAttr,
  ReplyWriter,
  splitTimeout,
  uniqueHalves,
} from '../src/protocol/reply';
import { profileByName, PROFILES, v10, rfc } from '../src/protocol/profiles';
import { decodeRequest, GetattrRequest, LookupRequest, RequestDecoder, RequestError } from '../src/protocol/request';
import { Errno } from '../src/errors';
import { cleanupTempDirs, msg, tempDir } from './helpers';

afterAll(cleanupTempDirs);

beforeAll(() => {
  tempDir(); // every test file gets its own temp dir (unused by the pure codec tests)
});

describe('layout sizes match the reference tables', () => {
  const expected: [string, { size: number }, number][] = [
    ['fuse_in_header', abi.InHeader, 40],
    ['fuse_out_header', abi.OutHeader, 16],
    ['fuse_init_in', abi.InitIn, 64],
    ['fuse_init_out', abi.InitOut, 64],
    ['fuse_attr', abi.Attr, 88],
    ['fuse_entry_out', abi.EntryOut, 128],
    ['fuse_attr_out', abi.AttrOut, 104],
    ['fuse_getattr_in', abi.GetattrIn, 16],
    ['fuse_setattr_in', abi.SetattrIn, 88],
    ['fuse_open_in', abi.OpenIn, 8],
    ['fuse_open_out', abi.OpenOut, 16],
    ['fuse_create_in', abi.CreateIn, 16],
    ['fuse_release_in', abi.ReleaseIn, 24],
    ['fuse_flush_in', abi.FlushIn, 24],
    ['fuse_read_in', abi.ReadIn, 40],
    ['fuse_write_in', abi.WriteIn, 40],
    ['fuse_write_out', abi.WriteOut, 8],
    ['fuse_fsync_in', abi.FsyncIn, 16],
    ['fuse_access_in', abi.AccessIn, 8],
    ['fuse_getxattr_in', abi.GetxattrIn, 8],
    ['fuse_getxattr_out', abi.GetxattrOut, 8],
    ['fuse_setxattr_in', abi.SetxattrIn, 16],
    ['fuse_interrupt_in', abi.InterruptIn, 8],
    ['fuse_forget_in', abi.ForgetIn, 8],
    ['fuse_forget_one', abi.ForgetOne, 16],
    ['fuse_batch_forget_in', abi.BatchForgetIn, 8],
    ['fuse_kstatfs', abi.Kstatfs, 80],
    ['fuse_statfs_out', abi.StatfsOut, 80],
    ['fuse_file_lock', abi.FileLock, 24],
    ['fuse_lk_in', abi.LkIn, 48],
    ['fuse_lk_out', abi.LkOut, 24],
    ['fuse_mkdir_in', abi.MkdirIn, 8],
    ['fuse_mknod_in', abi.MknodIn, 16],
    ['fuse_rename_in', abi.RenameIn, 8],
    ['fuse_rename2_in', abi.Rename2In, 16],
    ['fuse_link_in', abi.LinkIn, 8],
    ['fuse_lseek_in', abi.LseekIn, 24],
    ['fuse_lseek_out', abi.LseekOut, 8],
    ['fuse_dirent', abi.Dirent, 24],
    ['fuse_direntplus', abi.Direntplus, 152],
    ['fuse_statx_in', abi.StatxIn, 24],
    ['fuse_statx', abi.Statx, 256],
    ['fuse_statx_out', abi.StatxOut, 288],
    ['fuse_famfs_fmap_header', abi.FamfsFmapHeader, 32],
    ['fuse_famfs_simple_ext', abi.FamfsSimpleExt, 24],
    ['fuse_famfs_iext', abi.FamfsIext, 24],
    ['fuse_get_daxdev_in', abi.GetDaxdevIn, 4],
    ['fuse_daxdev_out', abi.DaxdevOut, 280],
  ];
  test.each(expected)('%s has the reference size', (_name, layout, size) => {
    expect(layout.size).toBe(size);
  });

  test('selected field offsets', () => {
    const off = (l: { fieldInfo: readonly { name: string; offset: number }[] }, n: string) =>
      l.fieldInfo.find((f) => f.name === n)?.offset;
    expect(off(abi.Attr, 'mode')).toBe(60);
    expect(off(abi.Attr, 'blksize')).toBe(80);
    expect(off(abi.InitOut, 'flags2')).toBe(32);
    expect(off(abi.InitOut, 'maxPages')).toBe(28);
    expect(off(abi.InHeader, 'totalExtlen')).toBe(36);
    expect(off(abi.DaxdevOut, 'name')).toBe(24);
    expect(off(abi.SetattrIn, 'uid')).toBe(76);
  });
});

describe('round trips', () => {
  test('in header keeps a full 64-bit unique', () => {
    const v = {
      len: 99,
      opcode: 3,
      unique: 0xfedcba9876543210n,
      nodeid: 12345678901,
      uid: 1,
      gid: 2,
      pid: 3,
      totalExtlen: 4,
      padding: 0,
    };
    expect(abi.InHeader.decode(abi.InHeader.encode(v))).toEqual(v);
  });
  test('entry_out with nested attr', () => {
    const attr = makeAttr({
      ino: 7,
      mode: abi.S_IFREG | 0o640,
      size: 5000,
      nlink: 1,
      uid: 10,
      gid: 20,
      mtime: 1_700_000_000,
      mtimensec: 5,
    });
    const v = { nodeid: 7, generation: 3, entryValid: 1, attrValid: 2, entryValidNsec: 500, attrValidNsec: 0, attr };
    expect(abi.EntryOut.decode(abi.EntryOut.encode(v))).toEqual(v);
  });
  test('init_out places flags2 and max_pages', () => {
    const b = abi.InitOut.encode({
      major: 7,
      minor: 45,
      maxReadahead: 131072,
      flags: 0x40000000,
      maxBackground: 0,
      congestionThreshold: 0,
      maxWrite: 1 << 20,
      timeGran: 1,
      maxPages: 256,
      mapAlignment: 0,
      flags2: 0x800,
      maxStackDepth: 0,
      requestTimeout: 0,
      unused: Buffer.alloc(0),
    });
    expect(b.readUInt32LE(20)).toBe(1 << 20);
    expect(b.readUInt16LE(28)).toBe(256);
    expect(b.readUInt32LE(32)).toBe(0x800);
  });
  test('statx_out', () => {
    const t = { tvSec: 1_700_000_000, tvNsec: 9, reserved: 0 };
    const stat = {
      mask: 0x7ff,
      blksize: 4096,
      attributes: 0n,
      nlink: 1,
      uid: 0,
      gid: 0,
      mode: 0o100644,
      spare0: 0,
      ino: 9,
      size: 10,
      blocks: 1,
      attributesMask: 0n,
      atime: t,
      btime: t,
      ctime: t,
      mtime: t,
      rdevMajor: 0,
      rdevMinor: 0,
      devMajor: 0,
      devMinor: 40,
      spare2: Buffer.alloc(112),
    };
    const v = { attrValid: 1, attrValidNsec: 0, flags: 0, spare: Buffer.alloc(16), stat };
    expect(abi.StatxOut.decode(abi.StatxOut.encode(v))).toEqual(v);
  });
  test('timeouts split into seconds and nanoseconds', () => {
    expect(splitTimeout(1.5)).toEqual({ sec: 1, nsec: 500_000_000 });
    expect(splitTimeout(-1)).toEqual({ sec: 0, nsec: 0 });
  });
});

describe('reply encoding', () => {
  const w = new ReplyWriter();
  const replyError = (u: bigint, errno: number) => w.error(uniqueHalves(u), errno);
  const replyData = (u: bigint, d: Buffer | Buffer[]) => w.data(uniqueHalves(u), d);
  const replyEntry = (u: bigint, e: Parameters<ReplyWriter['entry']>[1]) => w.entry(uniqueHalves(u), e);
  const replyDaxdev = (u: bigint, index: number, name: string) => w.daxdev(uniqueHalves(u), index, name);
  test('error reply is a 16-byte header with -errno', () => {
    const [h, ...rest] = replyError(0x10n, 2);
    expect(rest).toHaveLength(0);
    expect(h.toString('hex')).toBe('10000000' + 'feffffff' + '1000000000000000');
    expect(() => replyError(1n, 0)).toThrow(RangeError);
    expect(() => replyError(1n, 512)).toThrow(RangeError);
  });
  test('data replies pass buffers through without copying', () => {
    const data = Buffer.from('abc');
    const iov = replyData(4n, [data, data]);
    expect(iov[1]).toBe(data);
    expect(iov[0].readUInt32LE(0)).toBe(22);
  });
  test('entry reply is header + 128 bytes', () => {
    const iov = replyEntry(2n, { nodeid: 5, attr: makeAttr({ ino: 5, mode: abi.S_IFDIR | 0o755 }) });
    expect(Buffer.concat(iov)).toHaveLength(144);
  });
  test('GET_DAXDEV reply is 296 bytes with a NUL-terminated name', () => {
    const b = Buffer.concat(replyDaxdev(8n, 0, '/dev/dax0.0'));
    expect(b).toHaveLength(296);
    expect(b.readUInt32LE(0)).toBe(296);
    expect(b.subarray(16 + 24, 16 + 24 + 12).toString('latin1')).toBe('/dev/dax0.0\0');
    expect(() => replyDaxdev(8n, 0, 'x'.repeat(256))).toThrow(RangeError);
  });
  test('GET_DAXDEV payload: index, zero reserved words, NUL-terminated name, 255-byte limit', () => {
    const b = Buffer.concat(replyDaxdev(8n, 0, '/dev/dax0.0')).subarray(16);
    expect(b.length).toBe(280);
    expect(b.readUInt16LE(0)).toBe(0);
    expect(b.subarray(2, 24).every((x) => x === 0)).toBe(true);
    expect(b.toString('utf8', 24, 24 + 11)).toBe('/dev/dax0.0');
    expect(b.subarray(24 + 11).every((x) => x === 0)).toBe(true);
    const long = '/' + 'x'.repeat(254);
    expect(Buffer.concat(replyDaxdev(1n, 0, long))[16 + 24 + 255]).toBe(0);
    expect(() => replyDaxdev(1n, 0, long + 'y')).toThrow(RangeError);
    expect(() => replyDaxdev(1n, 0, '')).toThrow(RangeError);
    expect(() => replyDaxdev(1n, 0x10000, '/dev/dax0.0')).toThrow(RangeError);
  });
  test('a unique keeps all 64 bits through its halves', () => {
    const [h] = w.ok(uniqueHalves(0xfedc_ba98_7654_3210n));
    expect(h.readBigUInt64LE(8)).toBe(0xfedc_ba98_7654_3210n);
  });
  test('the worked GET_FMAP example of the reference encodes to its 72 bytes', () => {
    const hdr = abi.FamfsFmapHeader.encode({
      fileType: abi.FamfsFileType.REG,
      reserved: 0,
      fmapVersion: abi.FAMFS_FMAP_VERSION,
      extType: abi.FamfsExtType.SIMPLE,
      nextents: 1,
      reserved0: 0,
      fileSize: 4 << 20,
      reserved1: 0,
    });
    const ext = abi.FamfsSimpleExt.encode({ seDevindex: 0, reserved: 0, seOffset: 64 << 20, seLen: 4 << 20 });
    const b = Buffer.concat(replyData(0x1234n, Buffer.concat([hdr, ext])));
    const hex = [
      '48000000000000003412000000000000',
      '00000100000000000100000000000000',
      '00004000000000000000000000000000',
      '00000000000000000000000400000000',
      '0000400000000000',
    ].join('');
    expect(b.toString('hex')).toBe(hex);
  });
});

describe('directory buffers', () => {
  const entries: DirEntry[] = [
    { name: '.', ino: 1, off: 1, type: abi.DT_DIR },
    { name: '..', ino: 1, off: 2, type: abi.DT_DIR },
    { name: 'hello.txt', ino: 2, off: 3, type: abi.DT_REG },
  ];
  test('readdir records are 8-byte aligned and match hand-computed bytes', () => {
    const b = encodeReaddir(4096, entries);
    // "." : 24 + 1 -> 32; ".." : 24 + 2 -> 32; "hello.txt": 24 + 9 = 33 -> 40.
    const rec = (ino: number, off: number, type: number, name: string, size: number) => {
      const r = Buffer.alloc(size);
      r.writeUInt32LE(ino, 0);
      r.writeUInt32LE(off, 8);
      r.writeUInt32LE(name.length, 16);
      r.writeUInt32LE(type, 20);
      r.write(name, 24, 'latin1');
      return r;
    };
    const expected = Buffer.concat([rec(1, 1, 4, '.', 32), rec(1, 2, 4, '..', 32), rec(2, 3, 8, 'hello.txt', 40)]);
    expect(b.toString('hex')).toBe(expected.toString('hex'));
    expect(b.subarray(64, 72).toString('hex')).toBe('0200000000000000');
    expect(b.subarray(64 + 33, 104).toString('hex')).toBe('00000000000000'); // zero padding
  });
  test('readdir stops at the requested size and does not pull further entries', () => {
    let pulled = 0;
    function* gen() {
      for (const e of entries) {
        pulled++;
        yield e;
      }
    }
    const b = encodeReaddir(70, gen());
    expect(b).toHaveLength(64); // ".", ".." fit; "hello.txt" (40) would end at 104
    expect(pulled).toBe(3);
    expect(encodeReaddir(31, entries)).toHaveLength(0);
  });
  test('readdirplus builds entries only for records that fit', () => {
    let built = 0;
    const plus = entries.map((e) => ({
      name: e.name,
      off: e.off,
      entry: () => {
        built++;
        return { nodeid: e.ino, attr: makeAttr({ ino: e.ino, mode: (e.type << 12) | 0o755 }) };
      },
    }));
    const b = encodeReaddirplus(152 + 8 + 152 + 8, plus);
    expect(b).toHaveLength(320);
    expect(built).toBe(2);
    const d = abi.Direntplus.decode(b, 160);
    expect(d.dirent).toEqual({ ino: 1, off: 2, namelen: 2, type: abi.DT_DIR });
    expect(d.entryOut.nodeid).toBe(1);
    expect(b.subarray(160 + 152, 160 + 154).toString()).toBe('..');
  });
  test('names with "/" are refused', () => {
    expect(() => encodeReaddir(4096, [{ name: 'a/b', ino: 1, off: 1, type: 8 }])).toThrow(RangeError);
  });
});

describe('ABI profiles', () => {
  test('v10 and rfc', () => {
    expect(profileByName('v10')).toBe(v10);
    expect(v10).toMatchObject({ getFmapOpcode: 54, getDaxdevOpcode: 55, initFlagBit: 43, maxExtents: 32 });
    expect(rfc).toMatchObject({ getFmapOpcode: 53, getDaxdevOpcode: 54, initFlagBit: 42 });
    expect(PROFILES[0]).toBe(v10);
    expect(() => profileByName('nope')).toThrow(/known: v10, rfc/);
  });
  test('FUSE_DAX_FMAP (v10) is bit 11 of flags2', () => {
    expect(abi.initFlag(v10.initFlagBit) >> 32n).toBe(0x800n);
  });
});

describe('names are decoded exactly or refused', () => {
  const decodeError = (m: Buffer): unknown => {
    try {
      decodeRequest(m, { profile: v10 });
    } catch (e) {
      return e;
    }
    return undefined;
  };

  test.each<[string, Buffer]>([
    ['LOOKUP', msg(abi.Opcode.LOOKUP, 7, 1, Buffer.from([0x62, 0x61, 0x64, 0xff, 0]))],
    ['LOOKUP of a truncated sequence', msg(abi.Opcode.LOOKUP, 7, 1, Buffer.from([0x61, 0xe2, 0x82, 0]))],
    ['MKDIR', msg(abi.Opcode.MKDIR, 7, 1, Buffer.concat([Buffer.alloc(abi.MkdirIn.size), Buffer.from([0xfe, 0])]))],
    [
      'GETXATTR',
      msg(abi.Opcode.GETXATTR, 7, 1, Buffer.concat([Buffer.alloc(abi.GetxattrIn.size), Buffer.from([0x75, 0xff, 0])])),
    ],
  ])('a %s name that is not UTF-8 is EINVAL, never read as U+FFFD', (_what, m) => {
    const e = decodeError(m);
    expect(e).toBeInstanceOf(RequestError);
    expect(e).toMatchObject({ unique: 7n, errno: Errno.EINVAL });
    expect((e as Error).message).toMatch(/is not valid UTF-8/);
  });

  test('a name holding U+FFFD as a character decodes to it', () => {
    const r = decodeRequest(msg(abi.Opcode.LOOKUP, 7, 1, Buffer.from('ok\ufffd\0')), { profile: v10 }) as LookupRequest;
    expect(r.name).toBe('ok\ufffd');
  });
});

describe('RequestDecoder reuses its objects', () => {
  const getattrBody = (fh: number | null): Buffer => {
    const b = Buffer.alloc(abi.GetattrIn.size);
    if (fh !== null) {
      b.writeUInt32LE(abi.FUSE_GETATTR_FH, abi.GetattrIn.offsetOf('getattrFlags'));
      b.writeBigUInt64LE(BigInt(fh), abi.GetattrIn.offsetOf('fh'));
    }
    return b;
  };

  test('LOOKUP and GETATTR come back as the same objects, refilled; every field is the new one', () => {
    const d = new RequestDecoder({ profile: v10 });
    const a = d.decode(msg(abi.Opcode.LOOKUP, 5, 1, Buffer.from('first\0'), { uid: 10, gid: 20, pid: 30 }));
    expect(a).toMatchObject({ op: 'lookup', name: 'first' });
    expect(a.header).toMatchObject({ opcode: abi.Opcode.LOOKUP, nodeid: 1, uid: 10, gid: 20, pid: 30, len: 46 });
    expect(a.header.unique).toBe(5n);

    const big = 2n ** 40n + 3n;
    const b = d.decode(msg(abi.Opcode.LOOKUP, big, 9, Buffer.from('second\0'), { uid: 11, gid: 21, pid: 31 }));
    expect(b).toBe(a);
    expect(b).toMatchObject({ op: 'lookup', name: 'second' });
    expect(b.header).toMatchObject({ nodeid: 9, uid: 11, gid: 21, pid: 31, len: 47 });
    expect(b.header.unique).toBe(big);

    const g1 = d.decode(msg(abi.Opcode.GETATTR, 6, 9, getattrBody(77))) as GetattrRequest;
    expect(g1).toMatchObject({ op: 'getattr', fh: 77 });
    expect(g1.header).toBe(a.header); // one header for every request
    expect(g1.header).toMatchObject({ opcode: abi.Opcode.GETATTR, nodeid: 9 });
    const g2 = d.decode(msg(abi.Opcode.GETATTR, 7, 2, getattrBody(null))) as GetattrRequest;
    expect(g2).toBe(g1);
    expect(g2.fh).toBeUndefined();
    expect(g2.header).toMatchObject({ nodeid: 2 });
    expect(g2.header.unique).toBe(7n);
  });

  test('other ops share the header but are new objects; malformed input still throws, and the next decode works', () => {
    const d = new RequestDecoder({ profile: v10 });
    const o1 = d.decode(msg(abi.Opcode.OPENDIR, 1, 1, Buffer.alloc(abi.OpenIn.size)));
    const o2 = d.decode(msg(abi.Opcode.OPENDIR, 2, 1, Buffer.alloc(abi.OpenIn.size)));
    expect(o2).not.toBe(o1);
    expect(o2.header).toBe(o1.header);
    expect(() => d.decode(msg(abi.Opcode.LOOKUP, 3, 1, Buffer.from('a/b\0')))).toThrow(/contains '\/'/);
    expect(() => d.decode(msg(abi.Opcode.LOOKUP, 4, 1, Buffer.from('ab\0x')))).toThrow(/1 unexpected trailing bytes/);
    expect(d.decode(msg(abi.Opcode.LOOKUP, 5, 1, Buffer.from('..\0')))).toMatchObject({ op: 'lookup', name: '..' });
  });

  test('decodeRequest makes new objects every time', () => {
    const m = msg(abi.Opcode.LOOKUP, 5, 1, Buffer.from('x\0'));
    const a = decodeRequest(m, { profile: v10 });
    const b = decodeRequest(m, { profile: v10 });
    expect(b).not.toBe(a);
    expect(b.header).not.toBe(a.header);
    expect(b).toEqual(a);
  });
});
