/**
 * The request generators: name -> [weight, generator]. Well-formed requests first (a kernel could
 * send them: each must be answered, or not, as its opcode says), then malformed ones. Mutating
 * requests only go to nodeids that do not exist, or are malformed, so a correct daemon's tree is
 * the same after the run. The table's order is part of the seed's meaning (weighted picks walk it),
 * and so is the order of the draws inside each generator: append, never reorder.
 */
import {
  AccessIn,
  BatchForgetIn,
  CreateIn,
  EntryOut,
  FATTR_MODE,
  FATTR_SIZE,
  FlushIn,
  ForgetIn,
  ForgetOne,
  FsyncIn,
  FUSE_ROOT_ID,
  GetattrIn,
  GetxattrIn,
  InHeader,
  InitIn,
  InterruptIn,
  LinkIn,
  LkIn,
  LseekIn,
  MkdirIn,
  MknodIn,
  Opcode,
  OpenIn,
  OpenOut,
  ReleaseIn,
  RenameIn,
  S_IFREG,
  SetattrIn,
  StatxIn,
  WriteIn,
  WriteOut,
} from '@famfs/fuse';
import type { AbiProfile } from '@famfs/fuse';
import { cstr, msg } from '@famfs/fuse/testing';
import { O_RDONLY, O_RDWR, O_WRONLY } from '../kernel';
import { FuzzContext, PLAIN } from './context';
import { daxdevCheck, entryCheck, fmapCheck } from './oracle';
import type { Gen } from './types';

type Generator = [weight: number, generate: (c: FuzzContext) => Gen];

const O_TRUNC = 0o1000;
const REGULAR = S_IFREG | 0o644;
const KNOWN_OPS = new Set<number>(Object.values(Opcode));
const plainGetattr = (): Buffer => GetattrIn.encode({ getattrFlags: 0, dummy: 0, fh: 0 });
const openIn = (flags: number): Buffer => OpenIn.encode({ flags, openFlags: 0 });
const writeIn = (fh: number, offset: number, size: number, flags: number): Buffer =>
  WriteIn.encode({ fh, offset, size, writeFlags: 0, lockOwner: 0n, flags, padding: 0 });

/** A request a kernel could send: it must be answered (or not, as its opcode says). */
const sent = (msg: Buffer, more: Partial<Gen> = {}): Gen => ({ msg, wellFormed: true, ...more });
/** A request a kernel could send that must fail. */
const refused = (msg: Buffer, more: Partial<Gen> = {}): Gen => sent(msg, { expectError: true, ...more });
/** A request no kernel sends: dropping it without a reply is allowed. */
const malformed = (msg: Buffer, more: Partial<Gen> = {}): Gen => ({ msg, wellFormed: false, ...more });

const learnLookup =
  (c: FuzzContext) =>
  (p: Buffer): void =>
    c.ch.noteLookup(EntryOut.decode(p).nodeid);
const learnFh =
  (c: FuzzContext, nodeid: number, dir: boolean) =>
  (p: Buffer): void =>
    void c.fhs.push({ nodeid, fh: OpenOut.decode(p).fh, dir });

const NAMES: Record<string, Generator> = {
  lookupKnown: [
    6,
    (c) => {
      const e = c.known.length ? c.rng.pick(c.known) : undefined;
      if (!e) return sent(c.req(Opcode.LOOKUP, FUSE_ROOT_ID, cstr(c.randomName())), { check: entryCheck });
      return sent(c.req(Opcode.LOOKUP, e.parent, cstr(e.name)), { check: entryCheck, learn: learnLookup(c) });
    },
  ],
  lookupMissing: [
    4,
    (c) =>
      sent(c.req(Opcode.LOOKUP, c.aDir(), cstr(`zz-${c.randomName()}`)), { check: entryCheck, learn: learnLookup(c) }),
  ],
  lookupInFile: [
    2,
    (c) => {
      const f = c.aFile();
      return refused(c.req(Opcode.LOOKUP, f ? f.nodeid : c.bogusNodeid(), cstr(c.randomName())));
    },
  ],
  lookupBogusParent: [2, (c) => refused(c.req(Opcode.LOOKUP, c.bogusNodeid(), cstr(c.randomName())))],
  getattr: [
    5,
    (c) => {
      const nodeid = c.anyKnown();
      const getattrFlags = c.rng.int(2);
      return sent(c.req(Opcode.GETATTR, nodeid, GetattrIn.encode({ getattrFlags, dummy: 0, fh: c.rng.int(100) })));
    },
  ],
  getattrBogus: [3, (c) => refused(c.req(Opcode.GETATTR, c.bogusNodeid(), plainGetattr()))],
};

