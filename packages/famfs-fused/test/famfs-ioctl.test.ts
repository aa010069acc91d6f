/**
 * The famfs v1 ioctls (src/famfs/ioctl.ts): the answers against hand-written C-layout bytes, the
 * refusals, and the same through FamfsFileSystem and a Session over a QueueTransport on a shadow
 * tree with .meta files (no mount; famfs-ioctl-mount.test.ts has the real one).
 */
import * as abi from '@famfs/fuse';
import {
  decodeRequest,
  Errno,
  FUSE_IOCTL_32BIT,
  FUSE_IOCTL_COMPAT,
  FUSE_IOCTL_DIR,
  FuseErrno,
  Session,
  v10,
} from '@famfs/fuse';
import type { IoctlRequest } from '@famfs/fuse';
import { ioctlMsg, QueueTransport } from '@famfs/fuse/testing';
import type { IoctlArgs } from '@famfs/fuse/testing';
import type { Extent, FileEntry } from '@famfs/libfamfs/format';
import { FamfsFileSystem } from '../src/famfs/famfs-fs';
import { answerIoctl, IoctlTarget } from '../src/famfs/ioctl';
import { FamfsIoc, FamfsIocGetFmapSimple, FamfsIocMap } from '../src/famfs/ioctl-abi';
import { cleanupTempDirs, cstr, initMsg, msg, parseReply } from './helpers';
import { GiB, makeWorld, MiB } from './mount-world';

afterAll(cleanupTempDirs);

const hex = (...parts: string[]): string => parts.join('');
const zeros = (n: number): string => '00'.repeat(n);

const file = (path: string, size: number, fmap: FileEntry['fmap']): IoctlTarget => ({
  kind: 'file',
  path,
  entry: { type: 'file', path, size, flags: 2, mode: 0o644, uid: 0, gid: 0, fmap },
});
const ext = (offset: number, len: number): Extent => ({ devIndex: 0, offset, len });

const TOP = file('top', 3_000_000, { kind: 'simple', extents: [ext(GiB, 4 * MiB)] });
const STRIPED = file('striped', 7 * MiB, {
  kind: 'interleaved',
  nstrips: 2,
  chunkSize: 2 * MiB,
  strips: [ext(5 * GiB, 4 * MiB), ext(4 * GiB, 4 * MiB)],
});
const SUPERBLOCK = file('.meta/.superblock', 2 * MiB, { kind: 'simple', extents: [ext(0, 2 * MiB)] });
const LOG = file('.meta/.log', 8 * MiB, { kind: 'simple', extents: [ext(2 * MiB, 8 * MiB)] });
const THREE = file('three', 5 * MiB, {
  kind: 'simple',
  extents: [ext(GiB, 2 * MiB), ext(2 * GiB, 2 * MiB), ext(3 * GiB, 2 * MiB)],
});
const DIR: IoctlTarget = { kind: 'dir', path: 'a' };

/** A request as the kernel sends a restricted ioctl: the sizes from the command's _IOC fields. */
function req(cmd: number, a: Partial<IoctlArgs> = {}): IoctlRequest {
  const outSize = a.outSize ?? (cmd >>> 31 ? (cmd >>> 16) & 0x3fff : 0);
  return decodeRequest(ioctlMsg(7, 2, { cmd, outSize, ...a }), { profile: v10 }) as IoctlRequest;
}

/** The errno answerIoctl refuses with. */
function refused(r: IoctlRequest, t: IoctlTarget): number {
  try {
    answerIoctl(r, t);
  } catch (e) {
    if (e instanceof FuseErrno) return e.errno;
    throw e;
  }
  throw new Error('not refused');
}

const data = (r: IoctlRequest, t: IoctlTarget): string => {
  const a = answerIoctl(r, t);
  expect(a.result).toBe(0);
  return (a.data ?? Buffer.alloc(0)).toString('hex');
};

// Little-endian spellings of the numbers above.
const SIZE_TOP = 'c0c62d0000000000'; // 3_000_000
const OFF_1G = '0000004000000000';
const OFF_4G = '0000000001000000';
const OFF_5G = '0000004001000000';
const LEN_2M = '0000200000000000';
const LEN_4M = '0000400000000000';
const LEN_7M = '0000700000000000';
const LEN_8M = '0000800000000000';
const U64_0 = zeros(8);

