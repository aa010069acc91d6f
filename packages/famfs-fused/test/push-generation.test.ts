/**
 * famfs_fused in the push generation and with --simple-fmaps: the unroll rule and its golden
 * bytes, the limits (EFBIG past the kernel's largest fmap, V10's 32 extents), the daxdev pusher
 * (dense, in order, retried, fd closed), the fmap held for the kernel's retry, the command line,
 * the generation log line; and two promises checked over whole sessions against the kernel's own
 * rules (kernel/emulator): the daemon never sends an interleaved chunk size of 0 (V10 would
 * divide by it), and never sends a mis-sized reply (the kernel would leave the opener blocked).
 */
import * as fs from 'fs';
import * as path from 'path';
import type { FileEntry } from '@famfs/libfamfs/format';
import * as abi from '@famfs/fuse';
import { Errno, FuseErrno, Opcode, push, rfc, Session, TransportError, v10 } from '@famfs/fuse';
import type { AbiProfile, Connection } from '@famfs/fuse';
import { getFmapMsg, QueueTransport } from '@famfs/fuse/testing';
import { encodeFmapReply, FmapReplyError } from '../src/famfs/fmap-reply';
import { unrolledCount, unrolledExtent } from '../src/famfs/unroll';
import { DaxdevPusher, highestDevIndex } from '../src/famfs/daxdev-push';
import { KernelAbi } from '../src/famfs/kernel-abi';
import { FamfsFileSystem } from '../src/famfs/famfs-fs';
import { parseArgs, UsageError } from '../src/daemon/options';
import { describeGeneration } from '../src/daemon/generation';
import { fileOffsetToDax, fmapLimits, parseFmap } from '../../../kernel/emulator/src/fmap';
import { payloadProblem, payloadRule } from '../../../kernel/emulator/src/wire';
import { cleanupTempDirs, cstr, initMsg, msg, parseReply, STOCK_OFFER, tempDir } from './helpers';
import { fileEntry, stripedEntry, stripsAt, writeShadowTree } from './entries';

afterAll(cleanupTempDirs);

const MiB = 1 << 20;
const GiB = 1 << 30;
const TiB = 1024 * GiB;

const strips = stripsAt;
const file = fileEntry;
const striped = stripedEntry;

const errnoOf = (fn: () => unknown): number | 'ok' => {
  try {
    fn();
    return 'ok';
  } catch (e) {
    if (e instanceof FuseErrno) return e.errno;
    throw e;
  }
};

