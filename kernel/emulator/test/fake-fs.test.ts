/**
 * The emulator against a hand-made FileSystem serving fmaps written in the test: good fmaps
 * (simple multi-extent, 3-strip interleave) are read and written at the right device offsets;
 * bad ones fail open(2) with the errno of ABI note §1.10.
 */
import * as fs from 'fs';
import * as path from 'path';
import { DT_DIR, DT_REG, Errno, FileSystem, FuseErrno, FUSE_ROOT_ID, makeAttr, S_IFDIR, S_IFREG } from '@famfs/fuse';
import type { DirEntry, EntryParam } from '@famfs/fuse';
import {
  buildFmapBlob,
  emulateMount,
  EmulatorProtocolError,
  errnoOf,
  FmapSpec,
  O_RDONLY,
  O_RDWR,
  parseFmap,
  fileOffsetToDax,
} from '../src';
import { KernelHang, KernelOops } from '../src';
import { cleanupTempDirs, expectedFileBytes, fillPattern, Layout, MiB, patternRange, readAt, tempDir } from './helpers';

afterAll(cleanupTempDirs);

/** The 16-byte out header of a reply, len set to 16 (an error reply must be header-only). */
function OutHeaderOf(b: Buffer): Buffer {
  const h = Buffer.from(b.subarray(0, 16));
  h.writeUInt32LE(16, 0);
  return h;
}

const DEV_SIZE = 64 * MiB;

/** Good files: their layout (for the independent reference map) and size. */
const SIMPLE: { layout: Layout; size: number } = {
  layout: {
    kind: 'simple',
    extents: [
      { offset: 4 * MiB, len: 2 * MiB },
      { offset: 10 * MiB, len: 4 * MiB },
      { offset: 20 * MiB, len: 2 * MiB },
    ],
  },
  size: 7 * MiB + 12345,
};
const INTER: { layout: Layout; size: number } = {
  layout: {
    kind: 'interleaved',
    chunk: 2 * MiB,
    strips: [
      { offset: 32 * MiB, len: 4 * MiB },
      { offset: 40 * MiB, len: 4 * MiB },
      { offset: 48 * MiB, len: 4 * MiB },
    ],
  },
  size: 11 * MiB + 777,
};

function specOf(f: { layout: Layout; size: number }): FmapSpec {
  if (f.layout.kind === 'simple') return { fileSize: f.size, simple: f.layout.extents };
  return { fileSize: f.size, interleaved: [{ chunkSize: f.layout.chunk, nbytes: f.size, strips: f.layout.strips }] };
}

