/**
 * The push generation's profile: its data, the golden bytes of its structs (fuse_backing_map, the
 * GET_FMAP in-argument, the fmap_size header), GET_FMAP sizing in the session (whole, header-only,
 * EFBIG), and "auto": the DAXDEV_OPEN probe after INIT and the push capability it hands the file
 * system, over a QueueTransport whose ioctl plays the kernel.
 */
import * as abi from '../src/protocol/abi';
import { Opcode } from '../src/protocol/abi';
import { decodeRequest, RequestError } from '../src/protocol/request';
import { ReplyWriter, uniqueHalves } from '../src/protocol/reply';
import {
  AUTO_DETECT,
  chooseProfile,
  DAXDEV_OPEN_NR,
  profileByName,
  PROFILES,
  push,
  v10,
  withDaxdevIoctl,
} from '../src/protocol/profiles';
import { planFmapReply } from '../src/protocol/fmap-sizing';
import { Session } from '../src/session/session';
import { TransportError } from '../src/session/transport';
import { DaxdevPushError } from '../src/session/daxdev-push';
import { QueueTransport } from '../src/testing/queue-transport';
import { getFmapMsg } from '../src/testing/requests';
import { Errno } from '../src/errors';
import type { Connection, FileSystem } from '../src/filesystem';
import { initMsg, msg, parseReply, STOCK_OFFER } from './helpers';

const MiB = 1 << 20;
const FAMFS_OFFER = STOCK_OFFER | abi.initFlag(43);

/** An fmap blob of `n` simple extents (header + extents), file size n * 2 MiB. */
function simpleFmap(n: number): Buffer {
  const b = Buffer.alloc(abi.FamfsFmapHeader.size + n * abi.FamfsSimpleExt.size);
  abi.FamfsFmapHeader.encodeInto(
    {
      fileType: 0,
      reserved: 0,
      fmapVersion: 1,
      extType: 0,
      nextents: n,
      reserved0: 0,
      fileSize: n * 2 * MiB,
      reserved1: 0,
    },
    b,
    0,
  );
  for (let i = 0; i < n; i++) {
    const at = abi.FamfsFmapHeader.size + i * abi.FamfsSimpleExt.size;
    abi.FamfsSimpleExt.encodeInto({ seDevindex: 0, reserved: 0, seOffset: (i + 1) * 2 * MiB, seLen: 2 * MiB }, b, at);
  }
  return b;
}

describe('the push profile as data', () => {
  test('opcodes and INIT bit as V10 (assumed), sizing, simple-only, the push ioctl', () => {
    expect(profileByName('push')).toBe(push);
    expect(PROFILES.map((p) => p.name)).toEqual(['v10', 'rfc', 'push']);
    expect(push).toMatchObject({
      getFmapOpcode: v10.getFmapOpcode,
      getDaxdevOpcode: v10.getDaxdevOpcode,
      initFlagBit: v10.initFlagBit,
      maxFmapBytes: 16 * MiB,
      maxExtents: 699049,
      acceptsInterleave: false,
      fmapSizing: { firstBuffer: 4096, sizeFieldOffset: 12, retries: 1 },
    });
    expect(v10).toMatchObject({ acceptsInterleave: true, fmapSizing: null, daxdevPush: null });
  });

  test('DAXDEV_OPEN defaults to _IOW(229, 4, struct fuse_backing_map) = 0x4010E504, and can be replaced', () => {
    expect(DAXDEV_OPEN_NR).toBe(4);
    expect(push.daxdevPush!.ioctl).toBe(0x4010e504);
    expect(abi.FUSE_DEV_IOC_BACKING_OPEN).toBe(0x4010e501);
    expect(abi.ioctlWrite(229, 2, 4)).toBe(0x4004e502);
    const other = withDaxdevIoctl(push, 0x4010e563);
    expect(other.daxdevPush!.ioctl).toBe(0x4010e563);
    expect(push.daxdevPush!.ioctl).toBe(0x4010e504);
    expect(withDaxdevIoctl(v10, 0x1234)).toBe(v10);
    expect(() => withDaxdevIoctl(push, -1)).toThrow(RangeError);
    expect(() => withDaxdevIoctl(push, 2 ** 32)).toThrow(RangeError);
  });

  test('"auto" starts as v10 and probes push, whose INIT and GET_FMAP opcode it shares', () => {
    const c = chooseProfile('auto', 0x4010e599);
    expect(c.initial).toBe(v10);
    expect(c.probe.map((p) => [p.name, p.daxdevPush!.ioctl])).toEqual([['push', 0x4010e599]]);
    for (const p of AUTO_DETECT.probed) {
      expect(p.initFlagBit).toBe(AUTO_DETECT.base.initFlagBit);
      expect(p.getFmapOpcode).toBe(AUTO_DETECT.base.getFmapOpcode);
    }
    expect(chooseProfile('push').probe).toEqual([]);
    expect(chooseProfile(undefined).initial).toBe(v10);
  });
});