describe('the unroll rule', () => {
  test('chunk c on strip c mod n at floor(c / n) chunks in; the last rounded up to 2 MiB, never past the chunk', () => {
    const f = { nstrips: 3, chunkSize: 4 * MiB, strips: strips(3, GiB, 8 * MiB) };
    const size = 21 * MiB + 3;
    expect(unrolledCount(size, f.chunkSize)).toBe(6);
    const got = Array.from({ length: 6 }, (_, c) => unrolledExtent(f, size, c));
    expect(got.map((e) => [(e.offset - GiB) / MiB, e.len / MiB])).toEqual([
      [0, 4],
      [8, 4],
      [16, 4],
      [4, 4],
      [12, 4],
      [20, 2],
    ]);
    // A file ending exactly on a chunk keeps a full last chunk; a 0-byte file still gets one extent.
    expect(unrolledExtent(f, 24 * MiB, 5).len).toBe(4 * MiB);
    expect(unrolledCount(0, 4 * MiB)).toBe(1);
    expect(unrolledExtent(f, 0, 0)).toEqual({ devIndex: 0, offset: GiB, len: 2 * MiB });
  });

  test('golden bytes of an unrolled fmap (push): header, then one simple extent per chunk', () => {
    const e = striped('s', 5 * MiB, 2, 2 * MiB, 64 * MiB, 4 * MiB);
    const hex = encodeFmapReply(e, push).toString('hex');
    expect(hex).toBe(
      '00000100' +
        '00000000' +
        '03000000' +
        '00000000' +
        '0000500000000000' +
        '0000000000000000' +
        '00000000' +
        '00000000' +
        '0000000400000000' +
        '0000200000000000' +
        '00000000' +
        '00000000' +
        '0000400400000000' +
        '0000200000000000' +
        '00000000' +
        '00000000' +
        '0000200400000000' +
        '0000200000000000',
    );
  });

  test('unrolled fmaps pass the simple-only kernel parser and resolve every offset as the interleave did', () => {
    for (const e of [
      striped('a', 7 * MiB + 5, 2, 2 * MiB, 64 * MiB, 4 * MiB),
      striped('b', 21 * MiB + 3, 3, 4 * MiB, 256 * MiB, 8 * MiB),
      striped('c', 1, 4, 2 * MiB, 512 * MiB, 2 * MiB),
    ]) {
      const k = parseFmap(encodeFmapReply(e, push), fmapLimits(push));
      const ref = parseFmap(encodeFmapReply(e, v10), fmapLimits(v10));
      expect(k.extType).toBe('simple');
      for (let off = 0; off < e.size; off += 65537) {
        const a = fileOffsetToDax(k, BigInt(off), 1n)!;
        const b = fileOffsetToDax(ref, BigInt(off), 1n)!;
        expect([a.devIndex, a.devOffset]).toEqual([b.devIndex, b.devOffset]);
      }
    }
  });

  test('--simple-fmaps on V10 unrolls too, within its 32 extents; simple files go as they are', () => {
    const e = striped('s', 64 * MiB, 2, 2 * MiB, GiB, 32 * MiB);
    expect(encodeFmapReply(e, v10, { simpleFmaps: true }).readUInt32LE(8)).toBe(32);
    expect(encodeFmapReply(e, v10, { simpleFmaps: true }).readUInt32LE(4)).toBe(abi.FamfsExtType.SIMPLE);
    expect(encodeFmapReply(e, v10).readUInt32LE(4)).toBe(abi.FamfsExtType.INTERLEAVE);
    const over = striped('s', 66 * MiB, 2, 2 * MiB, GiB, 34 * MiB);
    expect(() => encodeFmapReply(over, v10, { simpleFmaps: true })).toThrow(
      /unrolled into 33 extents \(the kernel accepts 1..32, v10\)/,
    );
    const simple = file('x', MiB, { kind: 'simple', extents: [{ devIndex: 0, offset: 2 * MiB, len: 2 * MiB }] });
    expect(encodeFmapReply(simple, push)).toEqual(encodeFmapReply(simple, v10));
  });

  test('more than 16 MiB unrolled: EFBIG, "file too large for simple-fmap at this chunk size"', () => {
    const e = striped('huge', 1.5 * TiB, 4, 2 * MiB, 8 * GiB, 384 * GiB);
    expect(errnoOf(() => encodeFmapReply(e, push))).toBe(Errno.EFBIG);
    expect(() => encodeFmapReply(e, push)).toThrow(
      'huge: file too large for simple-fmap at this chunk size: 786432 extents of 0x200000 make an fmap of ' +
        "18874400 bytes, more than the kernel's 16777216-byte buffer (push)",
    );
    // 1 TiB fits: 12 MiB.
    expect(encodeFmapReply(striped('big', TiB, 4, 2 * MiB, 8 * GiB, 256 * GiB), push)).toHaveLength(32 + 24 * 524288);
  });
});

