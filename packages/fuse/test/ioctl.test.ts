/**
 * FUSE_IOCTL: the three wire structs, the request decoder and the reply against hand-written
 * bytes, and the session's restricted-ioctl rules driven through a QueueTransport.
 */
import * as abi from '../src/protocol/abi';
import { Opcode } from '../src/protocol/abi';
import { decodeRequest, IoctlRequest, RequestError } from '../src/protocol/request';
import { ReplyWriter, uniqueHalves } from '../src/protocol/reply';
import { v10 } from '../src/protocol/profiles';
import { Session } from '../src/session/session';
import { QueueTransport } from '../src/testing/queue-transport';
import { ioctlMsg } from '../src/testing/requests';
import { FileSystem, IoctlReply } from '../src/filesystem';
import { Errno, FuseErrno } from '../src/errors';
import { cleanupTempDirs, initMsg, msg, parseReply, tempDir } from './helpers';

afterAll(cleanupTempDirs);
beforeAll(() => {
  tempDir();
});

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** _IOWR('u', 1, 4) = dir 3 << 30 | size 4 << 16 | 'u' << 8 | 1. */
const IOWR_U_1_4 = 0xc0047501;

describe('layouts', () => {
  test('fuse_ioctl_in 32, fuse_ioctl_out 16, fuse_ioctl_iovec 16, flag values', () => {
    expect([abi.IoctlIn.size, abi.IoctlOut.size, abi.IoctlIovec.size]).toEqual([32, 16, 16]);
    expect(abi.IoctlIn.fieldInfo.map((f) => [f.name, f.offset])).toEqual([
      ['fh', 0],
      ['flags', 8],
      ['cmd', 12],
      ['arg', 16],
      ['inSize', 24],
      ['outSize', 28],
    ]);
    expect([abi.FUSE_IOCTL_COMPAT, abi.FUSE_IOCTL_UNRESTRICTED, abi.FUSE_IOCTL_RETRY]).toEqual([1, 2, 4]);
    expect([abi.FUSE_IOCTL_32BIT, abi.FUSE_IOCTL_DIR, abi.FUSE_IOCTL_COMPAT_X32]).toEqual([8, 16, 32]);
    expect(Opcode.IOCTL).toBe(39);
  });
});