describe('golden bytes', () => {
  test('fuse_backing_map: s32 fd, u32 flags, u64 daxdev_index', () => {
    expect(abi.BackingMap.size).toBe(16);
    expect(abi.BackingMap.encode({ fd: 7, flags: 0, daxdevIndex: 3 }).toString('hex')).toBe(
      '07000000000000000300000000000000',
    );
    expect(abi.BackingMap.encode({ fd: -1, flags: 0, daxdevIndex: 0 }).toString('hex')).toBe(
      'ffffffff000000000000000000000000',
    );
  });

  test('GET_FMAP under push carries fuse_getxattr_in {size, padding}; under V10 nothing', () => {
    const p = getFmapMsg(push, 0x20, 5, undefined, { pid: 0 });
    expect(p.toString('hex')).toBe(
      '30000000' +
        '36000000' +
        '2000000000000000' +
        '0500000000000000' +
        '00000000000000000000000000000000' +
        '00100000' +
        '00000000',
    );
    expect(getFmapMsg(v10, 0x20, 5)).toHaveLength(40);
    expect(decodeRequest(p, { profile: push })).toMatchObject({ op: 'getFmap', bufferSize: 4096 });
    expect(decodeRequest(getFmapMsg(push, 2, 5, 12_582_944), { profile: push })).toMatchObject({
      bufferSize: 12_582_944,
    });
    expect(decodeRequest(getFmapMsg(v10, 0x20, 5), { profile: v10 })).toMatchObject({
      op: 'getFmap',
      bufferSize: 4096,
    });
  });

  test('a push GET_FMAP without its argument, with a short one or a buffer under 32 bytes is EINVAL', () => {
    const fail = (m: Buffer): RequestError => {
      try {
        decodeRequest(m, { profile: push });
      } catch (e) {
        return e as RequestError;
      }
      throw new Error('decoded');
    };
    expect(fail(msg(54, 2, 5)).errno).toBe(Errno.EINVAL);
    expect(fail(msg(54, 2, 5, Buffer.alloc(4))).errno).toBe(Errno.EINVAL);
    expect(fail(msg(54, 2, 5, Buffer.alloc(12))).message).toMatch(/exactly 8/);
    expect(fail(getFmapMsg(push, 2, 5, 16)).message).toMatch(/16 bytes cannot hold the fmap header/);
  });

  test('header-only reply: out header (len 48), then the fmap header with fmap_size at offset 12', () => {
    const w = new ReplyWriter();
    const blob = simpleFmap(200);
    const before = Buffer.from(blob);
    const b = Buffer.concat(w.fmap(uniqueHalves(0x1234n), blob, true, 12));
    expect(b.toString('hex')).toBe(
      '30000000' +
        '00000000' +
        '3412000000000000' +
        '00000100' +
        '00000000' +
        'c8000000' +
        'e0120000' +
        '0000001900000000' +
        '0000000000000000',
    );
    expect(blob.equals(before)).toBe(true); // the file system's buffer is not written to
    const whole = Buffer.concat(w.fmap(uniqueHalves(2n), blob, false, 12));
    expect(whole.readUInt32LE(0)).toBe(16 + blob.length);
    expect(whole.readUInt32LE(16 + 12)).toBe(32 + 24 * 200);
    expect(whole.subarray(16 + 32).equals(blob.subarray(32))).toBe(true);
    expect(
      Buffer.concat(w.fmap(uniqueHalves(2n), blob, false, null))
        .subarray(16)
        .equals(blob),
    ).toBe(true);
  });

  test('planFmapReply: whole, header-only, EFBIG past the kernel maximum (16 MiB push, one page V10)', () => {
    expect(planFmapReply(4096, 4096, push)).toEqual({ send: 'whole' });
    expect(planFmapReply(4097, 4096, push)).toEqual({ send: 'header-only' });
    expect(planFmapReply(16 * MiB, 4096, push)).toEqual({ send: 'header-only' });
    expect(planFmapReply(16 * MiB + 1, 4096, push)).toMatchObject({ send: 'none', errno: Errno.EFBIG });
    expect(planFmapReply(4097, 4096, v10)).toMatchObject({ send: 'none', errno: Errno.EFBIG });
  });
});