describe('answers in the C layout', () => {
  test('NOP: 0 and no data', () => {
    expect(answerIoctl(req(FamfsIoc.NOP), TOP)).toEqual({ result: 0 });
  });

  test('MAP_GET (famfs_ioc_map, 56 bytes): simple file', () => {
    const want = hex('00000000', '00000000', SIZE_TOP, '0100000000000000', OFF_1G, LEN_4M, zeros(16));
    expect(data(req(FamfsIoc.MAP_GET), TOP)).toBe(want);
    expect(want.length).toBe(2 * FamfsIocMap.size);
  });

  test('MAP_GET: interleaved file is one INTERLEAVED extent with an empty ext_list', () => {
    expect(data(req(FamfsIoc.MAP_GET), STRIPED)).toBe(
      hex('01000000', '00000000', LEN_7M, '0100000000000000', zeros(32)),
    );
  });

  test('MAP_GET: .meta/.superblock is file_type 1 at offset 0, .meta/.log file_type 2', () => {
    expect(data(req(FamfsIoc.MAP_GET), SUPERBLOCK)).toBe(
      hex('00000000', '01000000', LEN_2M, '0100000000000000', U64_0, LEN_2M, zeros(16)),
    );
    expect(data(req(FamfsIoc.MAP_GET), LOG)).toBe(
      hex('00000000', '02000000', LEN_8M, '0100000000000000', LEN_2M, LEN_8M, zeros(16)),
    );
  });

  test('MAP_GET: three extents give the real count and the first two', () => {
    expect(data(req(FamfsIoc.MAP_GET), THREE)).toBe(
      hex('00000000', '00000000', '0000500000000000', '0300000000000000', OFF_1G, LEN_2M, '0000008000000000', LEN_2M),
    );
  });

  test('MAP_GETEXT: the extents out_size holds (one famfs_extent through FUSE)', () => {
    expect(data(req(FamfsIoc.MAP_GETEXT), THREE)).toBe(hex(OFF_1G, LEN_2M));
    expect(refused(req(FamfsIoc.MAP_GETEXT), STRIPED)).toBe(Errno.EINVAL);
  });

  test('MAP_GET_V2 (famfs_ioc_get_fmap, 448 bytes): simple file', () => {
    const iocmap = hex(SIZE_TOP, '00000000', '00000000', '01000000', '00000000', U64_0);
    const want = hex(iocmap, U64_0, OFF_1G, LEN_4M, zeros(448 - 56));
    expect(data(req(FamfsIoc.MAP_GET_V2), TOP)).toBe(want);
    expect(want.length).toBe(2 * FamfsIocGetFmapSimple.size);
  });

  test('MAP_GET_V2: interleaved file (ks.ikie then ks.kie_strips)', () => {
    const iocmap = hex(LEN_7M, '00000000', '01000000', '01000000', '00000000', U64_0);
    const ikie = hex('0200000000000000', LEN_2M, LEN_7M, U64_0);
    const strips = hex(U64_0, OFF_5G, LEN_4M, U64_0, OFF_4G, LEN_4M);
    expect(data(req(FamfsIoc.MAP_GET_V2), STRIPED)).toBe(hex(iocmap, ikie, strips, zeros(448 - 64 - 48)));
  });

  test('MAP_GET_V2: .meta/.log keeps its file_type; maps the struct cannot hold are E2BIG', () => {
    expect(data(req(FamfsIoc.MAP_GET_V2), LOG).slice(0, 64)).toBe(
      hex(LEN_8M, '02000000', '00000000', '01000000', '00000000', U64_0),
    );
    expect(refused(req(FamfsIoc.MAP_GET_V2), THREE)).toBe(Errno.E2BIG);
    const strips = Array.from({ length: 17 }, (_, i) => ext((i + 1) * GiB, 2 * MiB));
    const wide = file('wide', 2 * MiB, { kind: 'interleaved', nstrips: 17, chunkSize: 2 * MiB, strips });
    expect(refused(req(FamfsIoc.MAP_GET_V2), wide)).toBe(Errno.E2BIG);
  });
});

