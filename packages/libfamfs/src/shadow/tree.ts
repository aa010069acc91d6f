import * as fs from 'fs';
import * as path from 'path';
import { FamfsError } from '../errors';

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
    if (st.isSymbolicLink()) throw new FamfsError('ESYMLINK', `shadow path '${rel}' is a symlink; refusing to follow it`, { path: rel });
    return st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other';
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
      if (st.isSymbolicLink()) throw new FamfsError('ESYMLINK', `shadow path component '${parts.slice(0, i + 1).join('/')}' is a symlink`, { path: rel });
      if (!st.isDirectory()) throw new FamfsError('ENOTDIR', `shadow path component '${parts.slice(0, i + 1).join('/')}' is not a directory`, { path: rel });
    }
  }

  mkdir(rel: string, mode: number, uid: number, gid: number): void {
    const abs = this.resolve(rel);
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
    const abs = this.resolve(rel);
    const fd = fs.openSync(abs, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, mode);
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

  /** Replaces a regular file's content (the .meta files, rewritten at each mount). */
  writeFile(rel: string, content: string, mode = 0o644): void {
    if (this.kind(rel) === 'file') fs.rmSync(this.resolve(rel));
    this.createFile(rel, content, mode);
  }
}

/** Distinguishes the temporary files of one process. */

function readUmask(): number {
  const m = process.umask(0o022);
  process.umask(m);
  return m;
}

function chownIfRoot(p: string, uid: number, gid: number): void {
  if (process.getuid?.() === 0) fs.chownSync(p, uid, gid);
}

/** The shadow root of a shadow path: `<path>/root`, or the path itself when it ends in /root. */
export function shadowRootOf(shadowPath: string): string {
  const abs = path.resolve(shadowPath);
  return path.basename(abs) === 'root' ? abs : path.join(abs, 'root');
}

/**
 * Checks that a shadow path is usable: an existing, writable, real directory. Creates the
 * shadow root inside it when missing.
 */
export function prepareShadowRoot(shadowPath: string, create = true): string {
  const abs = path.resolve(shadowPath);
  const base = path.basename(abs) === 'root' ? path.dirname(abs) : abs;
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
  if (rst.isSymbolicLink() || !rst.isDirectory()) throw new FamfsError('ENOTDIR', `shadow root ${root} is not a real directory`, { path: root });
  return root;
}
