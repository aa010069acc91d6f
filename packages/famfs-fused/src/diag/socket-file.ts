/**
 * The socket file's life on disk: what may be replaced, where to bind, and removing only our own.
 *
 * We bind to a temporary name in the same directory, chmod it, then rename() it over the final
 * path. Two reasons: the socket never appears at the public path with a umask mode (C binds, then
 * chmods), and libuv unlinks the *bound* path by name when the server closes, even if the file
 * there has since been replaced (checked on Node 20). Binding elsewhere means a second daemon's
 * socket at the public path is never deleted by our close(); we unlink the public path ourselves,
 * only while it is still our inode.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { fitsSunPath } from './paths';

/** dev/ino of the socket we created, to recognise it later. */
export interface FileIdentity {
  dev: number;
  ino: number;
}

/**
 * Throws unless `p` is absent or a socket (which a new socket may replace: the C daemon unlinks
 * whatever is there, we only replace sockets so a mistyped path cannot delete a user's file).
 * Returns whether a socket is present.
 */
export function checkReplaceable(p: string): boolean {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new Error(`diagnostics socket ${p}: ${(e as Error).message}`, { cause: e });
  }
  if (!st.isSocket()) {
    throw new Error(`diagnostics socket ${p}: refusing to replace an existing file that is not a socket`);
  }
  return true;
}

/**
 * A fresh name next to `target` to bind first, or null if such a name would not fit in sun_path
 * (the target itself still may: then we bind it directly, as C does).
 */
export function tempBindPath(target: string): string | null {
  const name = `.${path.basename(target)}.${crypto.randomBytes(3).toString('hex')}`;
  const p = path.join(path.dirname(target), name);
  return fitsSunPath(p) ? p : null;
}

export function identityOf(p: string): FileIdentity {
  const st = fs.lstatSync(p);
  return { dev: st.dev, ino: st.ino };
}

/** Unlinks `p` if it is still the socket we created; anything else there is left alone. */
export function removeIfOurs(p: string, id: FileIdentity): void {
  try {
    const st = fs.lstatSync(p);
    if (st.isSocket() && st.dev === id.dev && st.ino === id.ino) fs.unlinkSync(p);
  } catch {
    // Already gone (or unreadable): nothing of ours to remove.
  }
}

/** Best-effort unlink for cleanup paths that must not throw. */
export function unlinkQuietly(p: string): void {
  try {
    fs.unlinkSync(p);
  } catch {
    // Nothing to clean up.
  }
}