const OPENS: Record<string, Generator> = {
  open: [
    4,
    (c) => {
      const f = c.aFile();
      const nodeid = f ? f.nodeid : FUSE_ROOT_ID;
      const flags = c.rng.pick([O_RDONLY, O_RDONLY, O_RDWR, O_WRONLY, O_RDONLY | 0o4000, O_RDWR | 0o40000]);
      return sent(c.req(Opcode.OPEN, nodeid, openIn(flags)), { learn: learnFh(c, nodeid, false) });
    },
  ],
  openTrunc: [
    1,
    (c) => {
      const f = c.aFile();
      // O_TRUNC only reaches the daemon with ATOMIC_O_TRUNC; a famfs daemon must not truncate anything.
      const m = c.req(Opcode.OPEN, f ? f.nodeid : c.bogusNodeid(), openIn(O_RDWR | O_TRUNC));
      return sent(m, { learn: (p) => void (f && learnFh(c, f.nodeid, false)(p)) });
    },
  ],
  opendir: [
    2,
    (c) => {
      const d = c.aDir();
      return sent(c.req(Opcode.OPENDIR, d, openIn(O_RDONLY)), { learn: learnFh(c, d, true) });
    },
  ],
  openBogus: [2, (c) => refused(c.req(c.rng.pick([Opcode.OPEN, Opcode.OPENDIR]), c.bogusNodeid(), openIn(O_RDONLY)))],
  release: [
    4,
    (c) => {
      const { rng, fhs } = c;
      const f =
        fhs.length && rng.chance(0.8)
          ? fhs.splice(rng.int(fhs.length), 1)[0]
          : { nodeid: c.anyKnown(), fh: rng.int(1 << 30), dir: rng.chance(0.5) };
      const body = ReleaseIn.encode({ fh: f.fh, flags: 0, releaseFlags: rng.int(4), lockOwner: rng.u64() });
      return sent(c.req(f.dir ? Opcode.RELEASEDIR : Opcode.RELEASE, f.nodeid, body));
    },
  ],
};

const READS: Record<string, Generator> = {
  read: [
    6,
    (c) => {
      const f = c.aFile();
      const size = c.sizeFor();
      const nodeid = f ? f.nodeid : c.anyKnown();
      return sent(c.read(Opcode.READ, nodeid, c.fhFor(nodeid), c.bigOffset(), size), { size });
    },
  ],
  readdir: [
    4,
    (c) => {
      const { rng } = c;
      const d = c.aDir();
      const size = c.sizeFor(8192);
      const op = rng.pick([Opcode.READDIR, Opcode.READDIR, Opcode.READDIRPLUS]);
      const fh = rng.int(4);
      const offset = rng.pick([0, 1, 2, 3, rng.int(100), 2 ** 40, Number.MAX_SAFE_INTEGER]);
      return sent(c.read(op, d, fh, offset, size), { size });
    },
  ],
  readBogus: [
    2,
    (c) => {
      const size = c.sizeFor();
      return refused(c.read(c.rng.pick([Opcode.READ, Opcode.READDIR]), c.bogusNodeid(), 0, 0, size), { size });
    },
  ],
};

