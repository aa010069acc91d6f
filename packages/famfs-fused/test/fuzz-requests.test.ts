/**
 * Fuzz targets of the daemon's wire side (seeded; see libfamfs/test/fuzz-helpers.ts):
 *
 *  - fuse-request: decodeRequest over valid messages of every opcode, mutated (header fields,
 *    lengths, names, extension area), under every ABI profile. The oracle: a Request or a
 *    RequestError, never another exception; a decoded request keeps the promises of its type.
 *  - get-fmap: encodeFmapReply over file entries made by mutating valid ones (counts, alignment,
 *    device index, sizes, chunk sizes, unsafe numbers), under every profile. The oracle: a blob or
 *    FmapReplyError; every blob is accepted by the kernel's parser (kernel/emulator parseFmap, the
 *    §1.10 rules, simple-only for push) and decodes back to the entry's size and extents, or, where
 *    the profile made it unroll a striped file, resolves offsets as the interleave does.
 *  - famfs-ioctl: answerIoctl over IOCTL requests (the answered commands, the refused ones, any
 *    u32; restricted sizes or arbitrary ones; any flags; files with valid maps of every shape,
 *    and directories). The oracle: exactly out_size bytes to a 64-bit caller on a file asking with
 *    no input, or a FuseErrno ENOTTY, EINVAL or E2BIG; never another exception.
 */
import type { Extent, FileEntry } from '@famfs/libfamfs/format';
import { Errno } from '@famfs/fuse';
import {
  AccessIn,
  BatchForgetIn,
  CreateIn,
  FamfsFmapHeader,
  FlushIn,
  ForgetIn,
  ForgetOne,
  FsyncIn,
  FUSE_COMPAT_INIT_IN_SIZE,
  GetattrIn,
  GetxattrIn,
  InHeader,
  InterruptIn,
  LinkIn,
  LkIn,
  LseekIn,
  MkdirIn,
  MknodIn,
  Opcode,
  OpenIn,
  ReadIn,
  ReleaseIn,
  Rename2In,
  SetattrIn,
  SetxattrIn,
  StatxIn,
  WriteIn,
} from '@famfs/fuse';
import { AbiProfile, push, rfc, v10 } from '@famfs/fuse';
import { decodeRequest, Request, RequestError } from '@famfs/fuse';
import { encodeFmapReply, fmapReplySize, FmapReplyError } from '../src/famfs/fmap-reply';
import { fileOffsetToDax, fmapLimits, fmapLint, FmapRejected, parseFmap } from '../../../kernel/emulator/src/fmap';
import type { KernelFmap } from '../../../kernel/emulator/src/fmap';
import {
  fc,
  fuzz,
  fuzzTimeout,
  mutatedInputs,
  showMutated,
  showValue,
  violated,
} from '../../libfamfs/test/fuzz-helpers';
import { cstr, initMsg, msg } from './helpers';
import { ioctlMsg } from '@famfs/fuse/testing';
import { errnoName, FuseErrno } from '@famfs/fuse';
import { FUSE_IOCTL_32BIT, FUSE_IOCTL_COMPAT, FUSE_IOCTL_COMPAT_X32, FUSE_IOCTL_DIR } from '@famfs/fuse';
import type { IoctlReply, IoctlRequest } from '@famfs/fuse';
import { answerIoctl, IoctlTarget } from '../src/famfs/ioctl';
import { FamfsIoc } from '../src/famfs/ioctl-abi';

// ---------------------------------------------------------------------------------------------
// FUSE requests

const zeros = (n: number) => Buffer.alloc(n);
const cat = (...b: Buffer[]) => Buffer.concat(b);
const NODE = 2;

function writeBody(size: number, data: Buffer): Buffer {
  const b = WriteIn.encode({ fh: 1, offset: 4096, size, writeFlags: 0, lockOwner: 0n, flags: 0, padding: 0 } as never);
  return cat(b, data);
}