const ok = { offset: 4 * MiB, len: 2 * MiB };
/** Bad fmaps: path -> [what the daemon answers, errno open(2) must fail with]. */
const BAD: Record<string, [Buffer | (() => never), number]> = {
  'too-many-extents': [
    buildFmapBlob({
      fileSize: 2 * MiB,
      simple: Array.from({ length: 33 }, (_, i) => ({ offset: (4 + 2 * i) * MiB, len: 2 * MiB })),
    }),
    Errno.ERANGE,
  ],
  'zero-extents': [buildFmapBlob({ fileSize: 2 * MiB, simple: [ok], nextents: 0 }), Errno.ERANGE],
  'nextents-checked-before-type': [
    buildFmapBlob({ fileSize: 2 * MiB, simple: [ok], nextents: 0, extType: 7 }),
    Errno.ERANGE,
  ],
  'bad-ext-type': [buildFmapBlob({ fileSize: 2 * MiB, simple: [ok], extType: 2 }), Errno.EINVAL],
  'chunk-not-2mib': [
    buildFmapBlob({
      fileSize: 4 * MiB,
      interleaved: [{ chunkSize: 3 * MiB, nbytes: 4 * MiB, strips: [ok, { offset: 8 * MiB, len: 2 * MiB }] }],
    }),
    Errno.EINVAL,
  ],
  'chunk-4k': [
    buildFmapBlob({
      fileSize: 4 * MiB,
      interleaved: [{ chunkSize: 4096, nbytes: 4 * MiB, strips: [ok, { offset: 8 * MiB, len: 2 * MiB }] }],
    }),
    Errno.EINVAL,
  ],
  'short-reply-simple': [buildFmapBlob({ fileSize: 2 * MiB, simple: [ok, ok], nextents: 3 }), Errno.EINVAL],
  'short-reply-strips': [
    buildFmapBlob({
      fileSize: 2 * MiB,
      interleaved: [{ nstrips: 3, chunkSize: 2 * MiB, nbytes: 2 * MiB, strips: [ok, ok] }],
    }),
    Errno.EINVAL,
  ],
  'short-reply-iext': [
    buildFmapBlob({
      fileSize: 2 * MiB,
      interleaved: [{ chunkSize: 2 * MiB, nbytes: 2 * MiB, strips: [ok] }],
      nextents: 2,
    }),
    Errno.EINVAL,
  ],
  'short-header': [Buffer.alloc(20), Errno.EINVAL],
  'empty-reply': [Buffer.alloc(0), Errno.EINVAL],
  'nbytes-zero': [
    buildFmapBlob({ fileSize: 2 * MiB, interleaved: [{ chunkSize: 2 * MiB, nbytes: 0, strips: [ok] }] }),
    Errno.EINVAL,
  ],
  'nstrips-zero': [
    buildFmapBlob({ fileSize: 0, interleaved: [{ nstrips: 0, chunkSize: 2 * MiB, nbytes: 2 * MiB, strips: [] }] }),
    Errno.EINVAL,
  ],
  'nstrips-33': [
    buildFmapBlob({
      fileSize: 2 * MiB,
      interleaved: [
        {
          chunkSize: 2 * MiB,
          nbytes: 2 * MiB,
          strips: Array.from({ length: 33 }, (_, i) => ({ offset: (4 + 2 * i) * MiB, len: 2 * MiB })),
        },
      ],
    }),
    Errno.EINVAL,
  ],
  'devindex-1': [buildFmapBlob({ fileSize: 2 * MiB, simple: [{ ...ok, devIndex: 1 }] }), Errno.EINVAL],
  'devindex-out-of-table': [buildFmapBlob({ fileSize: 2 * MiB, simple: [{ ...ok, devIndex: 24 }] }), Errno.EINVAL],
  'offset-unaligned': [
    buildFmapBlob({ fileSize: 2 * MiB, simple: [{ offset: 4 * MiB + 4096, len: 2 * MiB }] }),
    Errno.EINVAL,
  ],
  'len-unaligned': [buildFmapBlob({ fileSize: 4096, simple: [{ offset: 4 * MiB, len: 4096 }] }), Errno.EINVAL],
  'extents-short-of-size': [
    buildFmapBlob({ fileSize: 4 * MiB + 1, simple: [ok, { offset: 8 * MiB, len: 2 * MiB }] }),
    Errno.EINVAL,
  ],
  'strips-short-of-size': [
    buildFmapBlob({
      fileSize: 6 * MiB,
      interleaved: [{ chunkSize: 2 * MiB, nbytes: 6 * MiB, strips: [ok, { offset: 8 * MiB, len: 2 * MiB }] }],
    }),
    Errno.EINVAL,
  ],
  'daemon-eperm': [
    () => {
      throw new FuseErrno(Errno.EPERM);
    },
    Errno.EPERM,
  ],
  'daemon-enodata': [
    () => {
      throw new FuseErrno(Errno.ENODATA);
    },
    Errno.ENODATA,
  ],
};

/** Accepted by V10 (0 is a multiple of 2 MiB), then divided by at the first access. */
const CHUNK_ZERO = buildFmapBlob({
  fileSize: 4 * MiB,
  interleaved: [{ chunkSize: 0, nbytes: 4 * MiB, strips: [ok, { offset: 8 * MiB, len: 2 * MiB }] }],
});

interface Node {
  id: number;
  parent: number;
  name: string;
  dir: boolean;
  size: number;
  fmap?: Buffer | (() => never);
  children: Map<string, number>;
}

