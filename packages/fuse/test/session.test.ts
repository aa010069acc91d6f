import * as fs from 'fs';
import * as path from 'path';
import * as abi from '../src/protocol/abi';
import { Opcode } from '../src/protocol/abi';
import { Session } from '../src/session/session';
import { parseCpuList, possibleCpus, POSSIBLE_CPUS_PATH } from '../src/session/possible-cpus';
import { QueueTransport } from '../src/testing/queue-transport';
import { MemFs } from '../src/testing/memfs';
import { FileSystem } from '../src/filesystem';
import { FuseErrno, Errno } from '../src/errors';
import { rfc, v10 } from '../src/protocol/profiles';
import { cleanupTempDirs, cstr, initMsg, msg, parseReply, readMsg, STOCK_OFFER, tempDir } from './helpers';

afterAll(cleanupTempDirs);

const FILES = { '/hello.txt': 'hello world\n', '/d/a.bin': { size: 10000, seed: 3 }, '/d/e/deep.txt': 'deep' };

function setup(
  fs: FileSystem = new MemFs({ files: FILES, rootXattrs: { 'user.famfs.shadow': '/tmp/shadow' } }),
  profile = v10,
) {
  const t = new QueueTransport();
  const logs: string[] = [];
  const s = new Session(fs, t, { profile, log: (m) => logs.push(m) });
  /** Sends messages, runs the loop until the queue is empty, returns the parsed replies. */
  const exchange = (...msgs: Buffer[]) => {
    for (const m of msgs) t.push(m);
    s.run();
    return t.take().map(parseReply);
  };
  return { t, s, fs, logs, exchange };
}

function started(fs?: FileSystem) {
  const x = setup(fs);
  const [r] = x.exchange(initMsg(1));
  expect(r.error).toBe(0);
  return x;
}

beforeAll(() => {
  tempDir();
});

describe('INIT', () => {
  test('stock offer: replies 7.45, 1 MiB max_write, 256 pages, flags subset of the offer, no famfs', () => {
    const { exchange, s } = setup();
    const [r] = exchange(initMsg(2));
    expect(r.unique).toBe(2n);
    expect(r.len).toBe(16 + 64);
    const out = abi.InitOut.decode(r.payload);
    expect(out).toMatchObject({ major: 7, minor: 45, maxWrite: 1 << 20, maxPages: 256, timeGran: 1 });
    const flags = BigInt(out.flags) | (BigInt(out.flags2) << 32n);
    expect(flags & ~STOCK_OFFER).toBe(0n);
    for (const b of [
      'INIT_EXT',
      'ASYNC_READ',
      'BIG_WRITES',
      'MAX_PAGES',
      'PARALLEL_DIROPS',
      'DO_READDIRPLUS',
    ] as const) {
      expect(flags & abi.initFlag(abi.InitBit[b])).not.toBe(0n);
    }
    expect(flags & abi.initFlag(abi.InitBit.WRITEBACK_CACHE)).toBe(0n);
    expect(s.negotiated?.famfs).toBe(false);
    expect(s.bufferSize).toBeGreaterThanOrEqual((1 << 20) + 80);
  });

  test('older kernel minor: we answer with its minor', () => {
    const { exchange } = setup();
    const [r] = exchange(initMsg(2, STOCK_OFFER & 0xffffffffn & ~abi.FUSE_INIT_EXT, 31));
    const out = abi.InitOut.decode(r.payload);
    expect(out.minor).toBe(31);
    expect(out.flags2).toBe(0);
    expect(out.flags & (1 << 30)).toBe(0);
  });

  test('too old a kernel is refused; major 8 gets our major back', () => {
    expect(setup().exchange(initMsg(2, STOCK_OFFER, 20))[0].error).toBe(-Errno.EPROTO);
    const [r] = setup().exchange(initMsg(2, STOCK_OFFER, 0, 8));
    expect(abi.InitOut.decode(r.payload).major).toBe(7);
  });

  const famfsFs = (wantFamfs: boolean): FileSystem => ({
    init: () => ({ famfs: wantFamfs, flockLocks: true, directIoAllowMmap: true }),
    setlk: () => undefined,
    getFmap: () => Buffer.alloc(32),
  });

  test.each([
    ['v10', v10, 43],
    ['rfc', rfc, 42],
  ] as const)('famfs bit of profile %s negotiated when offered and wanted', (_name, profile, bitNo) => {
    const famBit = abi.initFlag(bitNo);
    const offer = STOCK_OFFER | famBit;
    const x = setup(famfsFs(true), profile);
    const [r] = x.exchange(initMsg(2, offer));
    const out = abi.InitOut.decode(r.payload);
    const flags = BigInt(out.flags) | (BigInt(out.flags2) << 32n);
    expect(flags & famBit).toBe(famBit);
    expect(flags & abi.initFlag(abi.InitBit.FLOCK_LOCKS)).not.toBe(0n);
    expect(flags & abi.FUSE_DIRECT_IO_ALLOW_MMAP).not.toBe(0n);
    expect(x.s.negotiated?.famfs).toBe(true);
    // The other profile's bit is never set.
    const other = bitNo === 43 ? 42 : 43;
    expect(flags & abi.initFlag(other)).toBe(0n);
  });

  test('famfs not negotiated when not offered, or when not wanted', () => {
    const a = setup(famfsFs(true));
    const fa = abi.InitOut.decode(a.exchange(initMsg(2))[0].payload);
    expect(fa.flags2 & 0x800).toBe(0);
    expect(a.s.negotiated?.famfs).toBe(false);
    expect(a.logs.join('\n')).toMatch(/famfs requested but the kernel did not offer bit 43/);
    const b = setup(famfsFs(false));
    const fb = abi.InitOut.decode(b.exchange(initMsg(2, STOCK_OFFER | abi.initFlag(43)))[0].payload);
    expect(fb.flags2 & 0x800).toBe(0);
  });

  test('requests before INIT get EIO, a second INIT gets EIO', () => {
    const { exchange } = setup();
    expect(exchange(msg(Opcode.GETATTR, 2, 1, Buffer.alloc(16)))[0].error).toBe(-Errno.EIO);
    exchange(initMsg(4));
    expect(exchange(initMsg(6))[0].error).toBe(-Errno.EIO);
  });
});