const FAMFS: Record<string, Generator> = {
  getFmapFile: [
    6,
    (c) => {
      const f = c.aFile();
      const op = c.ch.profile.getFmapOpcode;
      if (!f) return refused(c.req(op, c.bogusNodeid(), c.fmapBody()));
      const size = c.fmapBuffer;
      const check = fmapCheck(c.ch.profile, c.ch.result.famfs, f.path, size);
      return sent(c.req(op, f.nodeid, c.fmapBody()), { size, check });
    },
  ],
  getFmapDir: [3, (c) => refused(c.req(c.ch.profile.getFmapOpcode, c.aDir(), c.fmapBody()))],
  getFmapBogus: [3, (c) => refused(c.req(c.ch.profile.getFmapOpcode, c.bogusNodeid(), c.fmapBody()))],
  getDaxdev: [3, (c) => sent(c.req(c.ch.profile.getDaxdevOpcode, 0), { check: daxdevCheck })],
  getDaxdevOther: [2, (c) => sent(c.req(c.ch.profile.getDaxdevOpcode, 1 + c.rng.int(23)), { check: daxdevCheck })],
  getDaxdevBad: [
    3,
    (c) => {
      const index = c.rng.pick([24n, 25n, 31n, 32n, 64n, 0xffffn, 1n << 32n, (1n << 64n) - 1n, c.rng.u64()]);
      return refused(c.req(c.ch.profile.getDaxdevOpcode, index));
    },
  ],
};

const QUERIES: Record<string, Generator> = {
  statfs: [2, (c) => sent(c.req(Opcode.STATFS, c.anyKnown()))],
  getxattr: [
    3,
    (c) => {
      const { rng } = c;
      const size = c.hostileSizes && rng.chance(0.1) ? 0xffff_ffff : rng.pick([0, 1, 8, 4096, 65536]);
      const name = rng.pick(['user.famfs.shadow', 'user.other', 'security.selinux', 'trusted.x', c.randomName()]);
      const body = Buffer.concat([GetxattrIn.encode({ size, padding: 0 }), cstr(name)]);
      return sent(c.req(Opcode.GETXATTR, c.anyKnown(), body), { size });
    },
  ],
  listxattr: [
    1,
    (c) => {
      const size = c.rng.pick([0, 1, 4096]);
      return sent(c.req(Opcode.LISTXATTR, c.anyKnown(), GetxattrIn.encode({ size, padding: 0 })), { size });
    },
  ],
  access: [
    1,
    (c) => {
      const nodeid = c.anyKnown();
      return sent(c.req(Opcode.ACCESS, nodeid, AccessIn.encode({ mask: c.rng.int(8), padding: 0 })));
    },
  ],
  flushFsync: [
    2,
    (c) => {
      const { rng } = c;
      const n = c.anyKnown();
      if (rng.chance(0.5)) {
        const fh = c.fhFor(n);
        return sent(c.req(Opcode.FLUSH, n, FlushIn.encode({ fh, unused: 0, padding: 0, lockOwner: rng.u64() })));
      }
      const op = rng.pick([Opcode.FSYNC, Opcode.FSYNCDIR]);
      return sent(c.req(op, n, FsyncIn.encode({ fh: c.fhFor(n), fsyncFlags: rng.int(2), padding: 0 })));
    },
  ],
  statxLseekLk: [
    2,
    (c) => {
      const { rng } = c;
      const n = c.anyKnown();
      const which = rng.int(3);
      if (which === 0) {
        const body = StatxIn.encode({ getattrFlags: 0, reserved: 0, fh: 0, sxFlags: 0, sxMask: 0xfff });
        return sent(c.req(Opcode.STATX, n, body));
      }
      if (which === 1) {
        const body = LseekIn.encode({ fh: c.fhFor(n), offset: c.bigOffset(), whence: rng.int(5), padding: 0 });
        return sent(c.req(Opcode.LSEEK, n, body));
      }
      const fh = c.fhFor(n);
      const owner = rng.u64();
      const lk = { start: 0n, end: (1n << 63n) - 1n, type: rng.int(3), pid: 1 };
      return sent(c.req(Opcode.GETLK, n, LkIn.encode({ fh, owner, lk, lkFlags: rng.int(2), padding: 0 })));
    },
  ],
};