/** One valid message of every opcode the decoder knows, plus famfs ones of both profiles and an unknown one. */
function seedMessages(): Buffer[] {
  const u = (i: number) => 1000 + i;
  const seeds: Buffer[] = [
    initMsg(1),
    initMsg(2, 0n, 31),
    msg(Opcode.INIT, 3, 0, zeros(FUSE_COMPAT_INIT_IN_SIZE)),
    msg(Opcode.DESTROY, u(1), 0),
    msg(Opcode.LOOKUP, u(2), 1, cstr('name')),
    msg(Opcode.LOOKUP, u(3), NODE, cstr('..')),
    msg(Opcode.FORGET, u(4), NODE, zeros(ForgetIn.size)),
    (() => {
      const b = zeros(BatchForgetIn.size + 2 * ForgetOne.size);
      BatchForgetIn.set(b, 'count', 2);
      return msg(Opcode.BATCH_FORGET, u(5), 0, b);
    })(),
    msg(Opcode.GETATTR, u(6), NODE, zeros(GetattrIn.size)),
    msg(Opcode.SETATTR, u(7), NODE, zeros(SetattrIn.size)),
    msg(Opcode.READLINK, u(8), NODE),
    msg(Opcode.SYMLINK, u(9), NODE, cat(cstr('link'), cstr('../target/x'))),
    msg(Opcode.MKNOD, u(10), NODE, cat(zeros(MknodIn.size), cstr('fifo'))),
    msg(Opcode.MKDIR, u(11), NODE, cat(zeros(MkdirIn.size), cstr('dir'))),
    msg(Opcode.UNLINK, u(12), NODE, cstr('f')),
    msg(Opcode.RMDIR, u(13), NODE, cstr('d')),
    msg(Opcode.RENAME, u(14), NODE, cat(Buffer.from([3, 0, 0, 0, 0, 0, 0, 0]), cstr('old'), cstr('new'))),
    msg(
      Opcode.RENAME2,
      u(15),
      NODE,
      cat(
        Buffer.from([3, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]).subarray(0, Rename2In.size),
        cstr('old'),
        cstr('new'),
      ),
    ),
    msg(Opcode.LINK, u(16), NODE, cat(Buffer.from([5, 0, 0, 0, 0, 0, 0, 0]).subarray(0, LinkIn.size), cstr('hard'))),
    msg(Opcode.OPEN, u(17), NODE, zeros(OpenIn.size)),
    msg(Opcode.OPENDIR, u(18), NODE, zeros(OpenIn.size)),
    msg(Opcode.READ, u(19), NODE, zeros(ReadIn.size)),
    msg(Opcode.READDIR, u(20), NODE, zeros(ReadIn.size)),
    msg(Opcode.READDIRPLUS, u(21), NODE, zeros(ReadIn.size)),
    msg(Opcode.WRITE, u(22), NODE, writeBody(5, Buffer.from('hello'))),
    msg(Opcode.STATFS, u(23), NODE),
    msg(Opcode.RELEASE, u(24), NODE, zeros(ReleaseIn.size)),
    msg(Opcode.RELEASEDIR, u(25), NODE, zeros(ReleaseIn.size)),
    msg(Opcode.FSYNC, u(26), NODE, zeros(FsyncIn.size)),
    msg(Opcode.FSYNCDIR, u(27), NODE, zeros(FsyncIn.size)),
    (() => {
      const a = zeros(SetxattrIn.size);
      SetxattrIn.set(a, 'size', 3);
      return msg(Opcode.SETXATTR, u(28), NODE, cat(a, cstr('user.x'), Buffer.from('abc')));
    })(),
    (() => {
      const a = zeros(8);
      a.writeUInt32LE(3, 0);
      return msg(Opcode.SETXATTR, u(29), NODE, cat(a, cstr('user.compat'), Buffer.from('abc')));
    })(),
    msg(Opcode.GETXATTR, u(30), NODE, cat(zeros(GetxattrIn.size), cstr('user.x'))),
    msg(Opcode.LISTXATTR, u(31), NODE, zeros(GetxattrIn.size)),
    msg(Opcode.REMOVEXATTR, u(32), NODE, cstr('user.x')),
    msg(Opcode.FLUSH, u(33), NODE, zeros(FlushIn.size)),
    msg(Opcode.GETLK, u(34), NODE, zeros(LkIn.size)),
    msg(Opcode.SETLK, u(35), NODE, zeros(LkIn.size)),
    msg(Opcode.SETLKW, u(36), NODE, zeros(LkIn.size)),
    msg(Opcode.ACCESS, u(37), NODE, zeros(AccessIn.size)),
    msg(Opcode.CREATE, u(38), NODE, cat(zeros(CreateIn.size), cstr('new-file'))),
    msg(Opcode.INTERRUPT, u(39), 0, zeros(InterruptIn.size)),
    msg(Opcode.LSEEK, u(40), NODE, zeros(LseekIn.size)),
    msg(Opcode.STATX, u(41), NODE, zeros(StatxIn.size)),
    msg(v10.getFmapOpcode, u(42), NODE),
    msg(v10.getDaxdevOpcode, u(43), 0),
    msg(rfc.getFmapOpcode, u(44), NODE),
    msg(push.getFmapOpcode, u(49), NODE, GetxattrIn.encode({ size: 4096, padding: 0 })),
    msg(Opcode.COPY_FILE_RANGE, u(45), NODE, zeros(48)),
    msg(Opcode.LOOKUP, u(46), NODE, cstr('x'), { totalExtlen: 0 }),
    // With an extension area (total_extlen counts 8-byte units after the body).
    (() => {
      const body = cat(zeros(CreateIn.size), cstr('with-ext'), zeros(7));
      const b = msg(Opcode.CREATE, u(47), NODE, cat(body, zeros(16)), { totalExtlen: 2 });
      return b;
    })(),
    msg(Opcode.LOOKUP, u(48), NODE, cstr('n'.repeat(255))),
    ioctlMsg(u(49), NODE, { fh: 1, cmd: 0xc0047501, arg: 0x7ffd0000n, outSize: 4, data: Buffer.from('abcd') }),
    ioctlMsg(u(50), 1, { fh: 2, cmd: 0x81c07555, flags: 0x10, outSize: 448 }),
  ];
  return seeds;
}