describe('operations on the toy file system', () => {
  test('LOOKUP, GETATTR, OPEN, READ, RELEASE', () => {
    const { exchange } = started();
    const [lk] = exchange(msg(Opcode.LOOKUP, 10, 1, cstr('hello.txt')));
    expect(lk.error).toBe(0);
    const e = abi.EntryOut.decode(lk.payload);
    expect(e.attr.size).toBe(12);
    expect(e.attr.mode & abi.S_IFMT).toBe(abi.S_IFREG);
    const [ga] = exchange(msg(Opcode.GETATTR, 12, e.nodeid, Buffer.alloc(16)));
    expect(abi.AttrOut.decode(ga.payload).attr.ino).toBe(e.nodeid);
    const [op] = exchange(msg(Opcode.OPEN, 14, e.nodeid, abi.OpenIn.encode({ flags: 0, openFlags: 0 })));
    const fh = abi.OpenOut.decode(op.payload).fh;
    const [rd] = exchange(readMsg(Opcode.READ, 16, e.nodeid, 6, 100, fh));
    expect(rd.payload.toString()).toBe('world\n');
    const [rl] = exchange(
      msg(Opcode.RELEASE, 18, e.nodeid, abi.ReleaseIn.encode({ fh, flags: 0, releaseFlags: 0, lockOwner: 0n })),
    );
    expect(rl).toMatchObject({ len: 16, error: 0, unique: 18n });
    const [no] = exchange(msg(Opcode.LOOKUP, 20, 1, cstr('missing')));
    expect(no).toMatchObject({ len: 16, error: -Errno.ENOENT });
  });

  test('READDIR lists ".", "..", names, and resumes from the offset cookie', () => {
    const { exchange } = started();
    const [r] = exchange(readMsg(Opcode.READDIR, 10, 1, 0, 4096));
    const names: string[] = [];
    let at = 0;
    let lastOff = 0;
    while (at < r.payload.length) {
      const d = abi.Dirent.decode(r.payload, at);
      names.push(r.payload.toString('utf8', at + 24, at + 24 + d.namelen));
      lastOff = d.off;
      at += abi.direntSize(d.namelen);
    }
    expect(names).toEqual(['.', '..', 'hello.txt', 'd']);
    const [end] = exchange(readMsg(Opcode.READDIR, 12, 1, lastOff, 4096));
    expect(end.payload).toHaveLength(0);
    const [small] = exchange(readMsg(Opcode.READDIR, 14, 1, 0, 40));
    expect(small.payload).toHaveLength(32); // only "." fits
  });

  test('a READDIR asking for nearly 4 GiB gets a normal answer (the buffer is capped at max_pages)', () => {
    const { exchange } = started();
    const [r] = exchange(readMsg(Opcode.READDIR, 16, 1, 0, 0xfffff000));
    expect(r.error).toBe(0);
    expect(r.payload.length).toBeGreaterThan(0);
    expect(r.payload.length).toBeLessThan(4096);
  });

  test('READDIRPLUS takes a lookup reference for names but not for "." and ".."', () => {
    const fs = new MemFs({ files: FILES });
    const { exchange } = started(fs);
    const [r] = exchange(readMsg(Opcode.READDIRPLUS, 10, 1, 0, 4096));
    const ents: { name: string; nodeid: number }[] = [];
    for (let at = 0; at < r.payload.length;) {
      const d = abi.Direntplus.decode(r.payload, at);
      ents.push({ name: r.payload.toString('utf8', at + 152, at + 152 + d.dirent.namelen), nodeid: d.entryOut.nodeid });
      at += abi.direntplusSize(d.dirent.namelen);
    }
    expect(ents.map((e) => e.name)).toEqual(['.', '..', 'hello.txt', 'd']);
    const hello = ents[2].nodeid;
    expect(fs.lookupCount(hello)).toBe(1);
    expect(fs.lookupCount(1)).toBe(1); // root keeps its implicit reference only
  });

  test('STATFS, GETXATTR size probe, value, ERANGE, ENODATA, LISTXATTR', () => {
    const { exchange } = started();
    const [st] = exchange(msg(Opcode.STATFS, 10, 1));
    expect(st.len).toBe(16 + 80);
    expect(abi.Kstatfs.decode(st.payload).namelen).toBe(255);
    const gx = (u: number, size: number, name = 'user.famfs.shadow') =>
      exchange(msg(Opcode.GETXATTR, u, 1, Buffer.concat([abi.GetxattrIn.encode({ size, padding: 0 }), cstr(name)])))[0];
    expect(abi.GetxattrOut.decode(gx(12, 0).payload).size).toBe(11);
    expect(gx(14, 100).payload.toString()).toBe('/tmp/shadow');
    expect(gx(16, 5).error).toBe(-Errno.ERANGE);
    expect(gx(18, 100, 'user.other').error).toBe(-Errno.ENODATA);
    const [lx] = exchange(msg(Opcode.LISTXATTR, 20, 1, abi.GetxattrIn.encode({ size: 100, padding: 0 })));
    expect(lx.payload.toString()).toBe('user.famfs.shadow\0');
  });

  test('FORGET and BATCH_FORGET get no reply and release lookup references', () => {
    const fs = new MemFs({ files: FILES });
    const { exchange } = started(fs);
    const e = abi.EntryOut.decode(exchange(msg(Opcode.LOOKUP, 10, 1, cstr('hello.txt')))[0].payload);
    exchange(msg(Opcode.LOOKUP, 12, 1, cstr('hello.txt')));
    expect(fs.lookupCount(e.nodeid)).toBe(2);
    expect(exchange(msg(Opcode.FORGET, 14, e.nodeid, abi.ForgetIn.encode({ nlookup: 1 })))).toHaveLength(0);
    expect(fs.lookupCount(e.nodeid)).toBe(1);
    const batch = Buffer.concat([
      abi.BatchForgetIn.encode({ count: 1, dummy: 0 }),
      abi.ForgetOne.encode({ nodeid: e.nodeid, nlookup: 1 }),
    ]);
    expect(exchange(msg(Opcode.BATCH_FORGET, 16, 0, batch))).toHaveLength(0);
    expect(fs.forgotten).toContain(e.nodeid);
    expect(exchange(msg(Opcode.INTERRUPT, 17, 0, abi.InterruptIn.encode({ unique: 16n })))).toHaveLength(0);
  });

  test('unknown and unimplemented opcodes get ENOSYS', () => {
    const { exchange, s } = started();
    expect(exchange(msg(999, 10, 1))[0].error).toBe(-Errno.ENOSYS);
    expect(
      exchange(msg(Opcode.MKDIR, 12, 1, Buffer.concat([abi.MkdirIn.encode({ mode: 0o755, umask: 0 }), cstr('x')])))[0]
        .error,
    ).toBe(-Errno.ENOSYS);
    expect(exchange(msg(v10.getFmapOpcode, 14, 2))[0].error).toBe(-Errno.ENOSYS);
    expect(s.stats.enosys).toBe(3);
    expect(s.stats.requests.get(999)).toBe(1);
  });

  test('GET_FMAP and GET_DAXDEV reach the file system (v10: index in nodeid)', () => {
    const seen: number[] = [];
    const fs: FileSystem = {
      getFmap: (r) => Buffer.from([r.header.nodeid]),
      getDaxdev: (r) => {
        seen.push(r.index);
        return { name: '/dev/dax0.0' };
      },
    };
    const { exchange } = started(fs);
    const [fm] = exchange(msg(54, 10, 7));
    expect(fm.payload).toEqual(Buffer.from([7]));
    const [dd] = exchange(msg(55, 12, 0));
    expect(dd.len).toBe(296);
    expect(seen).toEqual([0]);
  });

  test('a file system method that throws gets EIO and the loop goes on; FuseErrno gives its errno', () => {
    const fs: FileSystem = {
      getattr: () => {
        throw new TypeError('boom');
      },
      access: () => {
        throw new FuseErrno(Errno.EACCES);
      },
      statfs: () => new FuseErrno(Errno.EROFS),
    };
    const { exchange, s, logs } = started(fs);
    const rs = exchange(
      msg(Opcode.GETATTR, 10, 1, Buffer.alloc(16)),
      msg(Opcode.GETATTR, 12, 1, Buffer.alloc(16)),
      msg(Opcode.ACCESS, 14, 1, abi.AccessIn.encode({ mask: 4, padding: 0 })),
      msg(Opcode.STATFS, 16, 1),
    );
    expect(rs.map((r) => r.error)).toEqual([-Errno.EIO, -Errno.EIO, -Errno.EACCES, -Errno.EROFS]);
    expect(s.stats.fsExceptions).toBe(2);
    expect(logs.filter((l) => /boom/.test(l))).toHaveLength(1); // logged once
  });
});