describe('decoding', () => {
  // One request as the kernel writes it: _IOWR('u', 1, 4) on a directory, 4 bytes in, 4 out.
  const golden = hex(`
    4c000000 27000000 0807060504030201 0500000000000000 00000000 00000000 d2040000 0000 0000
    0700000000000000 10000000 017504c0 78563412fd7f0000 04000000 04000000
    deadbeef`);

  test('hand-written bytes decode to every field; the input is a view into the message', () => {
    const r = decodeRequest(golden, { profile: v10 }) as IoctlRequest;
    expect(r.op).toBe('ioctl');
    expect(r.header.unique).toBe(0x0102030405060708n);
    expect(r.header.nodeid).toBe(5);
    expect({ fh: r.fh, flags: r.flags, cmd: r.cmd, arg: r.arg, inSize: r.inSize, outSize: r.outSize }).toEqual({
      fh: 7,
      flags: abi.FUSE_IOCTL_DIR,
      cmd: IOWR_U_1_4,
      arg: 0x7ffd12345678n,
      inSize: 4,
      outSize: 4,
    });
    expect(r.data).toEqual(hex('deadbeef'));
    expect(r.data.buffer).toBe(golden.buffer);
  });

  test('the builder writes the same bytes', () => {
    const built = ioctlMsg(0x0102030405060708n, 5, {
      fh: 7,
      flags: abi.FUSE_IOCTL_DIR,
      cmd: IOWR_U_1_4,
      arg: 0x7ffd12345678n,
      outSize: 4,
      data: hex('deadbeef'),
    });
    expect(built.toString('hex')).toBe(golden.toString('hex'));
  });

  test('a cmd with bit 31 set stays a u32; 64-bit args keep every bit', () => {
    const r = decodeRequest(ioctlMsg(3, 2, { cmd: 0x81c07555, arg: 0xffff_ffff_ffff_fff0n, outSize: 448 }), {
      profile: v10,
    }) as IoctlRequest;
    expect(r.cmd).toBe(0x81c07555);
    expect(r.arg).toBe(0xffff_ffff_ffff_fff0n);
    expect(r.data.length).toBe(0);
  });

  test.each<[string, Buffer]>([
    ['a short fuse_ioctl_in', msg(Opcode.IOCTL, 9, 2, Buffer.alloc(24))],
    ['in_size larger than the input carried', ioctlMsg(9, 2, { cmd: IOWR_U_1_4, inSize: 8, data: Buffer.alloc(4) })],
    ['in_size smaller than the input carried', ioctlMsg(9, 2, { cmd: IOWR_U_1_4, inSize: 0, data: Buffer.alloc(4) })],
    ['nodeid 0', ioctlMsg(9, 0, { cmd: IOWR_U_1_4 })],
  ])('%s is EINVAL for unique 9', (_what, bad) => {
    let err: unknown;
    try {
      decodeRequest(bad, { profile: v10 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RequestError);
    expect(err).toMatchObject({ unique: 9n, errno: Errno.EINVAL, opcode: Opcode.IOCTL });
  });
});

describe('reply', () => {
  const h = uniqueHalves(0x0102030405060708n);

  test('fuse_ioctl_out then the data, not copied', () => {
    const data = Buffer.from([1, 2, 3]);
    const iov = new ReplyWriter().ioctl(h, 5, data);
    expect(iov[iov.length - 1]).toBe(data);
    expect(Buffer.concat(iov).toString('hex')).toBe(
      '23000000' + '00000000' + '0807060504030201' + '05000000' + '00'.repeat(12) + '010203',
    );
  });

  test('no data: the 16-byte fuse_ioctl_out alone; a negative result is written as an int32', () => {
    expect(Buffer.concat(new ReplyWriter().ioctl(h, -1)).toString('hex')).toBe(
      '20000000' + '00000000' + '0807060504030201' + 'ffffffff' + '00'.repeat(12),
    );
  });

  test('a result outside int32 is refused', () => {
    expect(() => new ReplyWriter().ioctl(h, 2 ** 31)).toThrow(RangeError);
    expect(() => new ReplyWriter().ioctl(h, 1.5)).toThrow(RangeError);
  });
});

describe('session', () => {
  function started(fs: FileSystem) {
    const t = new QueueTransport();
    const logs: string[] = [];
    const s = new Session(fs, t, { profile: v10, log: (m) => logs.push(m) });
    const exchange = (...msgs: Buffer[]) => {
      for (const m of msgs) t.push(m);
      s.run();
      return t.take().map(parseReply);
    };
    expect(exchange(initMsg(1))[0].error).toBe(0);
    return { s, t, logs, exchange };
  }

  /** Echoes the input reversed, padded to out_size; cmd 1 fails with ENOTTY, cmd 2 answers too much. */
  const echo = (): FileSystem & { seen: IoctlRequest[] } => {
    const seen: IoctlRequest[] = [];
    return {
      seen,
      ioctl(req): IoctlReply {
        seen.push({ ...req, data: Buffer.from(req.data) });
        if (req.cmd === 1) throw new FuseErrno(Errno.ENOTTY);
        if (req.cmd === 2) return { result: 0, data: Buffer.alloc(req.outSize + 1) };
        const out = Buffer.alloc(req.outSize);
        Buffer.from(req.data).reverse().copy(out);
        return { result: 42, data: out };
      },
    };
  };

  test('without an ioctl method: ENOSYS (the kernel hands the caller ENOTTY)', () => {
    const { exchange, s } = started({});
    expect(exchange(ioctlMsg(10, 2, { cmd: 0x7553 }))[0]).toMatchObject({ unique: 10n, error: -Errno.ENOSYS, len: 16 });
    expect(s.stats.enosys).toBe(1);
  });

  test('the file system gets every field and its answer is fuse_ioctl_out plus data', () => {
    const fs = echo();
    const { exchange } = started(fs);
    const [r] = exchange(ioctlMsg(10, 2, { fh: 3, cmd: IOWR_U_1_4, arg: 0x1000n, outSize: 4, data: hex('01020304') }));
    expect(r.error).toBe(0);
    expect(abi.IoctlOut.decode(r.payload)).toEqual({ result: 42, flags: 0, inIovs: 0, outIovs: 0 });
    expect(r.payload.subarray(16)).toEqual(hex('04030201'));
    expect(fs.seen[0]).toMatchObject({
      op: 'ioctl',
      fh: 3,
      flags: 0,
      cmd: IOWR_U_1_4,
      arg: 0x1000n,
      inSize: 4,
      outSize: 4,
    });
    expect(fs.seen[0].data).toEqual(hex('01020304'));
  });

  test('DIR, COMPAT and 32BIT reach the file system: it decides what it supports', () => {
    const fs = echo();
    const { exchange } = started(fs);
    const flags = [abi.FUSE_IOCTL_DIR, abi.FUSE_IOCTL_COMPAT, abi.FUSE_IOCTL_32BIT | abi.FUSE_IOCTL_COMPAT_X32];
    const rs = exchange(...flags.map((f, i) => ioctlMsg(20 + 2 * i, 2, { cmd: 0x7553, flags: f })));
    expect(rs.map((r) => [r.error, r.len])).toEqual(flags.map(() => [0, 32]));
    expect(fs.seen.map((r) => r.flags)).toEqual(flags);
  });

  test('UNRESTRICTED (CUSE only) is ENOTTY without calling the file system, once logged', () => {
    const fs = echo();
    const { exchange, logs } = started(fs);
    const rs = exchange(...[10, 12].map((u) => ioctlMsg(u, 2, { cmd: 0x5401, flags: abi.FUSE_IOCTL_UNRESTRICTED })));
    expect(rs.map((r) => r.error)).toEqual([-Errno.ENOTTY, -Errno.ENOTTY]);
    expect(fs.seen).toHaveLength(0);
    expect(logs.filter((l) => /UNRESTRICTED/.test(l))).toHaveLength(1);
  });

  test('a FuseErrno is the errno; more output than out_size is EIO; malformed is EINVAL; the loop goes on', () => {
    const fs = echo();
    const { exchange, s, t } = started(fs);
    const rs = exchange(
      ioctlMsg(10, 2, { cmd: 1 }),
      ioctlMsg(12, 2, { cmd: 2, outSize: 8 }),
      ioctlMsg(14, 2, { cmd: IOWR_U_1_4, inSize: 5, outSize: 4, data: Buffer.alloc(4) }),
      ioctlMsg(16, 2, { cmd: IOWR_U_1_4, outSize: 4, data: hex('0a0b0c0d') }),
    );
    expect(rs.map((r) => [r.unique, r.error])).toEqual([
      [10n, -Errno.ENOTTY],
      [12n, -Errno.EIO],
      [14n, -Errno.EINVAL],
      [16n, 0],
    ]);
    expect(rs[3].payload.subarray(16)).toEqual(hex('0d0c0b0a'));
    expect(s.stats.fsExceptions).toBe(1);
    expect(s.stats.malformed).toBe(1);
    expect(t.rejected).toEqual([]);
  });
});