const MUTATIONS: Record<string, Generator> = {
  setattrSize: [
    3,
    (c) => {
      const f = c.aFile();
      if (!f) return refused(c.req(Opcode.SETATTR, c.bogusNodeid(), Buffer.alloc(SetattrIn.size)));
      const big = [2 ** 40, Number.MAX_SAFE_INTEGER];
      const size = c.rng.pick([0, 1, f.size + 1, f.size + 2 * 1024 * 1024, ...big, Math.max(0, f.size - 1)]);
      const b = Buffer.alloc(SetattrIn.size);
      SetattrIn.set(b, 'valid', FATTR_SIZE);
      SetattrIn.set(b, 'size', size);
      // Changing the size of a famfs file must be refused (§1.9); a daemon without SETATTR says ENOSYS.
      return sent(c.req(Opcode.SETATTR, f.nodeid, b), { expectError: size !== f.size });
    },
  ],
  setattrNoop: [1, (c) => sent(c.req(Opcode.SETATTR, c.anyKnown(), Buffer.alloc(SetattrIn.size)))],
  writePastEof: [
    2,
    (c) => {
      const { rng } = c;
      const f = c.aFile();
      const nodeid = f ? f.nodeid : c.bogusNodeid();
      const data = rng.bytes(rng.pick([1, 100, 4096]));
      const offset = f ? f.size + rng.pick([0, 1, 4096, 2 ** 30]) : 0;
      const head = writeIn(typeof nodeid === 'number' ? c.fhFor(nodeid) : 0, offset, data.length, O_RDWR);
      const check = (p: Buffer): string | undefined => {
        const wrote = WriteOut.decode(p).size;
        if (wrote === 0) return undefined;
        return `WRITE at/after EOF (offset ${offset}, size ${f?.size}) wrote ${wrote} bytes: files must never grow`;
      };
      return sent(c.req(Opcode.WRITE, nodeid, Buffer.concat([head, data])), { expectError: !f, check });
    },
  ],
  mutateBogus: [
    4,
    (c) => {
      const n = c.bogusNodeid();
      const name = cstr(c.randomName());
      const op = c.rng.int(10);
      // Every body is built (and draws) whichever is sent.
      const bodies: [number, Buffer][] = [
        [Opcode.MKDIR, Buffer.concat([MkdirIn.encode({ mode: 0o755, umask: 0o22 }), name])],
        [Opcode.MKNOD, Buffer.concat([MknodIn.encode({ mode: REGULAR, rdev: 0, umask: 0, padding: 0 }), name])],
        [
          Opcode.CREATE,
          Buffer.concat([CreateIn.encode({ flags: O_RDWR, mode: REGULAR, umask: 0, openFlags: 0 }), name]),
        ],
        [Opcode.SYMLINK, Buffer.concat([name, cstr('/etc/passwd')])],
        [Opcode.UNLINK, name],
        [Opcode.RMDIR, name],
        [Opcode.RENAME, Buffer.concat([RenameIn.encode({ newdir: FUSE_ROOT_ID }), name, cstr(c.randomName())])],
        [Opcode.LINK, Buffer.concat([LinkIn.encode({ oldnodeid: c.anyKnown() }), name])],
        [Opcode.SETXATTR, Buffer.concat([Buffer.from([3, 0, 0, 0, 0, 0, 0, 0]), cstr('user.x'), Buffer.from('abc')])],
        [Opcode.REMOVEXATTR, cstr('user.famfs.shadow')],
      ];
      const [opcode, body] = bodies[op];
      return refused(c.req(opcode, n, body), { wellFormed: opcode !== Opcode.SETXATTR });
    },
  ],
  writeBogus: [
    1,
    (c) => {
      const data = c.rng.bytes(64);
      const nodeid = c.rng.chance(0.5) ? c.bogusNodeid() : c.aDir();
      return refused(c.req(Opcode.WRITE, nodeid, Buffer.concat([writeIn(0, 0, 64, O_RDWR), data])));
    },
  ],
};