describe('malformed messages', () => {
  const getattr = (u: number) => msg(Opcode.GETATTR, u, 1, Buffer.alloc(16));
  const good = (u: number) => msg(Opcode.LOOKUP, u, 1, cstr('hello.txt'));

  test.each<[string, Buffer, number | null]>([
    ['short header (dropped)', Buffer.alloc(20), null],
    ['len larger than the read', msg(Opcode.GETATTR, 30, 1, Buffer.alloc(16), { len: 100 }), -Errno.EIO],
    ['len smaller than the read', msg(Opcode.GETATTR, 30, 1, Buffer.alloc(16), { len: 40 }), -Errno.EIO],
    ['short args', msg(Opcode.GETATTR, 30, 1, Buffer.alloc(8)), -Errno.EINVAL],
    ['name without NUL', msg(Opcode.LOOKUP, 30, 1, Buffer.from('hello.txt')), -Errno.EINVAL],
    ['empty name', msg(Opcode.LOOKUP, 30, 1, Buffer.from([0])), -Errno.EINVAL],
    ['name with a slash', msg(Opcode.LOOKUP, 30, 1, cstr('a/b')), -Errno.EINVAL],
    [
      'trailing bytes after the name',
      msg(Opcode.LOOKUP, 30, 1, Buffer.concat([cstr('a'), Buffer.from('x')])),
      -Errno.EINVAL,
    ],
    ['".." as an unlink name', msg(Opcode.UNLINK, 30, 1, cstr('..')), -Errno.EINVAL],
    ['nodeid 0', msg(Opcode.GETATTR, 30, 0, Buffer.alloc(16)), -Errno.EINVAL],
    ['total_extlen past the end', msg(Opcode.GETATTR, 30, 1, Buffer.alloc(16), { totalExtlen: 3 }), -Errno.EINVAL],
    [
      'write size mismatch',
      msg(
        Opcode.WRITE,
        30,
        2,
        Buffer.concat([
          abi.WriteIn.encode({ fh: 1, offset: 0, size: 10, writeFlags: 0, lockOwner: 0n, flags: 0, padding: 0 }),
          Buffer.alloc(4),
        ]),
      ),
      -Errno.EINVAL,
    ],
    ['short FORGET (dropped)', msg(Opcode.FORGET, 30, 2, Buffer.alloc(4)), null],
    [
      'BATCH_FORGET count past the end (dropped)',
      msg(Opcode.BATCH_FORGET, 30, 0, abi.BatchForgetIn.encode({ count: 5, dummy: 0 })),
      null,
    ],
  ])('%s', (_what, bad, expectedError) => {
    const { exchange, s } = started();
    const rs = exchange(bad, good(40));
    if (expectedError === null) {
      expect(rs).toHaveLength(1);
      expect(s.stats.malformed).toBe(1);
    } else {
      expect(rs).toHaveLength(2);
      expect(rs[0]).toMatchObject({ unique: 30n, error: expectedError, len: 16 });
    }
    const last = rs[rs.length - 1];
    expect(last).toMatchObject({ unique: 40n, error: 0 });
    expect(abi.EntryOut.decode(last.payload).attr.size).toBe(12);
  });

  test('bad nodeid (unknown to the file system) is ESTALE, then the session carries on', () => {
    const { exchange } = started();
    const rs = exchange(getattr(30).fill(0x77, 16, 24), good(40));
    expect(rs[0].error).toBe(-Errno.ESTALE);
    expect(rs[1].error).toBe(0);
  });

  test('the strict transport refuses the replies the kernel would refuse', () => {
    const t = new QueueTransport();
    t.push(getattr(10));
    const h = (len: number, error: number, unique: bigint) => abi.OutHeader.encode({ len, error, unique });
    expect(() => t.writev([h(20, 0, 10n)])).toThrow(/EINVAL/); // len mismatch
    expect(() => t.writev([h(16, 2, 10n)])).toThrow(/EINVAL/); // positive error
    expect(() => t.writev([h(16, 0, 999n)])).toThrow(/ENOENT/); // not pending
    t.writev([h(16, -2, 10n)]);
    expect(() => t.writev([h(16, -2, 10n)])).toThrow(/ENOENT/); // answered twice
    // An error with a payload matches the request, which the kernel then ends with EIO.
    t.push(getattr(12));
    expect(() => t.writev([h(24, -2, 12n), Buffer.alloc(8)])).toThrow(/EINVAL/);
    expect(() => t.writev([h(16, -2, 12n)])).toThrow(/ENOENT/);
    // Header faults leave the request pending (the opener blocks); only the matched one ended.
    expect(t.rejected.map((r) => r.ended)).toEqual([false, false, false, false, true, false]);
  });
});