/** Offsets of the header fields and the first argument words. */
const REQUEST_HOT = [...InHeader.fieldInfo.map((f) => f.offset), 40, 44, 48, 52, 56, 60, 64, 72, 80];

const NAME_TOKENS = ['/', '.', '..', '\0', 'a/b', '\0\0', 'user.', '\xff']
  .map((t) => Buffer.from(t, 'latin1'))
  .concat([
    Buffer.alloc(256, 0x6e),
    Buffer.alloc(4096, 0x74),
    Buffer.from([0xed, 0xa0, 0x80]),
    Buffer.from([0xc0, 0xae]),
  ]);

/** Sets the header's len to the message length (the kernel always does; the fuzzer usually does). */
function fixLen(b: Buffer): void {
  if (b.length >= 4) b.writeUInt32LE(b.length, 0);
}

const NO_REPLY = new Set<number>([Opcode.FORGET, Opcode.BATCH_FORGET, Opcode.INTERRUPT]);

/** Checks the promises a decoded request makes to the file system. */
function checkRequest(r: Request, len: number, profile: AbiProfile): void {
  if (r.header.len !== len) violated(`decoded header len ${r.header.len} for a ${len}-byte message`);
  const names: string[] = [];
  if ('name' in r && r.op !== 'setxattr' && r.op !== 'getxattr' && r.op !== 'removexattr') names.push(r.name);
  if (r.op === 'rename') names.push(r.newname);
  for (const n of names) {
    if (typeof n !== 'string' || n.length === 0 || n.includes('/') || n.includes('\0'))
      violated(`bad name ${JSON.stringify(n)} in ${r.op}`);
    if ((n === '.' || n === '..') && r.op !== 'lookup') violated(`${r.op} of ${n}`);
  }
  if (r.op === 'write' && r.data.length !== r.size)
    violated(`WRITE of ${r.size} bytes with ${r.data.length} bytes of data`);
  if (r.op === 'setxattr' && r.value.length > len) violated('SETXATTR value longer than the message');
  if (r.op === 'batchForget' && r.nodes.length * ForgetOne.size > len)
    violated('BATCH_FORGET decoded more nodes than the message holds');
  if (r.op === 'getFmap' && r.header.opcode !== profile.getFmapOpcode) violated('getFmap from another opcode');
  if (r.op === 'ioctl' && (r.data.length !== r.inSize || r.data.length > len)) {
    violated(`IOCTL in_size ${r.inSize} with ${r.data.length} bytes`);
  }
  // The buffer is the kernel's: the fixed one, or (push) an in-argument that can hold the fmap header.
  if (r.op === 'getFmap' && !(profile.fmapSizing ? r.bufferSize >= 32 : r.bufferSize === profile.maxFmapBytes)) {
    violated(`GET_FMAP buffer ${r.bufferSize} under ${profile.name}`);
  }
}