const CONTROL: Record<string, Generator> = {
  forgetBogus: [
    3,
    (c) => {
      const nodeid = c.bogusNodeid();
      const nlookup = c.rng.pick([1, 2, 1000, Number.MAX_SAFE_INTEGER]);
      return sent(c.req(Opcode.FORGET, nodeid, ForgetIn.encode({ nlookup })));
    },
  ],
  forgetRoot: [
    1,
    (c) =>
      sent(c.req(Opcode.FORGET, FUSE_ROOT_ID, ForgetIn.encode({ nlookup: c.rng.pick([1, Number.MAX_SAFE_INTEGER]) }))),
  ],
  forgetMine: [
    2,
    (c) => {
      // Gives back lookup references this fuzzer took, never more.
      const { lookups } = c.ch;
      const mine = [...lookups].filter(([, n]) => n > 1);
      if (!mine.length) return sent(c.req(Opcode.FORGET, c.bogusNodeid(), ForgetIn.encode({ nlookup: 1 })));
      const [nodeid, n] = c.rng.pick(mine);
      const give = 1 + c.rng.int(n - 1);
      lookups.set(nodeid, n - give);
      return sent(c.req(Opcode.FORGET, nodeid, ForgetIn.encode({ nlookup: give })));
    },
  ],
  batchForget: [
    2,
    (c) => {
      const { rng } = c;
      const count = rng.int(5);
      const parts = [BatchForgetIn.encode({ count, dummy: 0 })];
      for (let i = 0; i < count; i++) {
        const one = Buffer.alloc(ForgetOne.size);
        one.writeBigUInt64LE(rng.chance(0.2) ? 0n : BigInt.asUintN(64, c.bogusNodeid()), 0);
        one.writeBigUInt64LE(BigInt(1 + rng.int(100)), 8);
        parts.push(one);
      }
      return sent(c.req(Opcode.BATCH_FORGET, 0, Buffer.concat(parts)));
    },
  ],
  interrupt: [
    1,
    (c) => {
      // An odd unique (the kernel's interrupt bit) aimed at the previous request half the time.
      const unique = c.ch.nextUnique() | 1n;
      const target = c.rng.chance(0.5) ? c.ch.unique - 2n : c.rng.u64();
      return sent(msg(Opcode.INTERRUPT, unique, 0, InterruptIn.encode({ unique: target }), PLAIN));
    },
  ],
  initAgain: [
    1,
    (c) => {
      const flags = c.rng.u32();
      const flags2 = c.rng.u32();
      const body = InitIn.encode({ major: 7, minor: 45, maxReadahead: 0, flags, flags2, unused: Buffer.alloc(0) });
      return refused(c.req(Opcode.INIT, 0, body));
    },
  ],
  unknownOpcode: [
    3,
    (c) => {
      const { rng } = c;
      const { profile } = c.ch;
      let op = rng.pick([0, 7, 19, 37, 39, 40, 41, 53, 56, 57, 99, 4096, 0xffff_ffff, rng.u32()]);
      const famfsOp = op === profile.getFmapOpcode || op === profile.getDaxdevOpcode;
      if (famfsOp || (KNOWN_OPS.has(op) && op !== Opcode.COPY_FILE_RANGE_64)) op = 1000 + rng.int(1000);
      // Opcodes no kernel sends (or the other profile's famfs opcodes) must get an error.
      const expectError = !KNOWN_OPS.has(op) || op === Opcode.COPY_FILE_RANGE_64;
      return malformed(c.req(op, c.anyKnown(), rng.bytes(rng.int(64))), { expectError });
    },
  ],
};

/** A name body for badName: missing NUL, empty, with a slash, too long, trailing bytes, "." or "..". */
function badNameBytes(c: FuzzContext): Buffer {
  const { rng } = c;
  const kind = rng.int(6);
  const raw = Buffer.from(c.randomName(), 'utf8');
  if (kind === 0) return raw;
  if (kind === 1) return Buffer.from([0]);
  if (kind === 2) return Buffer.concat([raw, Buffer.from('/x\0')]);
  if (kind === 3) return Buffer.concat([Buffer.alloc(1025 + rng.int(4000), 0x61), Buffer.from([0])]);
  if (kind === 4) return Buffer.concat([raw, Buffer.from([0]), rng.bytes(1 + rng.int(8))]);
  return cstr(rng.pick(['.', '..']));
}