describe('never sends chunk size 0', () => {
  const zero = striped('z', 4 * MiB, 2, 0, 64 * MiB, 4 * MiB);
  test.each([
    ['v10', v10, false],
    ['rfc', rfc, false],
    ['push', push, false],
    ['v10 --simple-fmaps', v10, true],
  ] as [string, AbiProfile, boolean][])(
    '%s: a chunk size of 0 is refused (EINVAL), never encoded',
    (_n, p, simpleFmaps) => {
      expect(() => encodeFmapReply(zero, p, { simpleFmaps })).toThrow(FmapReplyError);
      expect(errnoOf(() => encodeFmapReply(zero, p, { simpleFmaps }))).toBe(Errno.EINVAL);
    },
  );

  test('a shadow file with chunk_size 0 is not served, and no GET_FMAP of the session carries a 0 chunk', () => {
    const w = world([zero, striped('ok', 4 * MiB, 2, 2 * MiB, 64 * MiB, 4 * MiB)]);
    const x = serve(w, v10);
    expect(x.lookup('z').error).toBe(-Errno.ENOENT);
    expect(x.logs.join('\n')).toMatch(/shadow file z: interleave chunk size 0 is not a positive integer/);
    for (let nodeid = 1; nodeid < 50; nodeid++) {
      const r = x.one(getFmapMsg(v10, x.u(), nodeid));
      if (r.error !== 0) continue;
      const k = parseFmap(r.payload, fmapLimits(v10));
      if (k.extType === 'interleave') for (const ie of k.iexts) expect(ie.chunkSize).not.toBe(0n);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Sessions over a shadow tree written directly (no mkfs: only the YAML and a sparse device)

interface World {
  shadow: string;
  dev: string;
  files: FileEntry[];
}

function world(files: FileEntry[], devSize = 8 * GiB): World {
  const dir = tempDir('famfs-push-');
  const dev = path.join(dir, 'dev.img');
  fs.writeFileSync(dev, '');
  fs.truncateSync(dev, devSize);
  const shadow = path.join(dir, 'shadow');
  writeShadowTree(shadow, files);
  fs.mkdirSync(path.join(shadow, 'root', 'sub'), { recursive: true });
  return { shadow, dev, files };
}

/**
 * FamfsFileSystem in a Session over a strict QueueTransport, famfs offered, INIT done. `kernel`
 * plays the push ioctl (none: ENOTTY).
 */
function serve(w: World, profile: AbiProfile | 'auto', kernel?: (request: number, arg: Buffer) => number) {
  const logs: string[] = [];
  const fsys = new FamfsFileSystem({
    shadow: w.shadow,
    daxdev: w.dev,
    serve: 'shadow',
    abi: 'auto',
    log: (m) => logs.push(m),
  });
  const t = new QueueTransport();
  t.ioctlHandler = kernel ?? null;
  const s = new Session(fsys, t, { profile });
  let unique = 100;
  const u = () => (unique += 2);
  const raw = (m: Buffer): Buffer[] => {
    t.push(m);
    s.run();
    expect(t.rejected).toEqual([]);
    return t.take();
  };
  const one = (m: Buffer) => parseReply(raw(m)[0]);
  expect(one(initMsg(1, STOCK_OFFER | abi.initFlag(43))).error).toBe(0);
  const lookup = (name: string, parent = 1) => one(msg(Opcode.LOOKUP, u(), parent, cstr(name)));
  return { fsys, s, t, logs, u, raw, one, lookup };
}

describe('never sends a mis-sized reply', () => {
  const files = [
    file('simple', 3 * MiB + 17, { kind: 'simple', extents: [{ devIndex: 0, offset: 4 * GiB, len: 4 * MiB }] }),
    striped('sub/striped', 7 * MiB + 5, 2, 2 * MiB, 5 * GiB, 4 * MiB),
    striped('wide', 300 * MiB, 4, 2 * MiB, 6 * GiB, 76 * MiB),
    striped('big', TiB, 4, 2 * MiB, 8 * GiB, 256 * GiB),
    striped('huge', 1.5 * TiB, 4, 2 * MiB, 1100 * GiB, 384 * GiB),
  ];
  let w: World;
  beforeAll(() => {
    w = world(files, 4 * TiB);
  });

  /**
   * Every reply: the out header's len is the bytes written, error in range and header-only when
   * set (the strict transport refuses anything else, and the kernel would leave the request
   * pending); a success payload the size the kernel allows for the opcode and the buffer offered;
   * a GET_FMAP header-only exactly when fmap_size exceeds the buffer.
   */
  function check(
    profile: AbiProfile,
    replies: Buffer[],
    opcode: number,
    size?: number,
  ): { error: number; payload: Buffer } {
    expect(replies).toHaveLength(1);
    const r = parseReply(replies[0]);
    expect(r.len).toBe(replies[0].length);
    if (r.error !== 0) {
      expect(r.len).toBe(16);
      return r;
    }
    expect(payloadProblem(payloadRule(opcode, profile, { size }), r.payload.length)).toBeUndefined();
    if (opcode === profile.getFmapOpcode && profile.fmapSizing && size !== undefined) {
      const total = r.payload.readUInt32LE(12);
      if (total > size) expect(r.payload).toHaveLength(32);
      else expect(r.payload).toHaveLength(total);
    }
    return r;
  }

  test.each([
    ['push', push],
    ['v10', v10],
  ] as [string, AbiProfile][])(
    '%s: LOOKUP, GETATTR, OPEN, GET_FMAP at every buffer size, GET_DAXDEV',
    (_n, profile) => {
      const x = serve(w, profile);
      const counts = { whole: 0, headerOnly: 0, errors: 0 };
      for (const e of w.files) {
        const parts = e.path.split('/');
        let parent = 1;
        let nodeid = 1;
        for (const part of parts) {
          nodeid = abi.EntryOut.decode(
            check(profile, x.raw(msg(Opcode.LOOKUP, x.u(), parent, cstr(part))), Opcode.LOOKUP).payload,
          ).nodeid;
          parent = nodeid;
        }
        check(profile, x.raw(msg(Opcode.GETATTR, x.u(), nodeid, Buffer.alloc(16))), Opcode.GETATTR);
        check(
          profile,
          x.raw(msg(Opcode.OPEN, x.u(), nodeid, abi.OpenIn.encode({ flags: 0, openFlags: 0 }))),
          Opcode.OPEN,
        );
        const sizes = profile.fmapSizing
          ? [32, 33, 56, 4095, 4096, 4097, 12_582_944, 16 * MiB, 0xffff_ffff]
          : [undefined];
        for (const size of sizes) {
          const r = check(
            profile,
            x.raw(getFmapMsg(profile, x.u(), nodeid, size)),
            profile.getFmapOpcode,
            size ?? 4096,
          );
          if (r.error) counts.errors++;
          else if (r.payload.length === 32 && r.payload.readUInt32LE(8) > 0 && r.payload.readUInt32LE(12) > 32)
            counts.headerOnly++;
          else counts.whole++;
        }
      }
      check(profile, x.raw(msg(profile.getDaxdevOpcode, x.u(), 0)), profile.getDaxdevOpcode);
      // push: the 1 TiB map is header-only up to 4097 bytes, the 1.5 TiB one EFBIG every time.
      // V10: striped files go as interleave, a few strips each: every map fits its page.
      if (profile.fmapSizing) expect(counts).toEqual({ whole: 22, headerOnly: 14, errors: 9 });
      else expect(counts).toEqual({ whole: 5, headerOnly: 0, errors: 0 });
    },
  );

  test('the kernel cannot even offer a buffer under the fmap header: EINVAL, still one well-formed reply', () => {
    const x = serve(w, push);
    const nodeid = abi.EntryOut.decode(x.lookup('simple').payload).nodeid;
    for (const size of [0, 31]) expect(x.one(getFmapMsg(push, x.u(), nodeid, size)).error).toBe(-Errno.EINVAL);
    expect(x.one(msg(push.getFmapOpcode, x.u(), nodeid)).error).toBe(-Errno.EINVAL);
  });

  test('the 1 TiB fmap is built once for the header-only reply and the retry', () => {
    const x = serve(w, push);
    const nodeid = abi.EntryOut.decode(x.lookup('big').payload).nodeid;
    const n = x.fsys.inodes.get(nodeid)!;
    const first = x.fsys.abi.fmap(nodeid, n.entry!, 4096);
    expect(x.fsys.abi.fmap(nodeid, n.entry!, first.length)).toBe(first);
    expect(x.fsys.abi.fmap(nodeid, n.entry!, first.length)).not.toBe(first);
  });
});

describe('daxdev push', () => {
  /** A push that records what it got and fails while `fail` says so. */
  function pushes() {
    const seen: { index: number; target: string; closedAfter: boolean }[] = [];
    let failWith: string | null = null;
    const fn = (fd: number, index: number) => {
      const target = fs.readlinkSync(`/proc/self/fd/${fd}`);
      seen.push({ index, target, closedAfter: false });
      if (failWith) throw new TransportError(failWith, 'refused');
    };
    return { seen, fn, fail: (code: string | null) => void (failWith = code) };
  }

  test('densely in index order up to the highest index, stopping at a failure, retried later', () => {
    const dir = tempDir();
    const devs = ['d0', 'd1', 'd2'].map((n) => path.join(dir, n));
    for (const d of devs) fs.writeFileSync(d, '');
    const p = pushes();
    const logs: string[] = [];
    const pusher = new DaxdevPusher(devs, p.fn, (m) => logs.push(m));
    const on = (i: number) => file('f', MiB, { kind: 'simple', extents: [{ devIndex: i, offset: 0, len: 2 * MiB }] });
    expect(highestDevIndex(striped('s', MiB, 2, 2 * MiB, 0, 2 * MiB))).toBe(0);
    pusher.lookedUp(on(0));
    expect(p.seen.map((s) => s.index)).toEqual([0]);
    p.fail('EBUSY');
    pusher.lookedUp(on(2));
    pusher.lookedUp(on(2));
    expect(p.seen.map((s) => s.index)).toEqual([0, 1, 1]);
    expect(logs.filter((l) => /push failed/.test(l))).toHaveLength(1);
    p.fail(null);
    pusher.lookedUp(on(2));
    expect(p.seen.map((s) => [s.index, path.basename(s.target)])).toEqual([
      [0, 'd0'],
      [1, 'd1'],
      [1, 'd1'],
      [1, 'd1'],
      [2, 'd2'],
    ]);
    expect(pusher.registered).toBe(3);
    pusher.lookedUp(on(3));
    expect(logs.join('\n')).toMatch(/daxdev 3: no device for this index/);
  });

  test('the device fd is closed after the push', () => {
    const dir = tempDir();
    const dev = path.join(dir, 'd0');
    fs.writeFileSync(dev, '');
    let pushedFd = -1;
    const pusher = new DaxdevPusher(
      [dev],
      (fd) => void (pushedFd = fd),
      () => undefined,
    );
    pusher.lookedUp(file('f', MiB, { kind: 'simple', extents: [{ devIndex: 0, offset: 0, len: 2 * MiB }] }));
    expect(pushedFd).toBeGreaterThan(2);
    expect(() => fs.fstatSync(pushedFd)).toThrow(expect.objectContaining({ code: 'EBADF' }));
  });

  test('in a session: auto finds push; a file LOOKUP or READDIRPLUS entry pushes daxdev 0 once, a dir never', () => {
    const w = world([
      file('sub/f', MiB, { kind: 'simple', extents: [{ devIndex: 0, offset: 4 * GiB, len: 2 * MiB }] }),
    ]);
    const ioctls: { fd: number; index: number; target: string }[] = [];
    const x = serve(w, 'auto', (request, arg) => {
      expect(request).toBe(push.daxdevPush!.ioctl);
      const m = abi.BackingMap.decode(arg);
      if (m.fd < 0) throw new TransportError('EBADF', 'probe');
      ioctls.push({ fd: m.fd, index: m.daxdevIndex, target: fs.readlinkSync(`/proc/self/fd/${m.fd}`) });
      return 0;
    });
    expect(x.s.profile.name).toBe('push');
    expect(x.logs).toContain('famfs kernel ABI push: fmaps simple-only, daxdevs pushed at LOOKUP');
    const sub = abi.EntryOut.decode(x.lookup('sub').payload).nodeid;
    expect(ioctls).toEqual([]);
    const od = x.one(msg(Opcode.OPENDIR, x.u(), sub, abi.OpenIn.encode({ flags: 0, openFlags: 0 })));
    const fh = abi.OpenOut.decode(od.payload).fh;
    x.one(
      msg(
        Opcode.READDIRPLUS,
        x.u(),
        sub,
        abi.ReadIn.encode({ fh, offset: 0, size: 4096, readFlags: 0, lockOwner: 0n, flags: 0, padding: 0 }),
      ),
    );
    expect(ioctls).toEqual([{ fd: expect.any(Number), index: 0, target: w.dev }]);
    x.lookup('f', sub);
    expect(ioctls).toHaveLength(1);
  });

  test('no push without famfs mode, or where the profile has none', () => {
    const conn = (profile: AbiProfile, pushDaxdev: Connection['pushDaxdev']): Connection => ({
      profile,
      famfs: true,
      probes: [],
      pushDaxdev,
    });
    const k = new KernelAbi({ abi: 'auto', daxdev: '/dev/null', log: () => undefined });
    k.connected(
      conn(push, () => undefined),
      false,
    );
    expect(k.daxdevPusher).toBeNull();
    k.connected(conn(v10, null), true);
    expect(k.daxdevPusher).toBeNull();
    k.connected(
      conn(push, () => undefined),
      true,
    );
    expect(k.daxdevPusher).not.toBeNull();
  });
});

describe('command line and log line', () => {
  const base = ['-o', 'shadow=/s', '/mnt'];
  test('--abi defaults to auto; --simple-fmaps, -o simple_fmaps, -o daxdev_ioctl=N', () => {
    const o = (argv: string[]) => {
      const r = parseArgs(argv);
      if (r.kind !== 'run') throw new Error(r.kind);
      return r.options;
    };
    expect(o(base)).toMatchObject({ abi: 'auto', simpleFmaps: false, daxdevIoctl: undefined });
    expect(o(['--simple-fmaps', ...base]).simpleFmaps).toBe(true);
    expect(o(['-o', 'simple_fmaps', ...base]).simpleFmaps).toBe(true);
    expect(o(['-o', 'daxdev_ioctl=0x4010e563', ...base]).daxdevIoctl).toBe(0x4010e563);
    expect(o(['--daxdev-ioctl', '1074849028', ...base]).daxdevIoctl).toBe(0x4010e504);
    expect(o(['--abi', 'push', ...base]).abi).toBe('push');
    expect(() => parseArgs(['--abi', 'v11', ...base])).toThrow(/known: v10, rfc, push, or auto\)/);
    expect(() => parseArgs(['-o', 'daxdev_ioctl=0x1ffffffff', ...base])).toThrow(UsageError);
    expect(() => parseArgs(['-o', 'simple_fmaps=1', ...base])).toThrow(/takes no value/);
  });

  test('the generation line: found by the probe, or chosen with --abi', () => {
    const probe = { profile: 'push', ioctl: 0x4010e504, answer: 'ENOTTY', present: false };
    expect(describeGeneration({ profile: 'v10', famfs: false, probes: [probe] }, 'auto')).toBe(
      'famfs kernel ABI v10 (DAXDEV_OPEN (ioctl 0x4010e504) answered ENOTTY: no push generation); ' +
        'FUSE_DAX_FMAP not negotiated, so the stock data path serves',
    );
    const found = { ...probe, answer: 'EBADF', present: true };
    expect(describeGeneration({ profile: 'push', famfs: true, probes: [found] }, 'auto')).toBe(
      'famfs kernel ABI push (DAXDEV_OPEN (ioctl 0x4010e504) answered EBADF: the push generation)',
    );
    expect(describeGeneration({ profile: 'rfc', famfs: true, probes: [] }, 'rfc')).toBe(
      'famfs kernel ABI rfc (chosen with --abi)',
    );
  });
});