/** A file system serving one fmap of `n` extents on every nodeid, recording what connected() got. */
function fmapFs(n: number | (() => Buffer)) {
  const seen: { conn: Connection | null } = { conn: null };
  const fs: FileSystem = {
    init: () => ({ famfs: true }),
    connected: (conn) => void (seen.conn = conn),
    getFmap: () => (typeof n === 'number' ? simpleFmap(n) : n()),
  };
  return { fs, seen };
}

/** A session over a QueueTransport whose ioctl answers as `kernel` says; INIT done. */
function start(
  profile: string,
  fs: FileSystem,
  kernel?: (request: number, arg: Buffer) => number,
  daxdevIoctl?: number,
) {
  const t = new QueueTransport();
  const logs: string[] = [];
  const ioctls: { request: number; arg: string }[] = [];
  t.ioctlHandler = kernel
    ? (request, arg) => {
        ioctls.push({ request, arg: arg.toString('hex') });
        return kernel(request, arg);
      }
    : null;
  const s = new Session(fs, t, { profile, daxdevIoctl, log: (m) => logs.push(m) });
  const exchange = (...msgs: Buffer[]) => {
    for (const m of msgs) t.push(m);
    s.run();
    return t.take().map(parseReply);
  };
  const [r] = exchange(initMsg(1, FAMFS_OFFER));
  expect(r.error).toBe(0);
  return { t, s, logs, ioctls, exchange };
}

const refuse = (code: string) => (): number => {
  throw new TransportError(code, 'refused');
};