describe('refusals', () => {
  test.each<[string, IoctlRequest, IoctlTarget, number]>([
    ['a directory inode', req(FamfsIoc.NOP), DIR, Errno.ENOTTY],
    ['FUSE_IOCTL_DIR', req(FamfsIoc.MAP_GET, { flags: FUSE_IOCTL_DIR }), TOP, Errno.ENOTTY],
    ['a 32-bit caller', req(FamfsIoc.MAP_GET, { flags: FUSE_IOCTL_32BIT }), TOP, Errno.ENOTTY],
    ['a compat caller', req(FamfsIoc.NOP, { flags: FUSE_IOCTL_COMPAT }), TOP, Errno.ENOTTY],
    ['an unknown command (TCGETS)', req(0x5401), TOP, Errno.ENOTTY],
    ['FS_IOC_GETFLAGS as fileattr sends it (out 4)', req(0x80086601, { outSize: 4 }), TOP, Errno.ENOTTY],
    [
      'MAP_CREATE (creation goes through the log)',
      req(FamfsIoc.MAP_CREATE, { data: Buffer.alloc(56) }),
      TOP,
      Errno.ENOTTY,
    ],
    ['MAP_CREATE_V2', req(FamfsIoc.MAP_CREATE_V2, { data: Buffer.alloc(32) }), TOP, Errno.ENOTTY],
    ['MAP_GET asking for 48 bytes', req(FamfsIoc.MAP_GET, { outSize: 48 }), TOP, Errno.EINVAL],
    ['MAP_GET_V2 with input', req(FamfsIoc.MAP_GET_V2, { data: Buffer.alloc(448) }), TOP, Errno.EINVAL],
    ['NOP asking for output', req(FamfsIoc.NOP, { outSize: 8 }), TOP, Errno.EINVAL],
    ['MAP_GETEXT asking for nothing', req(FamfsIoc.MAP_GETEXT, { outSize: 0 }), TOP, Errno.EINVAL],
  ])('%s', (_what, r, t, errno) => {
    expect(refused(r, t)).toBe(errno);
  });
});

describe('through FamfsFileSystem and a Session', () => {
  test('.meta files, a striped file and the root directory on a logplayed shadow tree', () => {
    const w = makeWorld();
    const fs = new FamfsFileSystem({ shadow: w.shadow, daxdev: w.dev });
    try {
      const t = new QueueTransport();
      const s = new Session(fs, t, { profile: v10 });
      const one = (m: Buffer) => {
        t.push(m);
        s.run();
        return t.take().map(parseReply)[0];
      };
      expect(one(initMsg(1)).error).toBe(0);
      const lookup = (u: number, parent: number, name: string) =>
        abi.EntryOut.decode(one(msg(abi.Opcode.LOOKUP, u, parent, cstr(name))).payload).nodeid;
      const meta = lookup(2, 1, '.meta');
      const log = lookup(4, meta, '.log');
      const sb = lookup(6, meta, '.superblock');
      const striped = lookup(8, 1, 'striped');

      const get = (u: number, nodeid: number, cmd: number, outSize: number, flags = 0) =>
        one(ioctlMsg(u, nodeid, { fh: 1, cmd, outSize, flags }));
      const nop = get(10, log, FamfsIoc.NOP, 0);
      expect([nop.error, nop.len]).toEqual([0, 32]);
      expect(abi.IoctlOut.decode(nop.payload)).toEqual({ result: 0, flags: 0, inIovs: 0, outIovs: 0 });

      const l = get(12, log, FamfsIoc.MAP_GET, 56);
      expect(l.len).toBe(16 + 16 + 56);
      expect(FamfsIocMap.decode(l.payload, 16)).toMatchObject({
        extentType: 0,
        fileType: 2,
        fileSize: 8 * MiB,
        extListCount: 1,
      });
      expect(l.payload.subarray(16 + 24, 16 + 40).toString('hex')).toBe(hex(LEN_2M, LEN_8M));

      const b = get(14, sb, FamfsIoc.MAP_GET_V2, 448);
      expect(FamfsIocGetFmapSimple.decode(b.payload, 16).iocmap).toEqual({
        fiocFileSize: 2 * MiB,
        fiocFileType: 1,
        fiocExtType: 0,
        fiocNextents: 1,
        kse: 0,
      });

      const st = get(16, striped, FamfsIoc.MAP_GET_V2, 448);
      expect(st.payload.subarray(16).toString('hex')).toBe(
        answerIoctl(req(FamfsIoc.MAP_GET_V2), STRIPED).data!.toString('hex'),
      );

      expect(get(18, 1, FamfsIoc.NOP, 0, FUSE_IOCTL_DIR).error).toBe(-Errno.ENOTTY);
      expect(get(20, striped, 0x5401, 0).error).toBe(-Errno.ENOTTY);
      expect(get(22, 999, FamfsIoc.NOP, 0).error).toBe(-Errno.ESTALE);
      expect(t.rejected).toEqual([]);
      expect(s.stats.fsExceptions).toBe(0);
    } finally {
      fs.close();
    }
  });
});
