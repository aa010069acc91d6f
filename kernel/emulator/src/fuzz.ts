/**
 * fuzzSession: sends a seeded stream of random and malformed requests to a daemon session and
 * checks every answer the way the kernel would: exactly one well-formed reply with the request's
 * unique (payload of the size the opcode allows), none where the protocol has none (FORGET,
 * BATCH_FORGET, a header too short to carry a unique), at most one header-only error for
 * INTERRUPT. Requests that must fail (bogus nodeids, GET_FMAP of a directory, a daxdev index past
 * the table, a second INIT, unknown opcodes, size changes of famfs files) are checked to fail.
 *
 * Before the run it takes a baseline of the tree (names, attributes, GET_FMAP blobs, the first
 * bytes of each file); during the run it interleaves probes (fresh path walks); afterwards it
 * takes the baseline again and reports every difference. Mutating requests (MKDIR, UNLINK,
 * RENAME, well-formed WRITE inside a file...) are only sent against nodeids that do not exist, or
 * malformed, so a correct daemon's state is unchanged by the run.
 */
import {
  AbiProfile,
  AccessIn,
  AttrOut,
  BatchForgetIn,
  CreateIn,
  DaxdevOut,
  DAXDEV_NAME_MAX,
  DEFAULT_PROFILE,
  Dirent,
  direntSize,
  EntryOut,
  Errno,
  errnoName,
  FATTR_SIZE,
  FATTR_MODE,
  FlushIn,
  ForgetIn,
  ForgetOne,
  FsyncIn,
  FUSE_INIT_EXT,
  FUSE_ROOT_ID,
  GetattrIn,
  GetxattrIn,
  initFlag,
  InitIn,
  InHeader,
  InterruptIn,
  LinkIn,
  LkIn,
  LseekIn,
  MkdirIn,
  MknodIn,
  Opcode,
  OpenIn,
  OpenOut,
  profileByName,
  ReadIn,
  ReleaseIn,
  RenameIn,
  S_IFDIR,
  S_IFMT,
  S_IFREG,
  SetattrIn,
  StatxIn,
  WriteIn,
  WriteOut,
} from '@famfs/fuse';
import { FmapRejected, parseFmap } from './fmap';
import { KERNEL_OFFER } from './init';
import { Prng } from './prng';
import { buildRequest, cstr, DaemonLink, linkTo, opName, parseReply, payloadProblem, payloadRule, SessionLike } from './wire';

export interface FuzzOptions {
  count: number;
  seed: number;
  /** ABI profile the session uses (default v10). */
  profile?: AbiProfile | string;
  /** Send INIT first: 'auto' (default) does so unless the target has already negotiated. */
  init?: boolean | 'auto';
  /** Offer FUSE_DAX_FMAP in that INIT (default true). */
  offerFamfs?: boolean;
  /** A probe (fresh path walk compared with the baseline) every this many requests (default 50; 0: none). */
  probeEvery?: number;
  /** How many violation messages to keep (default 50; all are counted). */
  keepViolations?: number;
  /** Also send sizes no kernel sends (READ/READDIR/GETXATTR sizes up to 4 GiB - 1). Default false. */
  hostileSizes?: boolean;
  /** Limits of the baseline walk. */
  maxBaselineEntries?: number;
}

export type FuzzOutcome = 'ok' | 'error' | 'noReply' | 'dropped' | 'undelivered' | 'violation';

export interface FuzzResult {
  seed: number;
  sent: number;
  /** Per outcome: ok / error replies, expected silence, malformed requests dropped without a reply, violations. */
  outcomes: Record<FuzzOutcome, number>;
  /** Error replies per errno name. */
  errnos: Record<string, number>;
  /** Requests per generator. */
  generators: Record<string, number>;
  violationCount: number;
  violations: string[];
  probes: { sent: number; failed: number };
  baseline: { entries: number; mismatches: string[] };
  /** Whether the session had famfs negotiated (from our INIT, or assumed when the target was already up). */
  famfs: boolean;
}

interface KnownEntry {
  path: string;
  nodeid: number;
  mode: number;
  size: number;
  parent: number;
  name: string;
}

interface Gen {
  msg: Buffer;
  /** A request a kernel could send: it must be answered (or not, per opcode). */
  wellFormed: boolean;
  /** A success reply is a violation. */
  expectError?: boolean;
  /** Extra size info for the payload rule (READ, READDIR, xattr sizes). */
  size?: number;
  /** Extra check on a success payload; returns a violation or undefined. */
  check?: (payload: Buffer) => string | undefined;
  /** Called with a success payload (to learn fhs, nodeids). */
  learn?: (payload: Buffer) => void;
}

const O_RDONLY = 0;
const O_WRONLY = 1;
const O_RDWR = 2;
const O_TRUNC = 0o1000;
const NO_REPLY_OPS = new Set<number>([Opcode.FORGET, Opcode.BATCH_FORGET]);
const KNOWN_OPS = new Set<number>(Object.values(Opcode));
const MAX_PAGE_READ = 256 * 4096;

/** Compact description of a reply for baseline comparisons. */
function describe(error: number, payload: Buffer, what: 'attr' | 'entry' | 'raw'): string {
  if (error !== 0) return errnoName(-error);
  if (what === 'raw') return `${payload.length}:${payload.toString('hex')}`;
  const a = what === 'attr' ? AttrOut.decode(payload).attr : EntryOut.decode(payload).attr;
  const isFile = (a.mode & S_IFMT) === S_IFREG;
  // Times move (atime of shadow files), inode numbers may be reissued, directory link counts follow mkdirs.
  return `mode=0${a.mode.toString(8)} size=${a.size} uid=${a.uid} gid=${a.gid}${isFile ? ` nlink=${a.nlink}` : ''}`;
}