describe('auto: the DAXDEV_OPEN probe after INIT', () => {
  test('ENOTTY (no such ioctl, a stock or V10 kernel): v10 stays, GET_FMAP takes no argument', () => {
    const { fs, seen } = fmapFs(2);
    const x = start('auto', fs, refuse('ENOTTY'));
    expect(x.ioctls).toEqual([{ request: 0x4010e504, arg: 'ffffffff000000000000000000000000' }]);
    expect(x.s.profile).toBe(v10);
    expect(x.s.negotiated).toMatchObject({
      profile: 'v10',
      probes: [{ profile: 'push', answer: 'ENOTTY', present: false }],
    });
    expect(seen.conn).toMatchObject({ profile: v10, famfs: true, pushDaxdev: null });
    const [r] = x.exchange(getFmapMsg(v10, 4, 9));
    expect(r.payload).toHaveLength(32 + 48);
  });

  test.each(['EBADF', 'EOPNOTSUPP'])('%s (the kernel has the ioctl): push, with a working pushDaxdev', (code) => {
    const { fs, seen } = fmapFs(2);
    const x = start('auto', fs, (request, arg) => {
      if (abi.BackingMap.decode(arg).fd < 0) throw new TransportError(code, 'probe');
      return 0;
    });
    expect(x.s.profile.name).toBe('push');
    expect(x.s.negotiated!.probes).toEqual([{ profile: 'push', ioctl: 0x4010e504, answer: code, present: true }]);
    seen.conn!.pushDaxdev!(17, 0);
    expect(x.ioctls[1]).toEqual({ request: 0x4010e504, arg: '11000000000000000000000000000000' });
    const [r] = x.exchange(getFmapMsg(push, 4, 9));
    expect(r.payload.readUInt32LE(12)).toBe(32 + 48);
  });

  test.each(['EINVAL', 'EPERM'])('%s (the number belongs to another ioctl): not push', (code) => {
    const x = start('auto', fmapFs(1).fs, refuse(code));
    expect(x.s.profile).toBe(v10);
    expect(x.s.negotiated!.probes[0]).toMatchObject({ answer: code, present: false });
  });

  test('a channel without ioctls is a kernel without this one; the override number is what is probed', () => {
    expect(start('auto', fmapFs(1).fs).s.profile).toBe(v10);
    const x = start('auto', fmapFs(1).fs, refuse('EBADF'), 0x4010e563);
    expect(x.ioctls[0].request).toBe(0x4010e563);
    expect(x.s.profile.daxdevPush!.ioctl).toBe(0x4010e563);
  });

  test('a named profile is never probed; a refused push throws DaxdevPushError with the errno name', () => {
    const { fs, seen } = fmapFs(1);
    const x = start('push', fs, refuse('EINVAL'));
    expect(x.ioctls).toEqual([]);
    expect(x.s.negotiated!.probes).toEqual([]);
    expect(() => seen.conn!.pushDaxdev!(5, 0)).toThrow(DaxdevPushError);
    expect(() => seen.conn!.pushDaxdev!(5, 0)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });
});

describe('GET_FMAP sizing in the session', () => {
  test('push: header-only with fmap_size when it does not fit, whole with fmap_size once it does', () => {
    const x = start('push', fmapFs(200).fs);
    const size = 32 + 24 * 200;
    const [first] = x.exchange(getFmapMsg(push, 4, 9));
    expect(first).toMatchObject({ len: 16 + 32, error: 0 });
    expect(first.payload.readUInt32LE(12)).toBe(size);
    expect(first.payload.readUInt32LE(8)).toBe(200);
    const [second] = x.exchange(getFmapMsg(push, 6, 9, size));
    expect(second).toMatchObject({ len: 16 + size, error: 0 });
    expect(second.payload.readUInt32LE(12)).toBe(size);
    expect(x.t.rejected).toEqual([]);
  });

  test('larger than 16 MiB: EFBIG and one log line, however often it is asked', () => {
    const x = start('push', fmapFs(() => Buffer.alloc(16 * MiB + 8)).fs);
    for (const u of [4, 6, 8])
      expect(x.exchange(getFmapMsg(push, u, 9))[0]).toMatchObject({ len: 16, error: -Errno.EFBIG });
    expect(x.logs.filter((l) => /GET_FMAP/.test(l))).toEqual([
      'GET_FMAP of nodeid 9: fmap of 16777224 bytes exceeds the 16777216 bytes the kernel accepts (push); ' +
        'answering EFBIG',
    ]);
  });

  test('v10: an fmap over one page is EFBIG (no retry exists)', () => {
    const x = start('v10', fmapFs(200).fs);
    expect(x.exchange(getFmapMsg(v10, 4, 9))[0]).toMatchObject({ len: 16, error: -Errno.EFBIG });
    expect(x.exchange(msg(Opcode.GETATTR, 6, 1, Buffer.alloc(16)))[0].error).toBe(-Errno.ENOSYS);
  });
});