/** A tiny famfs-like daemon: a fixed tree, fmaps from the tables above, one daxdev. */
class FakeFamfs implements FileSystem {
  readonly nodes = new Map<number, Node>();
  released: number[] = [];
  fmapCalls = 0;
  daxdevCalls: number[] = [];
  constructor(readonly devPath: string) {
    this.nodes.set(FUSE_ROOT_ID, {
      id: FUSE_ROOT_ID,
      parent: FUSE_ROOT_ID,
      name: '',
      dir: true,
      size: 0,
      children: new Map(),
    });
    const bad = this.add(FUSE_ROOT_ID, 'bad', true, 0);
    const sub = this.add(FUSE_ROOT_ID, 'dir', true, 0);
    this.add(FUSE_ROOT_ID, 'simple.bin', false, SIMPLE.size, buildFmapBlob(specOf(SIMPLE)));
    this.add(sub.id, 'inter.bin', false, INTER.size, buildFmapBlob(specOf(INTER)));
    for (const [name, [blob]] of Object.entries(BAD)) this.add(bad.id, name, false, 2 * MiB, blob);
    this.add(FUSE_ROOT_ID, 'chunk-zero', false, 4 * MiB, CHUNK_ZERO);
  }
  private add(parent: number, name: string, dir: boolean, size: number, fmap?: Buffer | (() => never)): Node {
    const n: Node = { id: this.nodes.size + 1, parent, name, dir, size, fmap, children: new Map() };
    this.nodes.set(n.id, n);
    this.nodes.get(parent)!.children.set(name, n.id);
    return n;
  }
  private node(id: number): Node {
    const n = this.nodes.get(id);
    if (!n) throw new FuseErrno(Errno.ENOENT);
    return n;
  }
  private entry(n: Node): EntryParam {
    return {
      nodeid: n.id,
      attr: makeAttr({ ino: n.id, mode: n.dir ? S_IFDIR | 0o755 : S_IFREG | 0o644, size: n.size }),
    };
  }
  init() {
    return { famfs: true };
  }
  lookup(req: { header: { nodeid: number }; name: string }): EntryParam {
    const id = this.node(req.header.nodeid).children.get(req.name);
    if (id === undefined) throw new FuseErrno(Errno.ENOENT);
    return this.entry(this.node(id));
  }
  getattr(req: { header: { nodeid: number } }) {
    return { attr: this.entry(this.node(req.header.nodeid)).attr };
  }
  open(req: { header: { nodeid: number } }) {
    if (this.node(req.header.nodeid).dir) throw new FuseErrno(Errno.EISDIR);
    return { fh: 1000 + req.header.nodeid };
  }
  release(req: { header: { nodeid: number } }) {
    this.released.push(req.header.nodeid);
  }
  opendir() {
    return { fh: 7 };
  }
  readdir(req: { header: { nodeid: number }; offset: number }): DirEntry[] {
    const kids = [...this.node(req.header.nodeid).children.values()].map((id) => this.node(id));
    return kids
      .slice(req.offset)
      .map((n, i) => ({ name: n.name, ino: n.id, off: req.offset + i + 1, type: n.dir ? DT_DIR : DT_REG }));
  }
  getFmap(req: { header: { nodeid: number } }): Buffer {
    this.fmapCalls++;
    const n = this.node(req.header.nodeid);
    if (n.dir || !n.fmap) throw new FuseErrno(Errno.EINVAL);
    return typeof n.fmap === 'function' ? n.fmap() : n.fmap;
  }
  getDaxdev(req: { index: number }) {
    this.daxdevCalls.push(req.index);
    if (req.index !== 0) throw new FuseErrno(Errno.EINVAL);
    return { name: this.devPath };
  }
}

let template = '';
beforeAll(() => {
  template = path.join(tempDir(), 'template.img');
  fs.writeFileSync(template, '');
  fs.truncateSync(template, DEV_SIZE);
  fillPattern(template, 0, DEV_SIZE);
});

/** A mount of the fake daemon; its daxdev is an image file, which these tests opt in to. */
function setup(fake?: FakeFamfs, opts: Parameters<typeof emulateMount>[1] = {}) {
  const dir = tempDir();
  const dev = path.join(dir, 'dax.img');
  fs.copyFileSync(template, dev);
  const fsys = fake ?? new FakeFamfs(dev);
  const m = emulateMount(fsys, { ...opts, kernel: { allowFileDaxdev: true, ...opts.kernel } });
  m.kernel.init();
  return { ...m, dev, fsys };
}