describe('fuzz: FUSE request decoding', () => {
  test(
    'decodeRequest returns a request or throws RequestError, under every profile',
    () => {
      const arb = fc.tuple(
        mutatedInputs(seedMessages(), fixLen, {
          hot: REQUEST_HOT,
          dictionary: NAME_TOKENS,
          resizable: true,
          maxLength: 8192,
          maxMutations: 5,
        }),
        fc.constantFrom(v10, rfc, push),
        fc.boolean(),
        fc.nat({ max: 16 }),
      );
      fuzz(
        'fuse-request',
        arb,
        ([m, profile, setxattrExt, junk]) => {
          // Sometimes the message sits at the start of a larger read buffer (decoding in place).
          const buf = junk > 12 ? cat(m.bytes, Buffer.alloc(junk, 0xa5)) : m.bytes;
          let r: Request;
          try {
            r = decodeRequest(buf, { profile, setxattrExt }, m.bytes.length);
          } catch (e) {
            if (!(e instanceof RequestError)) throw e;
            if (!Number.isInteger(e.errno) || e.errno < 1 || e.errno > 511)
              violated(`RequestError with errno ${e.errno}`);
            if (e.unique === null && e.opcode !== null && !NO_REPLY.has(e.opcode))
              violated(`an answerable opcode ${e.opcode} marked unanswerable`);
            if (e.unique !== null && e.opcode !== null && NO_REPLY.has(e.opcode))
              violated(`a reply-less opcode ${e.opcode} marked answerable`);
            return `RequestError:${e.unique === null ? 'dropped' : e.errno === Errno.EIO ? 'EIO' : e.errno === Errno.ENAMETOOLONG ? 'ENAMETOOLONG' : 'EINVAL'}`;
          }
          checkRequest(r, m.bytes.length, profile);
          return `ok:${r.op}`;
        },
        () => undefined,
        {
          show: ([m, profile, ext, junk]) =>
            `profile ${profile.name}, setxattrExt ${ext}, junk ${junk}, ${showMutated(m)}`,
        },
      );
    },
    fuzzTimeout(),
  );
});

// ---------------------------------------------------------------------------------------------
// GET_FMAP replies

const MiB = 1024 * 1024;
const ext = (offset: number, len: number, devIndex = 0): Extent => ({ devIndex, offset, len });
const entry = (size: number, fmap: FileEntry['fmap'], path = 'f'): FileEntry => ({
  type: 'file',
  path,
  size,
  flags: 2,
  uid: 0,
  gid: 0,
  mode: 0o644,
  fmap,
});

