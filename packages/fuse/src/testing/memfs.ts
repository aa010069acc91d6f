/**
 * A small read-only in-memory file system: the toy the session and mount tests serve, and an
 * example of the FileSystem interface. Files are given as text or as a size plus a seed whose
 * bytes come from patternBytes(), so a test can regenerate and compare them.
 */
import { FileSystem, InitWants, StatfsReply } from '../filesystem';
import { Errno, FuseErrno } from '../errors';
import { DT_DIR, DT_REG, FOPEN_KEEP_CACHE, FUSE_ROOT_ID, S_IFDIR, S_IFREG } from '../protocol/abi';
import { makeAttr } from '../protocol/reply';
import type { AttrParam, DirEntry, DirEntryPlus, EntryParam, OpenParam } from '../protocol/reply';
import type { AttrValue } from '../protocol/abi';
import type {
  BatchForgetRequest,
  ForgetRequest,
  GetattrRequest,
  GetxattrRequest,
  ListxattrRequest,
  LookupRequest,
  OpendirRequest,
  OpenRequest,
  ReaddirplusRequest,
  ReaddirRequest,
  ReadRequest,
} from '../protocol/request';

/** A file's content: literal text, or `size` pseudo-random bytes from `seed`. */
export type MemFileSpec = string | { size: number; seed: number };

export interface MemFsOptions {
  /** Absolute paths ("/a/b.txt") to contents; parent directories are created as needed. */
  files: Record<string, MemFileSpec>;
  /** Extra empty directories. */
  dirs?: string[];
  /** xattrs on the root directory, name to value. */
  rootXattrs?: Record<string, string>;
  /** Cache lifetimes in seconds (default 1). */
  timeout?: number;
}

/** Deterministic bytes (xorshift32), so tests can check reads without storing expected data. */
export function patternBytes(size: number, seed: number): Buffer {
  const buf = Buffer.alloc(size);
  let x = seed >>> 0 || 0x9e3779b9;
  let i = 0;
  for (; i + 4 <= size; i += 4) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    buf.writeUInt32LE(x, i);
  }
  for (; i < size; i++) buf[i] = (i * 31 + seed) & 0xff;
  return buf;
}

interface Node {
  id: number;
  name: string;
  parent: number;
  dir: boolean;
  data: Buffer;
  children: Map<string, number>;
  nlookup: number;
  /** The node's replies, built on first use (the tree is fixed once constructed, so they never change). */
  replies?: NodeReplies;
}

/** What LOOKUP and GETATTR answer about a node: frozen, shared by every reply. */
interface NodeReplies {
  readonly entry: EntryParam;
  readonly attr: AttrParam;
}

export class MemFs implements FileSystem {
  private readonly nodes = new Map<number, Node>();
  private nextFh = 1;
  private readonly openFiles = new Set<number>();
  private readonly timeout: number;
  private readonly rootXattrs: Map<string, Buffer>;
  /** Nodes the kernel forgot completely (for tests). */
  readonly forgotten: number[] = [];

  constructor(options: MemFsOptions) {
    this.timeout = options.timeout ?? 1;
    this.rootXattrs = new Map(Object.entries(options.rootXattrs ?? {}).map(([k, v]) => [k, Buffer.from(v)]));
    this.nodes.set(FUSE_ROOT_ID, {
      id: FUSE_ROOT_ID,
      name: '',
      parent: FUSE_ROOT_ID,
      dir: true,
      data: Buffer.alloc(0),
      children: new Map(),
      nlookup: 1,
    });
    for (const d of options.dirs ?? []) this.mkdirp(d);
    for (const [path, spec] of Object.entries(options.files)) {
      const parts = path.split('/').filter(Boolean);
      const name = parts.pop();
      if (!name) throw new Error(`bad path ${path}`);
      const parent = this.mkdirp(parts.join('/'));
      const data = typeof spec === 'string' ? Buffer.from(spec) : patternBytes(spec.size, spec.seed);
      this.add(parent, name, false, data);
    }
  }

  private add(parent: Node, name: string, dir: boolean, data: Buffer): Node {
    const id = this.nodes.size + 1;
    const n: Node = { id, name, parent: parent.id, dir, data, children: new Map(), nlookup: 0 };
    this.nodes.set(id, n);
    parent.children.set(name, id);
    return n;
  }

  private mkdirp(path: string): Node {
    let cur = this.nodes.get(FUSE_ROOT_ID)!;
    for (const part of path.split('/').filter(Boolean)) {
      const id = cur.children.get(part);
      cur = id !== undefined ? this.nodes.get(id)! : this.add(cur, part, true, Buffer.alloc(0));
      if (!cur.dir) throw new Error(`${path}: ${part} is a file`);
    }
    return cur;
  }

  private node(id: number): Node {
    const n = this.nodes.get(id);
    if (!n) throw new FuseErrno(Errno.ESTALE);
    return n;
  }

  /**
   * A node's replies, made once per node and shared by every reply (the session only reads them),
   * so that answering a LOOKUP or GETATTR allocates nothing.
   */
  private replies(n: Node): NodeReplies {
    return (n.replies ??= this.makeReplies(n));
  }

  private makeReplies(n: Node): NodeReplies {
    const attr = Object.freeze(this.makeAttr(n));
    const t = this.timeout;
    return Object.freeze({
      entry: Object.freeze({ nodeid: n.id, generation: 0, entryTimeout: t, attrTimeout: t, attr }),
      attr: Object.freeze({ attr, attrTimeout: t }),
    });
  }