describe('fmap parsing and offset arithmetic (pure)', () => {
  test('the worked example of §2.3: 4 strips, 2 MiB chunks', () => {
    const strips = [0, 1, 2, 3].map((i) => ({ offset: (100 + 10 * i) * MiB, len: 6 * MiB }));
    const f = parseFmap(
      buildFmapBlob({ fileSize: 24 * MiB, interleaved: [{ chunkSize: 2 * MiB, nbytes: 24 * MiB, strips }] }),
      { maxExtents: 32, maxStrips: 32 },
    );
    // file offset 15 MiB: chunk 7, strip 3, stripe 1 -> 3 MiB into strip 3.
    expect(fileOffsetToDax(f, BigInt(15 * MiB), 1n)).toMatchObject({ devOffset: BigInt(130 * MiB + 3 * MiB) });
    // file offset 4 MiB: chunk 2, strip 2, offset 0.
    expect(fileOffsetToDax(f, BigInt(4 * MiB), BigInt(8 * MiB))).toEqual({
      devIndex: 0,
      devOffset: BigInt(120 * MiB),
      length: BigInt(2 * MiB),
    });
    expect(fileOffsetToDax(f, BigInt(24 * MiB), 1n)).toBeNull();
  });
  test('rfc profile limits: 3 extents is ERANGE', () => {
    const blob = buildFmapBlob({ fileSize: 2 * MiB, simple: [ok, ok, ok] });
    expect(() => parseFmap(blob, { maxExtents: 2, maxStrips: 16 })).toThrow(
      expect.objectContaining({ errno: Errno.ERANGE, rule: 'nextents-range' }),
    );
  });
});