const FMAP_BASES: FileEntry[] = [
  entry(1, { kind: 'simple', extents: [ext(10 * MiB, 2 * MiB)] }),
  entry(3 * MiB, { kind: 'simple', extents: [ext(10 * MiB, 2 * MiB), ext(20 * MiB, 2 * MiB)] }),
  entry(30 * MiB, { kind: 'simple', extents: Array.from({ length: 16 }, (_, i) => ext((10 + 2 * i) * MiB, 2 * MiB)) }),
  entry(8 * MiB, {
    kind: 'interleaved',
    nstrips: 4,
    chunkSize: 2 * MiB,
    strips: Array.from({ length: 4 }, (_, i) => ext((10 + 2 * i) * MiB, 2 * MiB)),
  }),
  entry(32 * MiB, {
    kind: 'interleaved',
    nstrips: 16,
    chunkSize: 2 * MiB,
    strips: Array.from({ length: 16 }, (_, i) => ext((10 + 2 * i) * MiB, 2 * MiB)),
  }),
  entry(2 * MiB, { kind: 'interleaved', nstrips: 1, chunkSize: 4 * MiB, strips: [ext(10 * MiB, 8 * MiB)] }),
];

const NUMS = [
  0,
  1,
  -1,
  0.5,
  2 * MiB - 1,
  2 * MiB,
  2 * MiB + 1,
  4 * MiB,
  6 * MiB,
  2 ** 31,
  2 ** 32 - 2 * MiB,
  2 ** 32,
  2 ** 32 + 2 * MiB,
  2 ** 53 - 2 * MiB,
  2 ** 53 - 1,
  2 ** 53,
  2 ** 63,
  Number.NaN,
  Infinity,
];
const num = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NUMS) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 64 }).map((k) => k * 2 * MiB) },
);

type FmapMutation =
  | { op: 'size'; v: number }
  | { op: 'field'; i: number; f: 'devIndex' | 'offset' | 'len'; v: number }
  | { op: 'dup'; i: number; times: number }
  | { op: 'drop'; i: number }
  | { op: 'nstrips'; v: number }
  | { op: 'chunk'; v: number }
  | { op: 'flip-kind' };

const fmapMutation: fc.Arbitrary<FmapMutation> = fc.oneof(
  fc.record({ op: fc.constant('size' as const), v: num }),
  fc.record({
    op: fc.constant('field' as const),
    i: fc.nat({ max: 40 }),
    f: fc.constantFrom('devIndex' as const, 'offset' as const, 'len' as const),
    v: fc.oneof(num, fc.constantFrom(1, 2, 23, 24, 0xffff)),
  }),
  fc.record({ op: fc.constant('dup' as const), i: fc.nat({ max: 40 }), times: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ op: fc.constant('drop' as const), i: fc.nat({ max: 40 }) }),
  fc.record({ op: fc.constant('nstrips' as const), v: fc.oneof(fc.integer({ min: 0, max: 40 }), num) }),
  fc.record({ op: fc.constant('chunk' as const), v: num }),
  fc.constant({ op: 'flip-kind' as const }),
);

function mutateEntry(base: FileEntry, muts: FmapMutation[]): FileEntry {
  const e: FileEntry = JSON.parse(JSON.stringify(base));
  const list = () => (e.fmap.kind === 'simple' ? e.fmap.extents : e.fmap.strips);
  for (const m of muts) {
    const l = list();
    switch (m.op) {
      case 'size':
        e.size = m.v;
        break;
      case 'field':
        if (l.length > 0) l[m.i % l.length][m.f] = m.v;
        break;
      case 'dup':
        if (l.length > 0) for (let k = 0; k < m.times; k++) l.push({ ...l[m.i % l.length] });
        break;
      case 'drop':
        if (l.length > 0) l.splice(m.i % l.length, 1);
        break;
      case 'nstrips':
        if (e.fmap.kind === 'interleaved') e.fmap.nstrips = m.v;
        break;
      case 'chunk':
        if (e.fmap.kind === 'interleaved') e.fmap.chunkSize = m.v;
        break;
      case 'flip-kind':
        e.fmap =
          e.fmap.kind === 'simple'
            ? { kind: 'interleaved', nstrips: l.length, chunkSize: 2 * MiB, strips: l }
            : { kind: 'simple', extents: l };
        break;
    }
  }
  return e;
}

const same = (a: bigint, b: number) => a === BigInt(b);

/**
 * An unrolled fmap (simple-only profiles) against the interleave it came from: simple, the file
 * size kept, and sampled offsets reaching the device byte the interleave arithmetic names
 * (chunk c on strip c mod n, floor(c / n) chunks into it).
 */
