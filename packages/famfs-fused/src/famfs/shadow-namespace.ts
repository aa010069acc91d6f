/**
 * The famfs tree served from a shadow tree (<shadow>/root), as the C famfs_fused serves it:
 * directories pass through with their shadow stat; a regular shadow file is a YAML file (at most
 * 16 KiB, read with libfamfs' hardened reader) that becomes a famfs file. Anything else (symlinks,
 * sockets, bad YAML, a map that cannot hold the file) is not served: ENOENT and one log line.
 * Used with `-o serve=shadow`, and when no daxdev is given (there is no log to read then).
 */
import * as fs from 'fs';
import * as path from 'path';
import { Errno, FuseErrno } from '@famfs/fuse';
import type { AttrValue } from '@famfs/fuse';
import type { FileEntry } from '@famfs/libfamfs/format';
import { readShadowEntryFile } from '@famfs/libfamfs/shadow';
import { dirAttr, fileAttr } from './attrs';
import { listShadowDir } from './shadow-dir';
import type { DirListing, Namespace, NsObject } from './namespace';

/** What child() found, with the stat the identity came from (load() checks the file it reads is that one). */
interface ShadowObject extends NsObject {
  readonly st: fs.BigIntStats;
}

export interface ShadowNamespaceOptions {
  /** The device size, to check each file's map against (no check without a device). */
  devSize?: number;
  logOnce: (key: string, message: string) => void;
}

export class ShadowNamespace implements Namespace {
  readonly source = 'shadow';

  constructor(
    readonly shadowRoot: string,
    private readonly opts: ShadowNamespaceOptions,
  ) {
    let st: fs.BigIntStats;
    try {
      st = fs.lstatSync(shadowRoot, { bigint: true });
    } catch (e) {
      throw new Error(`shadow root ${shadowRoot} is missing: ${(e as Error).message}`, { cause: e });
    }
    if (!st.isDirectory()) throw new Error(`shadow root ${shadowRoot} is not a directory`);
  }

  private abs(rel: string): string {
    return rel === '' ? this.shadowRoot : path.join(this.shadowRoot, rel);
  }

  root(): { attr: AttrValue; ino: number } {
    const st = fs.lstatSync(this.shadowRoot, { bigint: true });
    return { attr: dirAttr(st), ino: Number(st.ino) };
  }

  child(dirPath: string, name: string): NsObject | undefined {
    const rel = dirPath === '' ? name : `${dirPath}/${name}`;
    let st: fs.BigIntStats;
    try {
      st = fs.lstatSync(this.abs(rel), { bigint: true });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      if (code === 'ENAMETOOLONG') throw new FuseErrno(Errno.ENAMETOOLONG);
      throw new FuseErrno(Errno.EIO, (e as Error).message);
    }
    const kind = st.isDirectory() ? 'dir' : st.isFile() ? 'file' : null;
    if (kind) {
      const found: ShadowObject = { kind, ino: Number(st.ino), st };
      return found;
    }
    this.opts.logOnce(
      `other:${rel}:${st.ino}`,
      `shadow entry ${rel} is neither a directory nor a regular file; answering ENOENT`,
    );
    return undefined;
  }

  load(rel: string, obj: NsObject): { attr: AttrValue; entry?: FileEntry } {
    const st = (obj as ShadowObject).st;
    if (obj.kind === 'dir') return { attr: dirAttr(st) };
    const entry = this.loadFile(rel, st);
    return { attr: fileAttr(st, entry), entry };
  }

  dirAttr(rel: string, ino: number): AttrValue | undefined {
    try {
      const st = fs.lstatSync(this.abs(rel), { bigint: true });
      return st.isDirectory() && Number(st.ino) === ino ? dirAttr(st) : undefined;
    } catch {
      return undefined; // gone from the shadow tree: the caller keeps what it had
    }
  }

  list(rel: string): DirListing {
    const entries = listShadowDir(this.abs(rel), (k, m) => this.opts.logOnce(k, m), rel);
    return { at: (i) => entries[i] };
  }

  /** Reads and checks a shadow YAML file; throws FuseErrno ENOENT (logged) when it is not a usable famfs file. */
  private loadFile(rel: string, st: fs.BigIntStats): FileEntry {
    const checkFmap = this.opts.devSize !== undefined ? { devSize: this.opts.devSize } : {};
    const r = readShadowEntryFile(this.abs(rel), { expectIno: st.ino, checkFmap });
    if (r.ok) return r.entry;
    this.opts.logOnce(
      `bad:${rel}:${st.ino}:${st.mtimeNs}`,
      `shadow file ${rel}: ${r.problem.message}; answering ENOENT`,
    );
    throw new FuseErrno(Errno.ENOENT, r.problem.message);
  }
}