describe('good fmaps: open, read and write through the device', () => {
  test('simple multi-extent file: reads match the device at the mapped offsets', () => {
    const { kernel, dev, fsys } = setup();
    const h = kernel.open('/simple.bin');
    expect(kernel.inode(h.nodeid)!.fmap).toMatchObject({ extType: 'simple', fileSize: BigInt(SIMPLE.size) });
    for (const [off, len] of [
      [0, 100],
      [2 * MiB - 10, 20],
      [6 * MiB - 5, 10],
      [0, SIMPLE.size],
      [SIMPLE.size - 3, 100],
      [SIMPLE.size, 10],
      [SIMPLE.size + 5 * MiB, 10],
    ]) {
      const got = kernel.read(h, off, len);
      const n = Math.max(0, Math.min(len, SIMPLE.size - off));
      expect(got.length).toBe(n);
      expect(got.equals(expectedFileBytes(SIMPLE.layout, off, n))).toBe(true);
    }
    kernel.release(h);
    expect(fsys.fmapCalls).toBe(1);
    expect(readAt(dev, 0, 16).equals(patternRange(0, 16))).toBe(true);
  });

  test('interleaved 3-strip file: reads and writes land on the right strips', () => {
    const { kernel, dev } = setup();
    const h = kernel.open('/dir/inter.bin', O_RDWR);
    expect(kernel.read(h, 0, INTER.size).equals(expectedFileBytes(INTER.layout, 0, INTER.size))).toBe(true);
    // A write spanning chunks 0..3 (strips 0, 1, 2, then 0 again at stripe 1).
    const data = Buffer.alloc(6 * MiB + 100, 0);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7 + 3) & 0xff;
    const at = 2 * MiB - 50;
    expect(kernel.write(h, at, data)).toBe(data.length);
    for (const probe of [0, 49, 50, 51, 2 * MiB, 4 * MiB + 3, data.length - 1]) {
      const fileOff = at + probe;
      const chunk = Math.floor(fileOff / (2 * MiB));
      const strip = [32, 40, 48][chunk % 3] * MiB;
      const devOff = strip + Math.floor(chunk / 3) * 2 * MiB + (fileOff % (2 * MiB));
      expect(readAt(dev, devOff, 1)[0]).toBe(data[probe]);
    }
    expect(kernel.read(h, at, data.length).equals(data)).toBe(true);
    // Bytes around the write are untouched.
    expect(kernel.read(h, 0, at).equals(expectedFileBytes(INTER.layout, 0, at))).toBe(true);
    // Writes never grow the file: one crossing EOF is cut, one at EOF writes nothing.
    expect(kernel.write(h, INTER.size - 10, Buffer.alloc(100, 0xee))).toBe(10);
    expect(kernel.write(h, INTER.size, Buffer.alloc(100, 0xee))).toBe(0);
    const last = Math.floor((INTER.size - 1) / (2 * MiB));
    const lastDev = [32, 40, 48][last % 3] * MiB + Math.floor(last / 3) * 2 * MiB + ((INTER.size - 1) % (2 * MiB));
    expect(readAt(dev, lastDev, 2)).toEqual(Buffer.from([0xee, patternRange(lastDev + 1, 1)[0]]));
    kernel.release(h);
  });

  test('one GET_FMAP per inode, one GET_DAXDEV per device, no READ or WRITE requests', () => {
    const { kernel, fsys } = setup();
    for (let i = 0; i < 3; i++) {
      const a = kernel.open('/simple.bin');
      const b = kernel.open('/dir/inter.bin', O_RDWR);
      kernel.read(a, 0, 4096);
      kernel.write(b, 0, Buffer.from('x'));
      kernel.release(a);
      kernel.release(b);
    }
    expect(kernel.count('GET_FMAP')).toBe(2);
    expect([...kernel.fmapRequests.values()]).toEqual([1, 1]);
    expect(kernel.count('GET_DAXDEV')).toBe(1);
    expect(fsys.daxdevCalls).toEqual([0]);
    expect(kernel.count('READ')).toBe(0);
    expect(kernel.count('WRITE')).toBe(0);
    expect(kernel.count('OPEN')).toBe(6);
    expect(kernel.count('RELEASE')).toBe(6);
    expect(kernel.warnings).toEqual([]);
  });

  test('after FORGET the inode is evicted and the next open fetches the fmap again', () => {
    const { kernel } = setup();
    const h = kernel.open('/simple.bin');
    kernel.release(h);
    kernel.forget(h.nodeid);
    expect(kernel.inode(h.nodeid)).toBeUndefined();
    kernel.release(kernel.open('/simple.bin'));
    expect(kernel.count('GET_FMAP')).toBe(2);
    expect(kernel.count('GET_DAXDEV')).toBe(1);
    expect(kernel.count('FORGET')).toBe(1);
  });

  test('access modes: EBADF for write on O_RDONLY, EISDIR for reading a directory', () => {
    const { kernel } = setup();
    const h = kernel.open('/simple.bin', O_RDONLY);
    expect(errnoOf(() => kernel.write(h, 0, Buffer.from('x')))).toBe(Errno.EBADF);
    expect(kernel.count('GET_FMAP')).toBe(1);
    const d = kernel.open('/dir');
    expect(errnoOf(() => kernel.read(d, 0, 1))).toBe(Errno.EISDIR);
    expect(kernel.count('OPENDIR')).toBe(1);
    expect(kernel.count('GET_FMAP')).toBe(1); // directories never get GET_FMAP
    expect(errnoOf(() => kernel.open('/nope'))).toBe(Errno.ENOENT);
    expect(errnoOf(() => kernel.open('/simple.bin/x'))).toBe(Errno.ENOTDIR);
  });

  test('an attribute reply that changes i_size poisons the file: ENXIO, then EIO', () => {
    const { kernel, fsys } = setup();
    const h = kernel.open('/simple.bin');
    [...fsys.nodes.values()].find((n) => n.name === 'simple.bin')!.size = 1234;
    kernel.getattr(h.nodeid);
    expect(errnoOf(() => kernel.read(h, 0, 10))).toBe(Errno.ENXIO);
    expect(errnoOf(() => kernel.read(h, 0, 10))).toBe(Errno.EIO);
    expect(kernel.warnings.join('\n')).toMatch(/differs from the fmap's file_size/);
  });

  test('walkFiles lists the tree through OPENDIR/READDIR/RELEASEDIR', () => {
    const { kernel } = setup();
    const files = kernel.walkFiles('/');
    expect(files).toContain('/simple.bin');
    expect(files).toContain('/dir/inter.bin');
    expect(files.filter((f) => f.startsWith('/bad/'))).toHaveLength(Object.keys(BAD).length);
  });
});

