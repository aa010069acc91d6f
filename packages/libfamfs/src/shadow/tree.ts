import * as fs from 'fs';
import * as path from 'path';
import { FamfsError } from '../errors';
import { readUpTo } from '../checked-open';
import { FmapBounds, fmapProblem } from '../format/fmap';
import { FileEntry } from '../format/log-entry';
import { parseShadowYaml, SHADOW_YAML_MAX } from './yaml-parse';

/**
 * Safe creation inside a shadow root. Log paths come from another host, so every component is
 * checked with lstat: an existing component must be a real directory (never a symlink), and new
 * files are created with O_EXCL|O_NOFOLLOW so nothing is written outside the root.
 */
export class ShadowTree {
  /** The process umask, read once: a chmod after create is needed only when it clears mode bits. */
  private readonly umask = readUmask();

  constructor(readonly root: string) {}

  /** Absolute path of a validated relative path under the root. */
  resolve(rel: string): string {
    const abs = path.resolve(this.root, rel);
    if (abs !== this.root && !abs.startsWith(this.root + path.sep)) {
      throw new FamfsError('EINVAL', `path '${rel}' would leave the shadow root ${this.root}`, { path: rel });
    }
    return abs;
  }

  /** What is at `rel`: 'dir', 'file', 'other' or undefined; refuses symlinks on the way. */
  kind(rel: string): 'dir' | 'file' | 'other' | undefined {
    this.checkParents(rel);
    let st: fs.Stats;
    try {
      st = fs.lstatSync(this.resolve(rel));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    if (st.isSymbolicLink())
      throw new FamfsError('ESYMLINK', `shadow path '${rel}' is a symlink; refusing to follow it`, { path: rel });
    return st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other';
  }

  /**
   * Reads the shadow YAML file at `rel` with readShadowEntryFile, after checking that no
   * directory on the way is a symlink (a problem of kind 'unsafe-path' when one is).
   */
  readEntry(rel: string, opts: ReadShadowEntryOptions = {}): ShadowEntryRead {
    try {
      this.checkParents(rel);
    } catch (e) {
      if (e instanceof FamfsError) return { ok: false, problem: { kind: 'unsafe-path', message: e.message } };
      throw e;
    }
    return readShadowEntryFile(this.resolve(rel), opts);
  }

  /** Every existing ancestor of `rel` must be a real directory. */
  private checkParents(rel: string): void {
    const parts = rel.split('/');
    let cur = this.root;
    for (let i = 0; i < parts.length - 1; i++) {
      cur = path.join(cur, parts[i]);
      let st: fs.Stats;
      try {
        st = fs.lstatSync(cur);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw e;
      }
      if (st.isSymbolicLink())
        throw new FamfsError('ESYMLINK', `shadow path component '${parts.slice(0, i + 1).join('/')}' is a symlink`, {
          path: rel,
        });
      if (!st.isDirectory())
        throw new FamfsError(
          'ENOTDIR',
          `shadow path component '${parts.slice(0, i + 1).join('/')}' is not a directory`,
          { path: rel },
        );
    }
  }

  mkdir(rel: string, mode: number, uid: number, gid: number): void {
    this.mkdirAt(this.resolve(rel), mode, uid, gid);
  }

  /** mkdir at an absolute path already known to be inside the root (see ShadowPlayer). */
  mkdirAt(abs: string, mode: number, uid: number, gid: number): void {
    fs.mkdirSync(abs, { mode });
    if ((mode & this.umask) !== 0 || mode > 0o777) fs.chmodSync(abs, mode);
    chownIfRoot(abs, uid, gid);
  }

  /**
   * Creates a new regular file with `content` (one write); fails with EEXIST if anything is there.
   * A writer killed between the create and the write leaves an empty file: the daemon serves no
   * entry for it and logplay rewrites it from the log (see isEmptyFile).
   */
  createFile(rel: string, content: string, mode = 0o644): void {
    this.createFileAt(this.resolve(rel), content, mode);
  }

  /** createFile at an absolute path already known to be inside the root (see ShadowPlayer). */
  createFileAt(abs: string, content: string, mode = 0o644): void {
    const fd = fs.openSync(
      abs,
      fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW,
      mode,
    );
    try {
      fs.writeSync(fd, content);
      if ((mode & this.umask) !== 0 || mode > 0o777) fs.fchmodSync(fd, mode);
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Whether `rel` is a regular file of size 0: a creation cut short before its one write. */
  isEmptyFile(rel: string): boolean {
    const st = fs.lstatSync(this.resolve(rel));
    return st.isFile() && st.size === 0;
  }

  /**
   * Replaces a regular file's content (the .meta files, rewritten at each mount). Another writer
   * of the tree may create the file between the removal and the create: then once more.
   */
  writeFile(rel: string, content: string, mode = 0o644): void {
    for (let attempt = 0; ; attempt++) {
      if (this.kind(rel) === 'file') fs.rmSync(this.resolve(rel), { force: true });
      try {
        this.createFile(rel, content, mode);
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw e;
      }
    }
  }
}

function readUmask(): number {
  const m = process.umask(0o022);
  process.umask(m);
  return m;
}

function chownIfRoot(p: string, uid: number, gid: number): void {
  if (process.getuid?.() === 0) fs.chownSync(p, uid, gid);
}

/** The directory of a shadow path that holds the served tree (beside it: the daemon's files). */
export const SHADOW_ROOT_NAME = 'root';

/** The shadow root of a shadow path: `<path>/root`, or the path itself when it ends in /root. */
export function shadowRootOf(shadowPath: string): string {
  const abs = path.resolve(shadowPath);
  return path.basename(abs) === SHADOW_ROOT_NAME ? abs : path.join(abs, SHADOW_ROOT_NAME);
}

/**
 * Checks that a shadow path is usable: an existing, writable, real directory. Creates the
 * shadow root inside it when missing.
 */
export function prepareShadowRoot(shadowPath: string, create = true): string {
  const abs = path.resolve(shadowPath);
  const base = path.basename(abs) === SHADOW_ROOT_NAME ? path.dirname(abs) : abs;
  let st: fs.Stats;
  try {
    st = fs.lstatSync(base);
  } catch {
    throw new FamfsError('ENOENT', `shadow path ${base} does not exist`, { path: base });
  }
  if (st.isSymbolicLink()) throw new FamfsError('ESYMLINK', `shadow path ${base} is a symlink`, { path: base });
  if (!st.isDirectory()) throw new FamfsError('ENOTDIR', `shadow path ${base} is not a directory`, { path: base });
  try {
    fs.accessSync(base, fs.constants.W_OK);
  } catch {
    throw new FamfsError('EINVAL', `shadow path ${base} is not writable`, { path: base });
  }
  const root = shadowRootOf(abs);
  if (create) {
    try {
      fs.mkdirSync(root, { mode: 0o755 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  const rst = fs.lstatSync(root);
  if (rst.isSymbolicLink() || !rst.isDirectory())
    throw new FamfsError('ENOTDIR', `shadow root ${root} is not a real directory`, { path: root });
  return root;
}

/** Why a shadow entry file is not a famfs file that can be served. */
export type ShadowEntryProblemKind =
  | 'missing'
  | 'directory'
  /** A symlink, fifo, socket or device: never followed or opened for reading. */
  | 'not-a-file'
  /** A directory on the way is a symlink or not a directory (ShadowTree.readEntry only). */
  | 'unsafe-path'
  | 'too-large'
  /** Not the file the caller stat'ed (opts.expectIno): it was replaced in between. */
  | 'changed'
  | 'unreadable'
  | 'bad-yaml'
  /** The YAML parsed but its map cannot describe the file (opts.checkFmap). */
  | 'bad-fmap';

export interface ShadowEntryProblem {
  kind: ShadowEntryProblemKind;
  /** One line, without the file name (callers say which file). */
  message: string;
}

export type ShadowEntryRead = { ok: true; entry: FileEntry } | { ok: false; problem: ShadowEntryProblem };

export interface ReadShadowEntryOptions {
  /** The inode the caller found at the path (lstat): anything else there now is 'changed'. */
  expectIno?: number | bigint;
  /** Also check the map with fmapProblem against what is known of the device ('bad-fmap'). */
  checkFmap?: FmapBounds;
}

/**
 * Reads one shadow YAML file, the one hardened way (the daemon serves files from these, and
 * anyone who can write the shadow tree, or a log another host wrote, decides what is in them):
 * - opened O_NOFOLLOW (a symlink is refused, never followed) and O_NONBLOCK (a fifo swapped in
 *   cannot hang the reader), then fstat'ed: only a regular file is read, and with `expectIno`
 *   only the file the caller saw;
 * - at most SHADOW_YAML_MAX bytes: larger is refused by its size and again by what a read loop
 *   gets (a file growing meanwhile), and short reads are continued;
 * - parsed strictly (parseShadowYaml), then the map checked when `checkFmap` is given.
 * Never throws for what is in the file system: every refusal is a typed problem.
 */
export function readShadowEntryFile(file: string, opts: ReadShadowEntryOptions = {}): ShadowEntryRead {
  const fail = (kind: ShadowEntryProblemKind, message: string): ShadowEntryRead => ({
    ok: false,
    problem: { kind, message },
  });
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return fail('missing', 'does not exist');
    if (code === 'ELOOP') return fail('not-a-file', 'is a symlink');
    return fail('unreadable', `cannot open: ${(e as Error).message}`);
  }
  let text: Buffer;
  try {
    const st = fs.fstatSync(fd, { bigint: true });
    if (st.isDirectory()) return fail('directory', 'is a directory');
    if (!st.isFile()) return fail('not-a-file', 'is not a regular file');
    if (opts.expectIno !== undefined && st.ino !== BigInt(opts.expectIno))
      return fail('changed', 'changed while being read');
    if (st.size > BigInt(SHADOW_YAML_MAX))
      return fail('too-large', `${st.size} bytes is larger than the ${SHADOW_YAML_MAX}-byte limit`);
    text = readUpTo(fd, SHADOW_YAML_MAX);
    if (text.length > SHADOW_YAML_MAX) return fail('too-large', `larger than the ${SHADOW_YAML_MAX}-byte limit`);
  } catch (e) {
    return fail('unreadable', `cannot read: ${(e as Error).message}`);
  } finally {
    fs.closeSync(fd);
  }
  let entry: FileEntry;
  try {
    entry = parseShadowYaml(text, file);
  } catch (e) {
    if (!(e instanceof FamfsError)) throw e;
    return fail('bad-yaml', typeof e.details.problem === 'string' ? e.details.problem : e.message);
  }
  if (opts.checkFmap) {
    const why = fmapProblem(entry.fmap, entry.size, opts.checkFmap);
    if (why) return fail('bad-fmap', why);
  }
  return { ok: true, entry };
}