describe('DESTROY and end of channel', () => {
  test('DESTROY is answered and ends the loop', () => {
    let destroyed = false;
    const { t, s } = setup({ destroy: () => void (destroyed = true) });
    t.push(initMsg(1));
    t.push(msg(Opcode.DESTROY, 2, 0));
    t.push(msg(Opcode.STATFS, 4, 1));
    expect(s.run()).toBe('destroy');
    expect(destroyed).toBe(true);
    expect(
      t
        .take()
        .map(parseReply)
        .map((r) => r.unique),
    ).toEqual([1n, 2n]);
    expect(t.queued).toBe(1);
  });
  test('an empty channel ends the loop as closed', () => {
    const { s } = setup();
    expect(s.run()).toBe('closed');
  });
});

describe('run(): each reply goes to the kernel with the next read', () => {
  /** A queue transport that records what the kernel would see: reads, replies (by unique), exchanges. */
  class RecordingTransport extends QueueTransport {
    calls: string[] = [];
    override read(buf: Buffer): number {
      this.calls.push('read');
      return super.read(buf);
    }
    override writev(bufs: Buffer[]): void {
      this.calls.push(`reply ${parseReply(Buffer.concat(bufs)).unique}`);
      super.writev(bufs);
    }
    override exchange(reply: Buffer[], buf: Buffer): number {
      this.calls.push('exchange');
      return super.exchange(reply, buf);
    }
  }
  /** MemFs with an afterRequest that records itself in the transport's calls, then runs `also`. */
  const memfsAfter = (t: RecordingTransport, also: () => void = () => undefined) =>
    Object.assign(new MemFs({ files: FILES }), {
      afterRequest: () => {
        t.calls.push('after');
        also();
      },
    });

  test('INIT is written at once; every other reply after afterRequest, in one exchange with the next read', () => {
    const t = new RecordingTransport();
    const s = new Session(memfsAfter(t), t, { profile: v10 });
    for (const m of [
      initMsg(1),
      msg(Opcode.STATFS, 2, 1),
      msg(Opcode.FORGET, 3, 1, Buffer.alloc(8)),
      msg(Opcode.STATFS, 4, 1),
    ])
      t.push(m);
    expect(s.run()).toBe('closed');
    expect(t.calls).toEqual([
      ...['read', 'reply 1', 'after'],
      ...['read', 'after'],
      ...['exchange', 'reply 2', 'read', 'after'],
      ...['read', 'after'],
      ...['exchange', 'reply 4', 'read'],
    ]);
    expect(t.take().map((r) => parseReply(r).unique)).toEqual([1n, 2n, 4n]);
  });

  test('a transport without exchange gets the reply written, then the read, in the same order', () => {
    const q = new RecordingTransport();
    const t = { read: (b: Buffer) => q.read(b), writev: (bufs: Buffer[]) => q.writev(bufs), close: () => q.close() };
    const s = new Session(memfsAfter(q), t, { profile: v10 });
    for (const m of [initMsg(1), msg(Opcode.STATFS, 2, 1), msg(Opcode.STATFS, 3, 1)]) q.push(m);
    expect(s.run()).toBe('closed');
    expect(q.calls).toEqual([
      'read',
      'reply 1',
      'after',
      'read',
      'after',
      'reply 2',
      'read',
      'after',
      'reply 3',
      'read',
    ]);
  });

  test('a reply the kernel no longer wants (ENOENT) is counted, and the next request is still read', () => {
    const t = new RecordingTransport();
    const s = new Session(new MemFs({ files: FILES }), t, { profile: v10 });
    // The same unique twice: the kernel ends the request with the first reply and refuses the second.
    for (const m of [initMsg(1), msg(Opcode.STATFS, 5, 1), msg(Opcode.STATFS, 5, 1), msg(Opcode.STATFS, 6, 1)])
      t.push(m);
    expect(s.run()).toBe('closed');
    expect(t.take().map((r) => parseReply(r).unique)).toEqual([1n, 5n, 6n]);
    expect(t.rejected.map((r) => r.code)).toEqual(['ENOENT']);
    expect(s.stats).toMatchObject({ interruptedReplies: 1, replyErrors: 0 });
  });

  test('a channel that closed under a pending reply ends the loop as closed', () => {
    const t = new RecordingTransport();
    const s = new Session(
      memfsAfter(t, () => t.calls.length > 4 && t.close()),
      t,
      { profile: v10 },
    );
    for (const m of [initMsg(1), msg(Opcode.STATFS, 2, 1), msg(Opcode.STATFS, 3, 1)]) t.push(m);
    expect(s.run()).toBe('closed');
    expect(t.calls).toEqual(['read', 'reply 1', 'after', 'read', 'after', 'exchange', 'reply 2']);
    expect(t.queued).toBe(1);
    expect(s.stats.replyErrors).toBe(0);
  });

  test('stop() and DESTROY write the last reply before the loop returns', () => {
    const t = new RecordingTransport();
    const s: Session = new Session(
      memfsAfter(t, () => t.calls.filter((c) => c === 'after').length === 2 && s.stop()),
      t,
      { profile: v10 },
    );
    for (const m of [initMsg(1), msg(Opcode.STATFS, 2, 1), msg(Opcode.STATFS, 3, 1)]) t.push(m);
    expect(s.run()).toBe('stopped');
    expect(t.calls.slice(-2)).toEqual(['after', 'reply 2']);
    expect(t.queued).toBe(1);

    const d = new RecordingTransport();
    const sd = new Session(new MemFs({ files: FILES }), d, { profile: v10 });
    for (const m of [initMsg(1), msg(Opcode.DESTROY, 2, 0)]) d.push(m);
    expect(sd.run()).toBe('destroy');
    expect(d.calls).toEqual(['read', 'reply 1', 'read', 'reply 2']);
  });
});