describe('bad fmaps fail open(2) with the kernel errno (§1.10) and release the file', () => {
  test.each(Object.entries(BAD).map(([name, [, errno]]) => [name, errno]))('%s -> errno %d', (name, errno) => {
    const { kernel, fsys } = setup();
    const before = fsys.released.length;
    expect(errnoOf(() => kernel.open(`/bad/${name}`))).toBe(errno);
    expect(fsys.released.length).toBe(before + 1); // fuse_sync_release after the failed GET_FMAP
    expect(kernel.count('GET_DAXDEV')).toBe(0);
    expect(kernel.count('READ')).toBe(0);
  });

  test('multi-device mode: index 1 is accepted by the parser, GET_DAXDEV failure is only logged, I/O is EIO', () => {
    const { kernel } = setup(undefined, { kernel: { multiDevice: true } });
    const h = kernel.open('/bad/devindex-1');
    expect(kernel.daxdevRequests.get(1)).toBe(1);
    expect(kernel.warnings.join('\n')).toMatch(/GET_DAXDEV 1 failed \(EINVAL\)/);
    expect(errnoOf(() => kernel.read(h, 0, 10))).toBe(Errno.EIO);
    expect(errnoOf(() => kernel.open('/bad/devindex-out-of-table'))).toBe(Errno.EINVAL);
  });

  test('a reply larger than one page: the session answers EFBIG, so does open', () => {
    const dir = tempDir();
    const dev = path.join(dir, 'd');
    fs.writeFileSync(dev, Buffer.alloc(4096));
    const fake = new FakeFamfs(dev);
    const n = [...fake.nodes.values()].find((x) => x.name === 'simple.bin')!;
    n.fmap = Buffer.concat([buildFmapBlob(specOf(SIMPLE)), Buffer.alloc(4096)]);
    const { kernel } = setup(fake);
    expect(errnoOf(() => kernel.open('/simple.bin'))).toBe(Errno.EFBIG);
  });
});