export function fuzzSession(target: SessionLike | DaemonLink, options: FuzzOptions): FuzzResult {
  const profile = typeof options.profile === 'string' ? profileByName(options.profile) : (options.profile ?? DEFAULT_PROFILE);
  const link = linkTo(target);
  const rng = new Prng(options.seed);
  const keep = options.keepViolations ?? 50;
  const result: FuzzResult = {
    seed: options.seed,
    sent: 0,
    outcomes: { ok: 0, error: 0, noReply: 0, dropped: 0, undelivered: 0, violation: 0 },
    errnos: {},
    generators: {},
    violationCount: 0,
    violations: [],
    probes: { sent: 0, failed: 0 },
    baseline: { entries: 0, mismatches: [] },
    famfs: false,
  };
  const violation = (text: string): void => {
    result.violationCount++;
    result.outcomes.violation++;
    if (result.violations.length < keep) result.violations.push(text);
  };

  let unique = 1n << 40n;
  const nextUnique = (): bigint => {
    unique += 2n;
    return unique;
  };

  /** One well-formed request used by the baseline and probes; returns error and payload, or null after a violation. */
  const call = (opcode: number, nodeid: number | bigint, body: Buffer = Buffer.alloc(0), size?: number): { error: number; payload: Buffer } | null => {
    const u = nextUnique();
    let x;
    try {
      x = link.exchange(buildRequest({ opcode, unique: u, nodeid, pid: 4242 }, body));
    } catch (e) {
      violation(`${opName(opcode, profile)} (baseline/probe): daemon threw ${(e as Error).message}`);
      return null;
    }
    if (NO_REPLY_OPS.has(opcode)) {
      if (x.replies.length) violation(`${opName(opcode, profile)}: reply to a request that gets none`);
      return { error: 0, payload: Buffer.alloc(0) };
    }
    if (x.refused.length || x.replies.length !== 1) {
      violation(`${opName(opcode, profile)} nodeid ${nodeid} (baseline/probe): ${x.replies.length} replies, refused: ${x.refused.map((r) => r.message).join('; ')}`);
      return null;
    }
    const r = parseReply(x.replies[0]);
    if (typeof r === 'string' || r.unique !== u) {
      violation(`${opName(opcode, profile)} nodeid ${nodeid} (baseline/probe): ${typeof r === 'string' ? r : `unique ${r.unique} for ${u}`}`);
      return null;
    }
    if (r.error === 0) {
      const p = payloadProblem(payloadRule(opcode, profile, { size }), r.payload.length);
      if (p) {
        violation(`${opName(opcode, profile)} nodeid ${nodeid} (baseline/probe): ${p}`);
        return null;
      }
    }
    return { error: r.error, payload: r.payload };
  };

  // --- INIT -----------------------------------------------------------------------------------
  const famfsBit = initFlag(profile.initFlagBit);
  const wantInit = options.init ?? 'auto';
  const already = (target as { negotiated?: unknown }).negotiated;
  if (wantInit === true || (wantInit === 'auto' && !already)) {
    let offered = (KERNEL_OFFER & ~famfsBit) | FUSE_INIT_EXT;
    if (options.offerFamfs ?? true) offered |= famfsBit;
    const r = call(
      Opcode.INIT,
      0,
      InitIn.encode({ major: 7, minor: 45, maxReadahead: 131072, flags: Number(offered & 0xffffffffn), flags2: Number(offered >> 32n), unused: Buffer.alloc(0) }),
    );
    if (r && r.error === 0 && r.payload.length >= 36) {
      const flags = r.payload.readUInt32LE(12);
      const flags2 = flags & (1 << 30) ? r.payload.readUInt32LE(32) : 0;
      result.famfs = ((BigInt(flags2) << 32n) & famfsBit) !== 0n && (options.offerFamfs ?? true);
    }
  } else {
    const n = already as { famfs?: boolean } | undefined;
    result.famfs = n?.famfs ?? false;
  }

  // --- baseline -------------------------------------------------------------------------------
  const maxEntries = options.maxBaselineEntries ?? 200;
  const lookups = new Map<number, number>();
  const noteLookup = (nodeid: number): void => void lookups.set(nodeid, (lookups.get(nodeid) ?? 0) + 1);

  const listDir = (nodeid: number): string[] => {
    const o = call(Opcode.OPENDIR, nodeid, OpenIn.encode({ flags: O_RDONLY, openFlags: 0 }));
    const fh = o && o.error === 0 ? OpenOut.decode(o.payload).fh : 0;
    const names: string[] = [];
    let offset = 0;
    for (let round = 0; round < 64 && names.length < maxEntries; round++) {
      const r = call(Opcode.READDIR, nodeid, ReadIn.encode({ fh, offset, size: 4096, readFlags: 0, lockOwner: 0n, flags: 0, padding: 0 }), 4096);
      if (!r || r.error !== 0 || r.payload.length === 0) break;
      let at = 0;
      let moved = false;
      while (at + Dirent.size <= r.payload.length) {
        const d = Dirent.decode(r.payload, at);
        const rec = direntSize(d.namelen);
        if (d.namelen < 1 || at + rec > r.payload.length) break;
        const name = r.payload.toString('utf8', at + Dirent.size, at + Dirent.size + d.namelen);
        if (name !== '.' && name !== '..') names.push(name);
        if (d.off !== offset) moved = true;
        offset = d.off;
        at += rec;
      }
      if (!moved) break;
    }
    if (o && o.error === 0) call(Opcode.RELEASEDIR, nodeid, ReleaseIn.encode({ fh, flags: O_RDONLY, releaseFlags: 0, lockOwner: 0n }));
    return names;
  };

  const takeBaseline = (): { entries: KnownEntry[]; facts: Map<string, string> } => {
    const entries: KnownEntry[] = [];
    const facts = new Map<string, string>();
    const root = call(Opcode.GETATTR, FUSE_ROOT_ID, GetattrIn.encode({ getattrFlags: 0, dummy: 0, fh: 0 }));
    facts.set('/ getattr', root ? describe(root.error, root.payload, 'attr') : 'violation');
    const x = call(Opcode.GETXATTR, FUSE_ROOT_ID, Buffer.concat([GetxattrIn.encode({ size: 4096, padding: 0 }), cstr('user.famfs.shadow')]), 4096);
    facts.set('/ xattr user.famfs.shadow', x ? describe(x.error, x.payload, 'raw') : 'violation');
    const queue: { nodeid: number; path: string; depth: number }[] = [{ nodeid: FUSE_ROOT_ID, path: '', depth: 0 }];
    while (queue.length && entries.length < maxEntries) {
      const dir = queue.shift()!;
      for (const name of listDir(dir.nodeid).sort()) {
        if (entries.length >= maxEntries) break;
        const path = `${dir.path}/${name}`;
        const l = call(Opcode.LOOKUP, dir.nodeid, cstr(name));
        if (!l) continue;
        facts.set(`${path} lookup`, describe(l.error, l.payload, 'entry'));
        if (l.error !== 0) continue;
        const e = EntryOut.decode(l.payload);
        if (e.nodeid === 0) continue;
        noteLookup(e.nodeid);
        entries.push({ path, nodeid: e.nodeid, mode: e.attr.mode, size: e.attr.size, parent: dir.nodeid, name });
        const g = call(Opcode.GETATTR, e.nodeid, GetattrIn.encode({ getattrFlags: 0, dummy: 0, fh: 0 }));
        facts.set(`${path} getattr`, g ? describe(g.error, g.payload, 'attr') : 'violation');
        const type = e.attr.mode & S_IFMT;
        if (type === S_IFDIR && dir.depth < 8) queue.push({ nodeid: e.nodeid, path, depth: dir.depth + 1 });
        if (type === S_IFREG) {
          const f = call(profile.getFmapOpcode, e.nodeid);
          facts.set(`${path} fmap`, f ? describe(f.error, f.payload, 'raw') : 'violation');
          const o = call(Opcode.OPEN, e.nodeid, OpenIn.encode({ flags: O_RDONLY, openFlags: 0 }));
          facts.set(`${path} open`, o ? (o.error ? errnoName(-o.error) : 'ok') : 'violation');
          if (o && o.error === 0) {
            const fh = OpenOut.decode(o.payload).fh;
            const rd = call(Opcode.READ, e.nodeid, ReadIn.encode({ fh, offset: 0, size: 4096, readFlags: 0, lockOwner: 0n, flags: 0, padding: 0 }), 4096);
            facts.set(`${path} read`, rd ? describe(rd.error, rd.payload, 'raw') : 'violation');
            call(Opcode.RELEASE, e.nodeid, ReleaseIn.encode({ fh, flags: O_RDONLY, releaseFlags: 0, lockOwner: 0n }));
          }
        }
      }
    }
    return { entries, facts };
  };

  const before = takeBaseline();
  const known = before.entries;
  result.baseline.entries = known.length;
  const files = known.filter((e) => (e.mode & S_IFMT) === S_IFREG);
  const dirs = [FUSE_ROOT_ID, ...known.filter((e) => (e.mode & S_IFMT) === S_IFDIR).map((e) => e.nodeid)];
  const fhs: { nodeid: number; fh: number; dir: boolean }[] = [];

  // --- value pickers ---------------------------------------------------------------------------
  const bogusNodeid = (): bigint => rng.pick([0xdead_beefn, 1n << 40n, (1n << 53n) - 1n, (1n << 64n) - 1n, BigInt(0x7000_0000 + rng.int(0x1000_0000)) << 20n, rng.u64() | (1n << 60n)]);
  const anyKnown = (): number => (known.length && rng.chance(0.8) ? rng.pick(known).nodeid : FUSE_ROOT_ID);
  const aFile = (): KnownEntry | undefined => (files.length ? rng.pick(files) : undefined);
  const aDir = (): number => rng.pick(dirs);
  const sizeFor = (max = MAX_PAGE_READ): number => {
    if (options.hostileSizes && rng.chance(0.1)) return rng.pick([0xffff_ffff, 0x7fff_ffff, 0x8000_0000]);
    return rng.pick([0, 1, 7, 4095, 4096, 4097, 65536, 131072, max, rng.int(max + 1)]);
  };
  const bigOffset = (): number => rng.pick([0, 1, 4096, 2 * 1024 * 1024 - 1, 2 ** 31, 2 ** 32, 2 ** 52, Number.MAX_SAFE_INTEGER, rng.int(1 << 30)]);
  const randomName = (): string => {
    const n = 1 + rng.int(40);
    let s = '';
    for (let i = 0; i < n; i++) s += String.fromCharCode(rng.pick([0x41 + rng.int(26), 0x61 + rng.int(26), 0x30 + rng.int(10), 0x2e, 0x2d, 0x5f, 0xe9, 0x4e2d]));
    return s === '.' || s === '..' ? `${s}x` : s;
  };
  const fhFor = (nodeid: number): number => {
    const mine = fhs.filter((f) => f.nodeid === nodeid && !f.dir);
    return mine.length && rng.chance(0.7) ? rng.pick(mine).fh : rng.pick([0, 1, 0xffff_ffff, Number.MAX_SAFE_INTEGER, rng.int(1000)]);
  };
  const read = (opcode: number, nodeid: number | bigint, fh: number, offset: number, size: number): Buffer =>
    buildRequest({ opcode, unique: nextUnique(), nodeid }, ReadIn.encode({ fh, offset, size, readFlags: 0, lockOwner: 0n, flags: 0, padding: 0 }));
  const req = (opcode: number, nodeid: number | bigint, body: Buffer = Buffer.alloc(0), extra: { len?: number; totalExtlen?: number; uid?: number } = {}): Buffer =>
    buildRequest({ opcode, unique: nextUnique(), nodeid, uid: extra.uid ?? rng.pick([0, 0, 1000, 0xffff_ffff]), gid: 0, pid: 1 + rng.int(1 << 22), len: extra.len, totalExtlen: extra.totalExtlen }, body);

  const fmapCheck = (what: string) => (payload: Buffer): string | undefined => {
    if (!result.famfs) return undefined;
    try {
      parseFmap(payload, { maxExtents: profile.maxExtents, maxStrips: profile.maxStrips });
      return undefined;
    } catch (e) {
      if (e instanceof FmapRejected) return `GET_FMAP of ${what} returned an fmap the kernel refuses (${errnoName(e.errno)}, ${e.rule}): ${e.message}`;
      throw e;
    }
  };
  const daxdevCheck = (payload: Buffer): string | undefined => {
    const name = payload.subarray(DaxdevOut.offsetOf('name'), DaxdevOut.offsetOf('name') + DAXDEV_NAME_MAX);
    return name.indexOf(0) < 0 ? 'daxdev name not NUL-terminated within 256 bytes' : name.indexOf(0) === 0 ? 'empty daxdev name' : undefined;
  };
  const entryCheck = (payload: Buffer): string | undefined => {
    const e = EntryOut.decode(payload);
    const t = e.attr.mode & S_IFMT;
    if (e.nodeid === 0 && e.entryValid === 0 && e.entryValidNsec === 0) return 'negative entry (nodeid 0) with entry_valid 0: use ENOENT';
    if (e.nodeid !== 0 && ![0o010000, 0o020000, 0o040000, 0o060000, 0o100000, 0o120000, 0o140000].includes(t)) return `entry attr mode 0${e.attr.mode.toString(8)} has no valid type`;
    return undefined;
  };

  // --- generators ------------------------------------------------------------------------------
  const gens: Record<string, [number, () => Gen]> = {
    lookupKnown: [6, () => {
      const e = known.length ? rng.pick(known) : undefined;
      return e ? { msg: req(Opcode.LOOKUP, e.parent, cstr(e.name)), wellFormed: true, check: entryCheck, learn: (p) => noteLookup(EntryOut.decode(p).nodeid) } : { msg: req(Opcode.LOOKUP, FUSE_ROOT_ID, cstr(randomName())), wellFormed: true, check: entryCheck };
    }],
    lookupMissing: [4, () => ({ msg: req(Opcode.LOOKUP, aDir(), cstr(`zz-${randomName()}`)), wellFormed: true, check: entryCheck, learn: (p) => noteLookup(EntryOut.decode(p).nodeid) })],
    lookupInFile: [2, () => {
      const f = aFile();
      return { msg: req(Opcode.LOOKUP, f ? f.nodeid : bogusNodeid(), cstr(randomName())), wellFormed: true, expectError: true };
    }],
    lookupBogusParent: [2, () => ({ msg: req(Opcode.LOOKUP, bogusNodeid(), cstr(randomName())), wellFormed: true, expectError: true })],
    getattr: [5, () => ({ msg: req(Opcode.GETATTR, anyKnown(), GetattrIn.encode({ getattrFlags: rng.int(2), dummy: 0, fh: rng.int(100) })), wellFormed: true })],
    getattrBogus: [3, () => ({ msg: req(Opcode.GETATTR, bogusNodeid(), GetattrIn.encode({ getattrFlags: 0, dummy: 0, fh: 0 })), wellFormed: true, expectError: true })],
    open: [4, () => {
      const f = aFile();
      const nodeid = f ? f.nodeid : FUSE_ROOT_ID;
      const flags = rng.pick([O_RDONLY, O_RDONLY, O_RDWR, O_WRONLY, O_RDONLY | 0o4000, O_RDWR | 0o40000]);
      return { msg: req(Opcode.OPEN, nodeid, OpenIn.encode({ flags, openFlags: 0 })), wellFormed: true, learn: (p) => void fhs.push({ nodeid, fh: OpenOut.decode(p).fh, dir: false }) };
    }],
    openTrunc: [1, () => {
      const f = aFile();
      // O_TRUNC only reaches the daemon with ATOMIC_O_TRUNC; a famfs daemon must not truncate anything.
      return { msg: req(Opcode.OPEN, f ? f.nodeid : bogusNodeid(), OpenIn.encode({ flags: O_RDWR | O_TRUNC, openFlags: 0 })), wellFormed: true, learn: (p) => void (f && fhs.push({ nodeid: f.nodeid, fh: OpenOut.decode(p).fh, dir: false })) };
    }],
    opendir: [2, () => {
      const d = aDir();
      return { msg: req(Opcode.OPENDIR, d, OpenIn.encode({ flags: O_RDONLY, openFlags: 0 })), wellFormed: true, learn: (p) => void fhs.push({ nodeid: d, fh: OpenOut.decode(p).fh, dir: true }) };
    }],
    openBogus: [2, () => ({ msg: req(rng.pick([Opcode.OPEN, Opcode.OPENDIR]), bogusNodeid(), OpenIn.encode({ flags: O_RDONLY, openFlags: 0 })), wellFormed: true, expectError: true })],
    release: [4, () => {
      const f = fhs.length && rng.chance(0.8) ? fhs.splice(rng.int(fhs.length), 1)[0] : { nodeid: anyKnown(), fh: rng.int(1 << 30), dir: rng.chance(0.5) };
      return { msg: req(f.dir ? Opcode.RELEASEDIR : Opcode.RELEASE, f.nodeid, ReleaseIn.encode({ fh: f.fh, flags: 0, releaseFlags: rng.int(4), lockOwner: rng.u64() })), wellFormed: true };
    }],
    read: [6, () => {
      const f = aFile();
      const size = sizeFor();
      const nodeid = f ? f.nodeid : anyKnown();
      return { msg: read(Opcode.READ, nodeid, fhFor(nodeid), bigOffset(), size), wellFormed: true, size };
    }],
    readdir: [4, () => {
      const d = aDir();
      const size = sizeFor(8192);
      const op = rng.pick([Opcode.READDIR, Opcode.READDIR, Opcode.READDIRPLUS]);
      return { msg: read(op, d, rng.int(4), rng.pick([0, 1, 2, 3, rng.int(100), 2 ** 40, Number.MAX_SAFE_INTEGER]), size), wellFormed: true, size };
    }],
    readBogus: [2, () => {
      const size = sizeFor();
      return { msg: read(rng.pick([Opcode.READ, Opcode.READDIR]), bogusNodeid(), 0, 0, size), wellFormed: true, size, expectError: true };
    }],
    getFmapFile: [6, () => {
      const f = aFile();
      return f ? { msg: req(profile.getFmapOpcode, f.nodeid), wellFormed: true, check: fmapCheck(f.path) } : { msg: req(profile.getFmapOpcode, bogusNodeid()), wellFormed: true, expectError: true };
    }],
    getFmapDir: [3, () => ({ msg: req(profile.getFmapOpcode, aDir()), wellFormed: true, expectError: true })],
    getFmapBogus: [3, () => ({ msg: req(profile.getFmapOpcode, bogusNodeid()), wellFormed: true, expectError: true })],
    getDaxdev: [3, () => ({ msg: req(profile.getDaxdevOpcode, 0), wellFormed: true, check: daxdevCheck })],
    getDaxdevOther: [2, () => ({ msg: req(profile.getDaxdevOpcode, 1 + rng.int(23)), wellFormed: true, check: daxdevCheck })],
    getDaxdevBad: [3, () => ({ msg: req(profile.getDaxdevOpcode, rng.pick([24n, 25n, 31n, 32n, 64n, 0xffffn, 1n << 32n, (1n << 64n) - 1n, rng.u64()])), wellFormed: true, expectError: true })],
    statfs: [2, () => ({ msg: req(Opcode.STATFS, anyKnown()), wellFormed: true })],
    getxattr: [3, () => {
      const size = options.hostileSizes && rng.chance(0.1) ? 0xffff_ffff : rng.pick([0, 1, 8, 4096, 65536]);
      const name = rng.pick(['user.famfs.shadow', 'user.other', 'security.selinux', 'trusted.x', randomName()]);
      return { msg: req(Opcode.GETXATTR, anyKnown(), Buffer.concat([GetxattrIn.encode({ size, padding: 0 }), cstr(name)])), wellFormed: true, size };
    }],
    listxattr: [1, () => {
      const size = rng.pick([0, 1, 4096]);
      return { msg: req(Opcode.LISTXATTR, anyKnown(), GetxattrIn.encode({ size, padding: 0 })), wellFormed: true, size };
    }],
    access: [1, () => ({ msg: req(Opcode.ACCESS, anyKnown(), AccessIn.encode({ mask: rng.int(8), padding: 0 })), wellFormed: true })],
    flushFsync: [2, () => {
      const n = anyKnown();
      return rng.chance(0.5)
        ? { msg: req(Opcode.FLUSH, n, FlushIn.encode({ fh: fhFor(n), unused: 0, padding: 0, lockOwner: rng.u64() })), wellFormed: true }
        : { msg: req(rng.pick([Opcode.FSYNC, Opcode.FSYNCDIR]), n, FsyncIn.encode({ fh: fhFor(n), fsyncFlags: rng.int(2), padding: 0 })), wellFormed: true };
    }],
    statxLseekLk: [2, () => {
      const n = anyKnown();
      const which = rng.int(3);
      if (which === 0) return { msg: req(Opcode.STATX, n, StatxIn.encode({ getattrFlags: 0, reserved: 0, fh: 0, sxFlags: 0, sxMask: 0xfff })), wellFormed: true };
      if (which === 1) return { msg: req(Opcode.LSEEK, n, LseekIn.encode({ fh: fhFor(n), offset: bigOffset(), whence: rng.int(5), padding: 0 })), wellFormed: true };
      return { msg: req(Opcode.GETLK, n, LkIn.encode({ fh: fhFor(n), owner: rng.u64(), lk: { start: 0n, end: (1n << 63n) - 1n, type: rng.int(3), pid: 1 }, lkFlags: rng.int(2), padding: 0 })), wellFormed: true };
    }],
    setattrSize: [3, () => {
      const f = aFile();
      if (!f) return { msg: req(Opcode.SETATTR, bogusNodeid(), Buffer.alloc(SetattrIn.size)), wellFormed: true, expectError: true };
      const size = rng.pick([0, 1, f.size + 1, f.size + 2 * 1024 * 1024, 2 ** 40, Number.MAX_SAFE_INTEGER, Math.max(0, f.size - 1)]);
      const b = Buffer.alloc(SetattrIn.size);
      SetattrIn.set(b, 'valid', FATTR_SIZE);
      SetattrIn.set(b, 'size', size);
      // Changing the size of a famfs file must be refused (§1.9); a daemon without SETATTR says ENOSYS.
      return { msg: req(Opcode.SETATTR, f.nodeid, b), wellFormed: true, expectError: size !== f.size };
    }],
    setattrNoop: [1, () => ({ msg: req(Opcode.SETATTR, anyKnown(), Buffer.alloc(SetattrIn.size)), wellFormed: true })],
    writePastEof: [2, () => {
      const f = aFile();
      const nodeid = f ? f.nodeid : bogusNodeid();
      const data = rng.bytes(rng.pick([1, 100, 4096]));
      const offset = f ? f.size + rng.pick([0, 1, 4096, 2 ** 30]) : 0;
      const body = Buffer.concat([WriteIn.encode({ fh: typeof nodeid === 'number' ? fhFor(nodeid) : 0, offset, size: data.length, writeFlags: 0, lockOwner: 0n, flags: O_RDWR, padding: 0 }), data]);
      return { msg: req(Opcode.WRITE, nodeid, body), wellFormed: true, expectError: !f, check: (p) => (WriteOut.decode(p).size > 0 ? `WRITE at/after EOF (offset ${offset}, size ${f?.size}) wrote ${WriteOut.decode(p).size} bytes: files must never grow` : undefined) };
    }],
    mutateBogus: [4, () => {
      const n = bogusNodeid();
      const name = cstr(randomName());
      const op = rng.int(10);
      const bodies: [number, Buffer][] = [
        [Opcode.MKDIR, Buffer.concat([MkdirIn.encode({ mode: 0o755, umask: 0o22 }), name])],
        [Opcode.MKNOD, Buffer.concat([MknodIn.encode({ mode: S_IFREG | 0o644, rdev: 0, umask: 0, padding: 0 }), name])],
        [Opcode.CREATE, Buffer.concat([CreateIn.encode({ flags: O_RDWR, mode: S_IFREG | 0o644, umask: 0, openFlags: 0 }), name])],
        [Opcode.SYMLINK, Buffer.concat([name, cstr('/etc/passwd')])],
        [Opcode.UNLINK, name],
        [Opcode.RMDIR, name],
        [Opcode.RENAME, Buffer.concat([RenameIn.encode({ newdir: FUSE_ROOT_ID }), name, cstr(randomName())])],
        [Opcode.LINK, Buffer.concat([LinkIn.encode({ oldnodeid: anyKnown() }), name])],
        [Opcode.SETXATTR, Buffer.concat([Buffer.from([3, 0, 0, 0, 0, 0, 0, 0]), cstr('user.x'), Buffer.from('abc')])],
        [Opcode.REMOVEXATTR, cstr('user.famfs.shadow')],
      ];
      const [opcode, body] = bodies[op];
      return { msg: req(opcode, n, body), wellFormed: opcode !== Opcode.SETXATTR, expectError: true };
    }],
    writeBogus: [1, () => {
      const data = rng.bytes(64);
      return { msg: req(Opcode.WRITE, rng.chance(0.5) ? bogusNodeid() : aDir(), Buffer.concat([WriteIn.encode({ fh: 0, offset: 0, size: 64, writeFlags: 0, lockOwner: 0n, flags: O_RDWR, padding: 0 }), data])), wellFormed: true, expectError: true };
    }],
    forgetBogus: [3, () => ({ msg: req(Opcode.FORGET, bogusNodeid(), ForgetIn.encode({ nlookup: rng.pick([1, 2, 1000, Number.MAX_SAFE_INTEGER]) })), wellFormed: true })],
    forgetRoot: [1, () => ({ msg: req(Opcode.FORGET, FUSE_ROOT_ID, ForgetIn.encode({ nlookup: rng.pick([1, Number.MAX_SAFE_INTEGER]) })), wellFormed: true })],
    forgetMine: [2, () => {
      // Gives back lookup references this fuzzer took, never more.
      const mine = [...lookups].filter(([, n]) => n > 1);
      if (!mine.length) return { msg: req(Opcode.FORGET, bogusNodeid(), ForgetIn.encode({ nlookup: 1 })), wellFormed: true };
      const [nodeid, n] = rng.pick(mine);
      const give = 1 + rng.int(n - 1);
      lookups.set(nodeid, n - give);
      return { msg: req(Opcode.FORGET, nodeid, ForgetIn.encode({ nlookup: give })), wellFormed: true };
    }],
    batchForget: [2, () => {
      const count = rng.int(5);
      const parts = [BatchForgetIn.encode({ count, dummy: 0 })];
      for (let i = 0; i < count; i++) {
        const one = Buffer.alloc(ForgetOne.size);
        one.writeBigUInt64LE(rng.chance(0.2) ? 0n : BigInt.asUintN(64, bogusNodeid()), 0);
        one.writeBigUInt64LE(BigInt(1 + rng.int(100)), 8);
        parts.push(one);
      }
      return { msg: req(Opcode.BATCH_FORGET, 0, Buffer.concat(parts)), wellFormed: true };
    }],
    interrupt: [1, () => ({ msg: buildRequest({ opcode: Opcode.INTERRUPT, unique: nextUnique() | 1n, nodeid: 0 }, InterruptIn.encode({ unique: rng.chance(0.5) ? unique - 2n : rng.u64() })), wellFormed: true })],
    initAgain: [1, () => ({ msg: req(Opcode.INIT, 0, InitIn.encode({ major: 7, minor: 45, maxReadahead: 0, flags: rng.u32(), flags2: rng.u32(), unused: Buffer.alloc(0) })), wellFormed: true, expectError: true })],
    unknownOpcode: [3, () => {
      let op = rng.pick([0, 7, 19, 37, 39, 40, 41, 53, 56, 57, 99, 4096, 0xffff_ffff, rng.u32()]);
      if (op === profile.getFmapOpcode || op === profile.getDaxdevOpcode || (KNOWN_OPS.has(op) && op !== Opcode.COPY_FILE_RANGE_64)) op = 1000 + rng.int(1000);
      // Opcodes no kernel sends (or the other profile's famfs opcodes) must get an error.
      return { msg: req(op, anyKnown(), rng.bytes(rng.int(64))), wellFormed: false, expectError: !KNOWN_OPS.has(op) || op === Opcode.COPY_FILE_RANGE_64 };
    }],

    // ---- malformed -----------------------------------------------------------------------------
    truncatedHeader: [3, () => ({ msg: rng.bytes(rng.int(InHeader.size)), wellFormed: false })],
    lenMismatch: [4, () => {
      const m = req(Opcode.GETATTR, anyKnown(), GetattrIn.encode({ getattrFlags: 0, dummy: 0, fh: 0 }));
      const len = rng.pick([0, 1, 39, 40, m.length - 1, m.length + 1, m.length * 2, 0xffff_ffff, rng.u32()]);
      m.writeUInt32LE(len === m.length ? len + 8 : len, 0);
      return { msg: m, wellFormed: false };
    }],
    shortArgs: [4, () => {
      const [op, size] = rng.pick<[number, number]>([[Opcode.GETATTR, 16], [Opcode.OPEN, 8], [Opcode.READ, 40], [Opcode.WRITE, 40], [Opcode.RELEASE, 24], [Opcode.SETATTR, 88], [Opcode.GETXATTR, 8], [Opcode.FORGET, 8], [Opcode.INIT, 16], [Opcode.LSEEK, 24], [Opcode.GETLK, 48], [Opcode.ACCESS, 8], [Opcode.BATCH_FORGET, 8], [Opcode.INTERRUPT, 8]]);
      return { msg: req(op, op === Opcode.INIT || op === Opcode.BATCH_FORGET ? 0 : anyKnown(), rng.bytes(rng.int(size))), wellFormed: false };
    }],
    badName: [6, () => {
      const op = rng.pick([Opcode.LOOKUP, Opcode.LOOKUP, Opcode.UNLINK, Opcode.RMDIR, Opcode.MKDIR, Opcode.CREATE, Opcode.GETXATTR, Opcode.SYMLINK, Opcode.RENAME]);
      const kind = rng.int(6);
      const raw = Buffer.from(randomName(), 'utf8');
      const name =
        kind === 0 ? raw // no NUL
        : kind === 1 ? Buffer.from([0]) // empty
        : kind === 2 ? Buffer.concat([raw, Buffer.from('/x\0')]) // slash
        : kind === 3 ? Buffer.concat([Buffer.alloc(1025 + rng.int(4000), 0x61), Buffer.from([0])]) // too long
        : kind === 4 ? Buffer.concat([raw, Buffer.from([0]), rng.bytes(1 + rng.int(8))]) // trailing bytes
        : cstr(rng.pick(['.', '..']));
      const prefix = op === Opcode.MKDIR ? MkdirIn.encode({ mode: 0o755, umask: 0 }) : op === Opcode.CREATE ? CreateIn.encode({ flags: 0, mode: S_IFREG | 0o644, umask: 0, openFlags: 0 }) : op === Opcode.GETXATTR ? GetxattrIn.encode({ size: 64, padding: 0 }) : op === Opcode.RENAME ? RenameIn.encode({ newdir: FUSE_ROOT_ID }) : Buffer.alloc(0);
      const mutating = op !== Opcode.LOOKUP && op !== Opcode.GETXATTR;
      // Mutating ops go to a bogus parent: even a lenient decoder must not change the real tree.
      return { msg: req(op, mutating ? bogusNodeid() : aDir(), Buffer.concat([prefix, name])), wellFormed: false, size: 64 };
    }],
    extlenPastEnd: [2, () => ({ msg: req(Opcode.GETATTR, anyKnown(), GetattrIn.encode({ getattrFlags: 0, dummy: 0, fh: 0 }), { totalExtlen: 1 + rng.int(0xffff) }), wellFormed: false })],
    nodeidZero: [2, () => ({ msg: req(rng.pick([Opcode.GETATTR, Opcode.LOOKUP, Opcode.OPEN, profile.getFmapOpcode]), 0, rng.pick([GetattrIn.encode({ getattrFlags: 0, dummy: 0, fh: 0 }), cstr('x'), OpenIn.encode({ flags: 0, openFlags: 0 }), Buffer.alloc(0)])), wellFormed: false })],
    garbageBody: [4, () => {
      const op = rng.pick([...KNOWN_OPS].filter((o) => ![Opcode.DESTROY, Opcode.WRITE, Opcode.SETATTR, Opcode.MKDIR, Opcode.MKNOD, Opcode.CREATE, Opcode.SYMLINK, Opcode.LINK, Opcode.UNLINK, Opcode.RMDIR, Opcode.RENAME, Opcode.RENAME2, Opcode.SETXATTR, Opcode.REMOVEXATTR, Opcode.FORGET, Opcode.BATCH_FORGET].includes(o as never)));
      return { msg: req(op, op === Opcode.INIT ? 0 : anyKnown(), rng.bytes(rng.int(300))), wellFormed: false, size: 0 };
    }],
    garbageMutating: [2, () => {
      const op = rng.pick([Opcode.WRITE, Opcode.SETATTR, Opcode.MKDIR, Opcode.CREATE, Opcode.UNLINK, Opcode.RENAME, Opcode.SETXATTR, Opcode.REMOVEXATTR]);
      return { msg: req(op, bogusNodeid(), rng.bytes(rng.int(300))), wellFormed: false };
    }],
    writeSizeMismatch: [2, () => {
      const f = aFile();
      const data = rng.bytes(rng.int(64));
      const size = rng.pick([data.length + 1, data.length + 4096, 0xffff_ffff]);
      return { msg: req(Opcode.WRITE, f ? f.nodeid : anyKnown(), Buffer.concat([WriteIn.encode({ fh: 0, offset: 0, size, writeFlags: 0, lockOwner: 0n, flags: 0, padding: 0 }), data])), wellFormed: false };
    }],
    batchForgetOverflow: [1, () => ({ msg: req(Opcode.BATCH_FORGET, 0, Buffer.concat([BatchForgetIn.encode({ count: rng.pick([1, 100, 0xffff_ffff]), dummy: 0 }), rng.bytes(rng.int(16))])), wellFormed: false })],
    famfsWithBody: [2, () => {
      const f = aFile();
      const op = rng.chance(0.5) ? profile.getFmapOpcode : profile.getDaxdevOpcode;
      return { msg: req(op, op === profile.getFmapOpcode ? (f ? f.nodeid : anyKnown()) : 0, rng.bytes(1 + rng.int(32))), wellFormed: false };
    }],
    setattrModeBogus: [1, () => {
      const b = Buffer.alloc(SetattrIn.size);
      SetattrIn.set(b, 'valid', FATTR_MODE);
      SetattrIn.set(b, 'mode', 0o777);
      return { msg: req(Opcode.SETATTR, bogusNodeid(), b), wellFormed: true, expectError: true };
    }],
  };
  const weights = Object.fromEntries(Object.entries(gens).map(([k, [w]]) => [k, w])) as Record<string, number>;

  // --- the run -------------------------------------------------------------------------------
  const probeEvery = options.probeEvery ?? 50;
  const probe = (): void => {
    const f = known.length ? rng.pick(known) : undefined;
    if (!f) return;
    result.probes.sent++;
    let parent = FUSE_ROOT_ID;
    const parts = f.path.split('/').filter(Boolean);
    let last: string | undefined;
    for (const part of parts) {
      const r = call(Opcode.LOOKUP, parent, cstr(part));
      if (!r || r.error !== 0) {
        result.probes.failed++;
        violation(`probe: LOOKUP "${part}" on the way to ${f.path}: ${r ? errnoName(-r.error) : 'malformed'}`);
        return;
      }
      const e = EntryOut.decode(r.payload);
      noteLookup(e.nodeid);
      parent = e.nodeid;
      last = describe(0, r.payload, 'entry');
    }
    const want = before.facts.get(`${f.path} lookup`);
    if (last !== want) {
      result.probes.failed++;
      violation(`probe: ${f.path} now "${last}", baseline "${want}"`);
    }
  };

  for (let i = 0; i < options.count; i++) {
    if (probeEvery > 0 && i > 0 && i % probeEvery === 0) probe();
    const name = rng.weighted(weights);
    result.generators[name] = (result.generators[name] ?? 0) + 1;
    const g = gens[name][1]();
    result.sent++;
    const tag = () => `#${i} ${name} (${g.msg.length >= 8 ? opName(g.msg.readUInt32LE(4), profile) : 'no header'})`;
    let x;
    try {
      x = link.exchange(g.msg);
    } catch (e) {
      violation(`${tag()}: daemon threw: ${(e as Error).stack ?? e}`);
      continue;
    }
    if (!x.delivered) {
      result.outcomes.undelivered++;
      continue;
    }
    if (x.refused.length) {
      violation(`${tag()}: transport refused the reply: ${x.refused.map((r) => `${r.code} ${r.message}`).join('; ')}`);
      continue;
    }
    const readable = g.msg.length >= InHeader.size;
    const opcode = readable ? g.msg.readUInt32LE(4) : -1;
    const reqUnique = readable ? g.msg.readBigUInt64LE(8) : -1n;
    if (!readable || NO_REPLY_OPS.has(opcode)) {
      if (x.replies.length) violation(`${tag()}: ${x.replies.length} reply(ies) where the protocol has none`);
      else result.outcomes.noReply++;
      continue;
    }
    if (x.replies.length === 0) {
      if (opcode === Opcode.INTERRUPT) result.outcomes.noReply++;
      else if (g.wellFormed) violation(`${tag()}: no reply`);
      else result.outcomes.dropped++;
      continue;
    }
    if (x.replies.length > 1) {
      violation(`${tag()}: ${x.replies.length} replies`);
      continue;
    }
    const r = parseReply(x.replies[0]);
    if (typeof r === 'string') {
      violation(`${tag()}: ${r}`);
      continue;
    }
    if (r.unique !== reqUnique) {
      violation(`${tag()}: reply unique ${r.unique}, request unique ${reqUnique}`);
      continue;
    }
    if (r.error !== 0) {
      result.outcomes.error++;
      const n = errnoName(-r.error);
      result.errnos[n] = (result.errnos[n] ?? 0) + 1;
      continue;
    }
    if (g.expectError) {
      violation(`${tag()}: succeeded (${r.payload.length}-byte payload) where it must fail`);
      continue;
    }
    // A success reply is checked against what the opcode allows. Malformed requests of unknown shape (size unknown) are not size-checked beyond the fixed rules.
    const rule = payloadRule(opcode, profile, { size: g.size ?? (opcode === Opcode.READ || opcode === Opcode.READDIR || opcode === Opcode.READDIRPLUS ? readSize(g.msg) : xattrSize(g.msg, opcode)) });
    const problem = payloadProblem(rule, r.payload.length) ?? g.check?.(r.payload);
    if (problem) {
      violation(`${tag()}: ${problem}`);
      continue;
    }
    g.learn?.(r.payload);
    result.outcomes.ok++;
  }

  // --- afterwards: is it still the same file system? -----------------------------------------------
  const after = takeBaseline();
  for (const [k, v] of before.facts) {
    const w = after.facts.get(k);
    if (w !== v) result.baseline.mismatches.push(`${k}: before ${short(v)}, after ${short(w)}`);
  }
  for (const k of after.facts.keys()) if (!before.facts.has(k)) result.baseline.mismatches.push(`${k}: new after the run (${short(after.facts.get(k))})`);
  for (const m of result.baseline.mismatches) violation(`after the run: ${m}`);
  return result;
}

function short(s: string | undefined): string {
  if (s === undefined) return 'missing';
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** fuse_read_in.size of a READ-like message, when its args are complete. */
function readSize(msg: Buffer): number | undefined {
  return msg.length >= InHeader.size + ReadIn.size ? ReadIn.get(msg, 'size', InHeader.size) : 0;
}

function xattrSize(msg: Buffer, opcode: number): number | undefined {
  if (opcode !== Opcode.GETXATTR && opcode !== Opcode.LISTXATTR) return undefined;
  return msg.length >= InHeader.size + GetxattrIn.size ? GetxattrIn.get(msg, 'size', InHeader.size) : 0;
}