  private makeAttr(n: Node): AttrValue {
    return makeAttr({
      ino: n.id,
      mode: n.dir ? S_IFDIR | 0o755 : S_IFREG | 0o644,
      nlink: n.dir ? 2 + [...n.children.values()].filter((c) => this.nodes.get(c)!.dir).length : 1,
      size: n.data.length,
      atime: 1_700_000_000,
      mtime: 1_700_000_000,
      ctime: 1_700_000_000,
    });
  }

  private entry(n: Node, count: boolean): EntryParam {
    if (count) n.nlookup++;
    return this.replies(n).entry;
  }

  /** The kernel's current lookup count of a node (for tests). */
  lookupCount(id: number): number {
    return this.nodes.get(id)?.nlookup ?? 0;
  }

  init(): InitWants {
    return { readdirplus: 'auto' };
  }

  lookup(req: LookupRequest): EntryParam {
    const dir = this.node(req.header.nodeid);
    if (!dir.dir) throw new FuseErrno(Errno.ENOTDIR);
    if (req.name === '.') return this.entry(dir, true);
    if (req.name === '..') return this.entry(this.node(dir.parent), true);
    const id = dir.children.get(req.name);
    if (id === undefined) throw new FuseErrno(Errno.ENOENT);
    return this.entry(this.node(id), true);
  }

  private forgetOne(id: number, n: number): void {
    const node = this.nodes.get(id);
    if (!node) return;
    node.nlookup = Math.max(0, node.nlookup - n);
    if (node.nlookup === 0 && id !== FUSE_ROOT_ID) this.forgotten.push(id);
  }

  forget(req: ForgetRequest): void {
    this.forgetOne(req.header.nodeid, req.nlookup);
  }

  batchForget(req: BatchForgetRequest): void {
    for (const f of req.nodes) this.forgetOne(f.nodeid, f.nlookup);
  }

  getattr(req: GetattrRequest): AttrParam {
    return this.replies(this.node(req.header.nodeid)).attr;
  }

  open(req: OpenRequest): OpenParam {
    const n = this.node(req.header.nodeid);
    if (n.dir) throw new FuseErrno(Errno.EISDIR);
    if ((req.flags & 3) !== 0) throw new FuseErrno(Errno.EROFS);
    const fh = this.nextFh++;
    this.openFiles.add(fh);
    return { fh, openFlags: FOPEN_KEEP_CACHE };
  }

  read(req: ReadRequest): Buffer {
    const n = this.node(req.header.nodeid);
    if (n.dir) throw new FuseErrno(Errno.EISDIR);
    if (req.offset >= n.data.length) return Buffer.alloc(0);
    return n.data.subarray(req.offset, Math.min(n.data.length, req.offset + req.size));
  }

  release(req: { fh: number }): void {
    this.openFiles.delete(req.fh);
  }

  opendir(req: OpendirRequest): OpenParam {
    if (!this.node(req.header.nodeid).dir) throw new FuseErrno(Errno.ENOTDIR);
    return { fh: 0 };
  }

  /** ".", "..", then children in insertion order; offset i means "start at entry i". */
  private listing(dirId: number): { name: string; node: Node }[] {
    const dir = this.node(dirId);
    if (!dir.dir) throw new FuseErrno(Errno.ENOTDIR);
    const out = [
      { name: '.', node: dir },
      { name: '..', node: this.node(dir.parent) },
    ];
    for (const [name, id] of dir.children) out.push({ name, node: this.node(id) });
    return out;
  }

  *readdirEntries(list: { name: string; node: Node }[], offset: number): Generator<DirEntry> {
    for (let i = offset; i < list.length; i++) {
      const { name, node } = list[i];
      yield { name, ino: node.id, off: i + 1, type: node.dir ? DT_DIR : DT_REG };
    }
  }

  readdir(req: ReaddirRequest): Iterable<DirEntry> {
    return this.readdirEntries(this.listing(req.header.nodeid), req.offset);
  }

  readdirplus(req: ReaddirplusRequest): Iterable<DirEntryPlus> {
    const list = this.listing(req.header.nodeid);
    // Entries are made lazily: entry() runs only for records that fit in the reply.
    return list.slice(req.offset).map(({ name, node }, k) => {
      const dots = name === '.' || name === '..';
      return { name, off: req.offset + k + 1, entry: () => this.entry(node, !dots) };
    });
  }

  statfs(): StatfsReply {
    let bytes = 0;
    for (const n of this.nodes.values()) bytes += n.data.length;
    return {
      blocks: Math.ceil(bytes / 4096),
      bfree: 0,
      bavail: 0,
      files: this.nodes.size,
      ffree: 0,
      bsize: 4096,
      namelen: 255,
    };
  }

  getxattr(req: GetxattrRequest): Buffer {
    const v = req.header.nodeid === FUSE_ROOT_ID ? this.rootXattrs.get(req.name) : undefined;
    if (!v) throw new FuseErrno(Errno.ENODATA);
    return v;
  }

  listxattr(req: ListxattrRequest): string[] {
    return req.header.nodeid === FUSE_ROOT_ID ? [...this.rootXattrs.keys()] : [];
  }
}

/** The factory the session worker loads: `startSession({ fsModule: require.resolve('.../memfs'), fsOptions })`. */
export function createFileSystem(options: unknown): MemFs {
  return new MemFs(options as MemFsOptions);
}