describe('kernel fidelity', () => {
  test('V10 accepts an interleaved chunk size of 0, then oopses dividing by it at the first access', () => {
    const { kernel } = setup();
    const h = kernel.open('/chunk-zero', O_RDWR);
    expect(kernel.warnings.join('\n')).toMatch(/chunk size 0 \(accepted; the first access divides by zero/);
    expect(() => kernel.read(h, 0, 10)).toThrow(KernelOops);
    expect(() => kernel.write(h, 4096, Buffer.from('x'))).toThrow(/divide error in famfs_interleave_fileofs_to_daxofs/);
    expect(kernel.oopses).toHaveLength(2);
    // At or past EOF nothing is computed, so nothing divides.
    expect(kernel.read(h, 4 * MiB, 10)).toHaveLength(0);
  });

  test('by default a daxdev must be a character device: an image file leaves the slot invalid, I/O is EIO', () => {
    const dir = tempDir();
    const dev = path.join(dir, 'dax.img');
    fs.copyFileSync(template, dev);
    const m = emulateMount(new FakeFamfs(dev));
    m.kernel.init();
    const h = m.kernel.open('/simple.bin');
    expect(m.kernel.daxdev(0)).toBeUndefined();
    expect(m.kernel.warnings.join('\n')).toMatch(/is not a character device \(EINVAL\); slot left invalid/);
    expect(errnoOf(() => m.kernel.read(h, 0, 10))).toBe(Errno.EIO);
  });

  test('a character device is a daxdev by default (/dev/zero reads as zeros)', () => {
    const m = emulateMount(new FakeFamfs('/dev/zero'));
    m.kernel.init();
    const h = m.kernel.open('/simple.bin');
    expect(m.kernel.daxdev(0)).toMatchObject({ name: '/dev/zero', daxErr: false });
    expect(m.kernel.read(h, 0, 100).equals(Buffer.alloc(100))).toBe(true);
    m.kernel.close();
  });
});

describe('malformed replies: pending for good at the header, EIO (a protocol error here) past it', () => {
  test('a daemon writing a wrong-sized LOOKUP reply', () => {
    const dir = tempDir();
    const fake = new FakeFamfs(path.join(dir, 'x'));
    const { kernel, transport } = setup(fake);
    // Break the transport's writes: append a byte to every reply.
    const orig = transport.writev.bind(transport);
    transport.writev = (bufs: Buffer[]) => {
      const b = Buffer.concat(bufs);
      b.writeUInt32LE(b.length + 1, 0);
      return orig([b, Buffer.from([0])]);
    };
    expect(() => kernel.lookupPath('/simple.bin')).toThrow(EmulatorProtocolError);
    expect(kernel.protocolErrors[0]).toMatch(/LOOKUP: payload of 129 bytes, the kernel expects exactly 128/);
  });

  test('a reply with a unique nobody asked for', () => {
    const { kernel, transport } = setup();
    const orig = transport.writev.bind(transport);
    transport.writev = (bufs: Buffer[]) => {
      const b = Buffer.concat(bufs);
      b.writeBigUInt64LE(b.readBigUInt64LE(8) + 2n, 8);
      return orig([b]);
    };
    expect(() => kernel.lookupPath('/simple.bin')).toThrow(KernelHang);
    const why = expect.stringMatching(/refused at its header.*ENOENT no pending request/);
    expect(kernel.hangs).toEqual([{ opcode: 1, unique: 4n, why }]);
    expect(kernel.protocolErrors).toEqual([]);
  });

  test('an error value out of range', () => {
    const { kernel, transport } = setup();
    const orig = transport.writev.bind(transport);
    transport.writev = (bufs: Buffer[]) => {
      const b = Buffer.from(OutHeaderOf(Buffer.concat(bufs)));
      b.writeInt32LE(5, 4);
      return orig([b]);
    };
    const message = /never completed: every reply was refused at its header \(EINVAL error 5 out of range\)/;
    expect(() => kernel.lookupPath('/simple.bin')).toThrow(message);
    expect(kernel.hangs[0].why).toMatch(/error 5 out of range/);
  });

  test('out_header.len not the bytes written: pending for good', () => {
    const { kernel, transport } = setup();
    const orig = transport.writev.bind(transport);
    transport.writev = (bufs: Buffer[]) => {
      const b = Buffer.concat(bufs);
      b.writeUInt32LE(b.length - 8, 0);
      return orig([b]);
    };
    expect(() => kernel.lookupPath('/simple.bin')).toThrow(KernelHang);
    expect(kernel.hangs[0].why).toMatch(/out_header.len 136 but 144 bytes written/);
  });

  test('no reply at all: pending for good, whatever onMalformedReply says', () => {
    const { kernel, session } = setup(undefined, { kernel: { onMalformedReply: 'eio' } });
    (session.transport as { writev(b: Buffer[]): void }).writev = function (this: unknown) {
      throw Object.assign(new Error('x'), { code: 'EINVAL' });
    };
    expect(() => kernel.lookupPath('/simple.bin')).toThrow(KernelHang);
    expect(kernel.hangs[0].why).toBe('no reply');
    expect(kernel.protocolErrors).toEqual([]);
  });

  test('an error reply with a payload matches its request, which the kernel ends with EIO', () => {
    const { kernel, transport } = setup(undefined, { kernel: { onMalformedReply: 'eio' } });
    const orig = transport.writev.bind(transport);
    transport.writev = (bufs: Buffer[]) => {
      const b = Buffer.concat(bufs);
      b.writeInt32LE(-2, 4);
      return orig([b]);
    };
    expect(errnoOf(() => kernel.lookupPath('/simple.bin'))).toBe(Errno.EIO);
    expect(kernel.protocolErrors[0]).toMatch(/error reply with a payload/);
    expect(kernel.hangs).toEqual([]);
  });

  test('init fails when the daemon does not accept FUSE_DAX_FMAP', () => {
    const dir = tempDir();
    const fake = new FakeFamfs(path.join(dir, 'x'));
    (fake as { init(): object }).init = () => ({ famfs: false });
    const m = emulateMount(fake);
    expect(() => m.kernel.init()).toThrow(/did not accept FUSE_DAX_FMAP \(bit 43 of profile v10\)/);
  });

  test('rfc profile: opcodes 53/54 and INIT bit 42 end to end', () => {
    const { kernel, session } = setup(undefined, { profile: 'rfc' });
    expect(session.negotiated?.famfs).toBe(true);
    // The rfc kernel allows only 2 extents: the 3-extent simple file is ERANGE; the interleave is fine.
    expect(errnoOf(() => kernel.open('/simple.bin'))).toBe(Errno.ERANGE);
    const h = kernel.open('/dir/inter.bin');
    expect(kernel.read(h, 5 * MiB, 100).equals(expectedFileBytes(INTER.layout, 5 * MiB, 100))).toBe(true);
    expect(kernel.counts()).toMatchObject({ GET_FMAP: 2, GET_DAXDEV: 1 });
    expect(session.stats.requests.get(53)).toBe(2);
  });
});