type Striped = { nstrips: number; chunkSize: number; strips: Extent[] };

function unrolledMatches(k: KernelFmap, e: FileEntry, f: Striped): string {
  if (k.extType !== 'simple') violated(`ext type ${k.extType} from a simple-only profile`);
  if (!same(k.fileSize, e.size)) violated(`file size ${k.fileSize} for ${e.size}`);
  for (const off of [0, 1, e.size - 1, Math.floor(e.size / 2), f.chunkSize, f.chunkSize * f.nstrips + 7]) {
    if (off < 0 || off >= e.size) continue;
    const c = Math.floor(off / f.chunkSize);
    const strip = f.strips[c % f.nstrips];
    const want = strip.offset + Math.floor(c / f.nstrips) * f.chunkSize + (off % f.chunkSize);
    const got = fileOffsetToDax(k, BigInt(off), 1n);
    if (!got || got.devIndex !== strip.devIndex || !same(got.devOffset, want)) {
      violated(`offset ${off} maps to ${showValue(got)}, not ${want}`);
    }
  }
  return 'ok:unrolled';
}

describe('fuzz: GET_FMAP reply encoder', () => {
  test(
    'encodeFmapReply returns a blob the kernel parser accepts and that decodes to the entry, or FmapReplyError',
    () => {
      const arb = fc.tuple(
        fc
          .record({ base: fc.nat({ max: FMAP_BASES.length - 1 }), muts: fc.array(fmapMutation, { maxLength: 5 }) })
          .map(({ base, muts }) => ({ base, muts, entry: mutateEntry(FMAP_BASES[base], muts) })),
        fc.constantFrom(v10, rfc, push),
      );
      fuzz(
        'get-fmap',
        arb,
        ([{ entry: e }, profile]) => {
          const blob = encodeFmapReply(e, profile);
          const unrolled = e.fmap.kind === 'interleaved' && !profile.acceptsInterleave;
          const expected = fmapReplySize(e, unrolled);
          if (blob.length !== expected || blob.length > profile.maxFmapBytes) violated(`blob of ${blob.length} bytes`);
          let k;
          try {
            k = parseFmap(blob, fmapLimits(profile));
          } catch (err) {
            if (err instanceof FmapRejected)
              violated(`the kernel would refuse what the encoder sent: ${err.rule}: ${err.message}`);
            throw err;
          }
          if (unrolled && e.fmap.kind === 'interleaved') return unrolledMatches(k, e, e.fmap);
          const lint = fmapLint(k).filter((l) => !/overlap/.test(l));
          if (lint.length > 0) violated(`the kernel would accept but the blob is wrong: ${lint.join('; ')}`);
          if (!same(k.fileSize, e.size)) violated(`file size ${k.fileSize} for ${e.size}`);
          const want = e.fmap.kind === 'simple' ? e.fmap.extents : e.fmap.strips;
          const got = k.extType === 'simple' ? k.extents : k.iexts.flatMap((ie) => ie.strips);
          if (k.extType !== (e.fmap.kind === 'simple' ? 'simple' : 'interleave'))
            violated(`ext type ${k.extType} for a ${e.fmap.kind} fmap`);
          if (
            got.length !== want.length ||
            got.some(
              (g, i) => g.devIndex !== want[i].devIndex || !same(g.offset, want[i].offset) || !same(g.len, want[i].len),
            )
          ) {
            violated(`extents decode as ${showValue(got)}`);
          }
          if (k.extType === 'interleave' && e.fmap.kind === 'interleaved') {
            const ie = k.iexts[0];
            if (
              k.iexts.length !== 1 ||
              ie.nstrips !== e.fmap.nstrips ||
              !same(ie.chunkSize, e.fmap.chunkSize) ||
              !same(ie.nbytes, e.size)
            )
              violated(`interleaved extent decodes as ${showValue(ie)}`);
          }
          if (FamfsFmapHeader.get(blob, 'fmapVersion') !== 1) violated('fmap version');
          return `ok:${e.fmap.kind}`;
        },
        (err) =>
          err instanceof FmapReplyError
            ? `FmapReplyError:${err.message
                .replace(/^[^:]*: /, '')
                .replace(/\b0x[0-9a-f]+\b|-?\d+(\.\d+)?(e[+-]?\d+)?|NaN|-?Infinity/g, 'N')
                .replace(/\(.*\)/, '')
                .slice(0, 40)
                .trim()}`
            : undefined,
        {
          show: ([x, profile]) =>
            `profile ${profile.name}, base #${x.base}, mutations ${JSON.stringify(x.muts)}, entry ${showValue(x.entry)}`,
        },
      );
    },
    fuzzTimeout(),
  );
});