/** Opcodes garbage must not reach with a real nodeid: they change the tree or the session. */
const MUTATING = [
  Opcode.DESTROY,
  Opcode.WRITE,
  Opcode.SETATTR,
  Opcode.MKDIR,
  Opcode.MKNOD,
  Opcode.CREATE,
  Opcode.SYMLINK,
  Opcode.LINK,
  Opcode.UNLINK,
  Opcode.RMDIR,
  Opcode.RENAME,
  Opcode.RENAME2,
  Opcode.SETXATTR,
  Opcode.REMOVEXATTR,
  Opcode.FORGET,
  Opcode.BATCH_FORGET,
] as number[];

const MALFORMED: Record<string, Generator> = {
  truncatedHeader: [3, (c) => malformed(c.rng.bytes(c.rng.int(InHeader.size)))],
  lenMismatch: [
    4,
    (c) => {
      const m = c.req(Opcode.GETATTR, c.anyKnown(), plainGetattr());
      const len = c.rng.pick([0, 1, 39, 40, m.length - 1, m.length + 1, m.length * 2, 0xffff_ffff, c.rng.u32()]);
      m.writeUInt32LE(len === m.length ? len + 8 : len, 0);
      return malformed(m);
    },
  ],
  shortArgs: [
    4,
    (c) => {
      const [op, size] = c.rng.pick<[number, number]>([
        [Opcode.GETATTR, 16],
        [Opcode.OPEN, 8],
        [Opcode.READ, 40],
        [Opcode.WRITE, 40],
        [Opcode.RELEASE, 24],
        [Opcode.SETATTR, 88],
        [Opcode.GETXATTR, 8],
        [Opcode.FORGET, 8],
        [Opcode.INIT, 16],
        [Opcode.LSEEK, 24],
        [Opcode.GETLK, 48],
        [Opcode.ACCESS, 8],
        [Opcode.BATCH_FORGET, 8],
        [Opcode.INTERRUPT, 8],
      ]);
      const nodeid = op === Opcode.INIT || op === Opcode.BATCH_FORGET ? 0 : c.anyKnown();
      return malformed(c.req(op, nodeid, c.rng.bytes(c.rng.int(size))));
    },
  ],
  badName: [
    6,
    (c) => {
      const op = c.rng.pick([
        Opcode.LOOKUP,
        Opcode.LOOKUP,
        Opcode.UNLINK,
        Opcode.RMDIR,
        Opcode.MKDIR,
        Opcode.CREATE,
        Opcode.GETXATTR,
        Opcode.SYMLINK,
        Opcode.RENAME,
      ]);
      const name = badNameBytes(c);
      const prefix =
        op === Opcode.MKDIR
          ? MkdirIn.encode({ mode: 0o755, umask: 0 })
          : op === Opcode.CREATE
            ? CreateIn.encode({ flags: 0, mode: REGULAR, umask: 0, openFlags: 0 })
            : op === Opcode.GETXATTR
              ? GetxattrIn.encode({ size: 64, padding: 0 })
              : op === Opcode.RENAME
                ? RenameIn.encode({ newdir: FUSE_ROOT_ID })
                : Buffer.alloc(0);
      const mutating = op !== Opcode.LOOKUP && op !== Opcode.GETXATTR;
      // Mutating ops go to a bogus parent: even a lenient decoder must not change the real tree.
      const parent = mutating ? c.bogusNodeid() : c.aDir();
      return malformed(c.req(op, parent, Buffer.concat([prefix, name])), { size: 64 });
    },
  ],
  extlenPastEnd: [
    2,
    (c) => malformed(c.req(Opcode.GETATTR, c.anyKnown(), plainGetattr(), { totalExtlen: 1 + c.rng.int(0xffff) })),
  ],
  nodeidZero: [
    2,
    (c) => {
      const op = c.rng.pick([Opcode.GETATTR, Opcode.LOOKUP, Opcode.OPEN, c.ch.profile.getFmapOpcode]);
      const body = c.rng.pick([plainGetattr(), cstr('x'), openIn(0), Buffer.alloc(0)]);
      return malformed(c.req(op, 0, body));
    },
  ],
  garbageBody: [
    4,
    (c) => {
      const op = c.rng.pick([...KNOWN_OPS].filter((o) => !MUTATING.includes(o)));
      return malformed(c.req(op, op === Opcode.INIT ? 0 : c.anyKnown(), c.rng.bytes(c.rng.int(300))), { size: 0 });
    },
  ],
  garbageMutating: [
    2,
    (c) => {
      const op = c.rng.pick([
        Opcode.WRITE,
        Opcode.SETATTR,
        Opcode.MKDIR,
        Opcode.CREATE,
        Opcode.UNLINK,
        Opcode.RENAME,
        Opcode.SETXATTR,
        Opcode.REMOVEXATTR,
      ]);
      return malformed(c.req(op, c.bogusNodeid(), c.rng.bytes(c.rng.int(300))));
    },
  ],
  writeSizeMismatch: [
    2,
    (c) => {
      const f = c.aFile();
      const data = c.rng.bytes(c.rng.int(64));
      const size = c.rng.pick([data.length + 1, data.length + 4096, 0xffff_ffff]);
      return malformed(c.req(Opcode.WRITE, f ? f.nodeid : c.anyKnown(), Buffer.concat([writeIn(0, 0, size, 0), data])));
    },
  ],
  batchForgetOverflow: [
    1,
    (c) => {
      const head = BatchForgetIn.encode({ count: c.rng.pick([1, 100, 0xffff_ffff]), dummy: 0 });
      return malformed(c.req(Opcode.BATCH_FORGET, 0, Buffer.concat([head, c.rng.bytes(c.rng.int(16))])));
    },
  ],
  famfsWithBody: [
    2,
    (c) => {
      const { profile } = c.ch;
      const f = c.aFile();
      const op = c.rng.chance(0.5) ? profile.getFmapOpcode : profile.getDaxdevOpcode;
      const nodeid = op === profile.getFmapOpcode ? (f ? f.nodeid : c.anyKnown()) : 0;
      return malformed(c.req(op, nodeid, c.rng.bytes(1 + c.rng.int(32))));
    },
  ],
  setattrModeBogus: [
    1,
    (c) => {
      const b = Buffer.alloc(SetattrIn.size);
      SetattrIn.set(b, 'valid', FATTR_MODE);
      SetattrIn.set(b, 'mode', 0o777);
      return refused(c.req(Opcode.SETATTR, c.bogusNodeid(), b));
    },
  ],
};