describe('possible CPUs for the io_uring queues', () => {
  test('cpu lists count as the kernel counts them; anything else is null', () => {
    expect(parseCpuList('0\n')).toBe(1);
    expect(parseCpuList('0-1\n')).toBe(2);
    expect(parseCpuList('0-3,8-11')).toBe(8);
    expect(parseCpuList('0,2,4')).toBe(3);
    for (const bad of ['', 'x', '3-1', '0-', '-1', '0,,1', '0-70000']) expect(parseCpuList(bad)).toBeNull();
  });

  test('possibleCpus reads the kernel file, and a missing one is null', () => {
    const dir = tempDir();
    const f = path.join(dir, 'possible');
    fs.writeFileSync(f, '0-5\n');
    expect(possibleCpus(f)).toBe(6);
    expect(possibleCpus(path.join(dir, 'absent'))).toBeNull();
    if (fs.existsSync(POSSIBLE_CPUS_PATH)) expect(possibleCpus()).toBeGreaterThanOrEqual(1);
  });
});

describe('ioUring: what the session offers at INIT and when it moves to the ring', () => {
  const OFFER = STOCK_OFFER | abi.initFlag(abi.InitBit.OVER_IO_URING);
  const uringBit = abi.initFlag(abi.InitBit.OVER_IO_URING);
  /** A queue transport with the ring steps, each succeeding or throwing as told, recording its calls. */
  class RingishTransport extends QueueTransport {
    calls: string[] = [];
    constructor(
      private readonly prepareFails: boolean,
      private readonly startFails: boolean,
    ) {
      super();
    }
    prepareRing(p: { queues: number; payloadBytes: number; devBufferBytes: number }): void {
      this.calls.push(`prepare ${p.queues} ${p.payloadBytes} ${p.devBufferBytes}`);
      if (this.prepareFails) throw Object.assign(new Error('io_uring_setup: not permitted'), { code: 'EPERM' });
    }
    startRing(): void {
      this.calls.push('start');
      if (this.startFails) throw Object.assign(new Error('refused'), { code: 'EOPNOTSUPP' });
    }
  }
  const initReplyFlags = (reply: Buffer): bigint => {
    const o = abi.InitOut.decode(reply, abi.OutHeader.size);
    return BigInt(o.flags) | (BigInt(o.flags2) << 32n);
  };
  const serve = (t: QueueTransport, offer: bigint) => {
    const logs: string[] = [];
    const s = new Session(new MemFs({ files: { '/a': 'x' } }), t, { ioUring: true, log: (m) => logs.push(m) });
    t.push(initMsg(1, offer));
    s.run();
    const [reply] = t.take();
    return { s, logs, flags: initReplyFlags(reply) };
  };
  const cpus = possibleCpus();

  (cpus === null ? test.skip : test)('prepared before the reply offers it, started after; 1 MiB payloads', () => {
    const t = new RingishTransport(false, false);
    const { s, flags, logs } = serve(t, OFFER);
    expect(flags & uringBit).toBe(uringBit);
    expect(t.calls).toEqual([`prepare ${cpus} ${1 << 20} ${s.bufferSize}`, 'start']);
    expect(s.negotiated!.ioUring).toBe(true);
    expect(logs).toEqual([]);
  });

  test('not offered when the ring cannot be set up; not moved when the kernel refuses it', () => {
    const a = new RingishTransport(true, false);
    const first = serve(a, OFFER);
    expect(first.flags & uringBit).toBe(0n);
    expect(a.calls.filter((c) => c === 'start')).toEqual([]);
    expect(first.s.negotiated!.ioUring).toBe(false);
    expect(first.logs.join('\n')).toMatch(/io_uring cannot be set up \(EPERM\)/);

    const b = new RingishTransport(false, true);
    const second = serve(b, OFFER);
    expect(second.flags & uringBit).toBe(uringBit);
    expect(second.s.negotiated!.ioUring).toBe(false);
    expect(second.logs.join('\n')).toMatch(/refused by the kernel \(EOPNOTSUPP\)/);
  });

  test('a kernel that does not offer it, or a transport without rings: /dev/fuse, nothing set up', () => {
    const t = new RingishTransport(false, false);
    const { flags, s } = serve(t, STOCK_OFFER);
    expect(flags & uringBit).toBe(0n);
    expect(t.calls).toEqual([]);
    expect(s.negotiated!.ioUring).toBe(false);
    const plain = serve(new QueueTransport(), OFFER);
    expect(plain.flags & uringBit).toBe(0n);
    expect(plain.logs.join('\n')).toMatch(/transport cannot/);
  });
});