// ---------------------------------------------------------------------------------------------
// famfs v1 ioctls

/** The answered commands, the creation ones (refused), and whatever else a caller may ask. */
const IOCTL_CMDS = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...Object.values(FamfsIoc)) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff_ffff }) },
);
/** Counts only: the ioctl answers served entries, whose numbers famfs-fs.ts has already checked. */
const countMutation = fmapMutation.filter((m) => m.op === 'dup' || m.op === 'drop' || m.op === 'flip-kind');

describe('fuzz: famfs v1 ioctl answers', () => {
  test(
    'answerIoctl gives at most out_size bytes only to a 64-bit file caller, or refuses with ENOTTY/EINVAL/E2BIG',
    () => {
      const arb = fc.record({
        base: fc.nat({ max: FMAP_BASES.length - 1 }),
        muts: fc.array(countMutation, { maxLength: 4 }),
        dir: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
        cmd: IOCTL_CMDS,
        flags: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat({ max: 63 }) }),
        // Mostly the sizes the kernel derives from cmd for a restricted ioctl, else anything.
        sizes: fc.oneof(
          { weight: 3, arbitrary: fc.constant(null) },
          { weight: 1, arbitrary: fc.record({ inSize: fc.nat({ max: 600 }), outSize: fc.nat({ max: 1024 }) }) },
        ),
        path: fc.constantFrom('f', '.meta/.log', '.meta/.superblock'),
      });
      const refusals = new Set<number>([Errno.ENOTTY, Errno.EINVAL, Errno.E2BIG]);
      fuzz(
        'famfs-ioctl',
        arb,
        (x) => {
          const e = mutateEntry(FMAP_BASES[x.base], x.muts);
          const target: IoctlTarget = x.dir ? { kind: 'dir', path: 'd' } : { kind: 'file', path: x.path, entry: e };
          const size = (x.cmd >>> 16) & 0x3fff;
          const inSize = x.sizes?.inSize ?? (x.cmd & 0x4000_0000 ? size : 0);
          const outSize = x.sizes?.outSize ?? (x.cmd & 0x8000_0000 ? size : 0);
          const m = ioctlMsg(7, NODE, { cmd: x.cmd, flags: x.flags, outSize, data: Buffer.alloc(inSize, 0x5a) });
          const req = decodeRequest(m, { profile: v10 }) as IoctlRequest;
          let a: IoctlReply;
          try {
            a = answerIoctl(req, target);
          } catch (err) {
            if (err instanceof FuseErrno && refusals.has(err.errno)) return `refused:${errnoName(err.errno)}`;
            throw err;
          }
          const n = a.data?.length ?? 0;
          if (a.result !== 0 || n !== outSize) violated(`result ${a.result} with ${n} bytes for out_size ${outSize}`);
          if (x.dir || x.flags & (FUSE_IOCTL_DIR | FUSE_IOCTL_32BIT | FUSE_IOCTL_COMPAT | FUSE_IOCTL_COMPAT_X32)) {
            violated(`answered a directory or non-64-bit caller (flags 0x${x.flags.toString(16)})`);
          }
          if (inSize !== 0) violated('answered a read ioctl that carried input');
          return `ok:0x${x.cmd.toString(16)}`;
        },
        () => undefined,
        { show: (x) => showValue(x) },
      );
    },
    fuzzTimeout(),
  );
});