/** Only where the profile sizes GET_FMAP replies: every buffer size, the header-only answer and the retry. */
const SIZED: Record<string, Generator> = {
  getFmapSized: [
    4,
    (c) => {
      const f = c.aFile();
      const op = c.ch.profile.getFmapOpcode;
      const size = c.rng.pick([0, 8, 31, 32, 33, 56, 4095, 4096, 4097, 65536, 16 << 20, 0xffff_ffff]);
      const m = c.req(op, f ? f.nodeid : c.anyKnown(), c.fmapBody(size));
      // A buffer that cannot hold the fmap header is one no kernel offers.
      if (size < 32) return malformed(m);
      return sent(m, { size, check: f ? fmapCheck(c.ch.profile, c.ch.result.famfs, f.path, size) : undefined });
    },
  ],
};

/** Every generator, in the order weighted picks walk them. */
export const GENERATORS: Readonly<Record<string, Generator>> = {
  ...NAMES,
  ...OPENS,
  ...READS,
  ...FAMFS,
  ...QUERIES,
  ...MUTATIONS,
  ...CONTROL,
  ...MALFORMED,
  ...SIZED,
};

export const GENERATOR_WEIGHTS: Readonly<Record<string, number>> = Object.fromEntries(
  Object.entries(GENERATORS).map(([k, [w]]) => [k, w]),
);

/**
 * The weights a run under `profile` picks by: the sized generators only where the profile sizes
 * GET_FMAP, so a run of another profile draws exactly as it did before they existed.
 */
export function generatorWeights(profile: AbiProfile): Readonly<Record<string, number>> {
  if (profile.fmapSizing) return GENERATOR_WEIGHTS;
  return Object.fromEntries(Object.entries(GENERATOR_WEIGHTS).filter(([k]) => !(k in SIZED)));
}
