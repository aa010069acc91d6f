import { isUtf8 } from 'buffer';
import { FamfsError } from '../errors';
import { Field } from '@famfs/struct';
import { MAX_PATHLEN } from './constants';

/**
 * Why a famfs relative path is unacceptable, or undefined when it is fine. famfs paths are
 * relative to the mount point: no leading '/', no empty, '.' or '..' components, no NUL, valid
 * UTF-8, and short enough to leave room for the NUL in an 80-byte field.
 *
 * Paths are UTF-8 end to end, refused rather than converted: bytes that are not UTF-8 are refused
 * where they are read (the log field below, argv, FUSE names, shadow names), and a string that has
 * no exact UTF-8 form (a lone UTF-16 surrogate, which Buffer would write as U+FFFD) is refused here.
 */
const SLASH = 0x2f;
const DOT = 0x2e;
const LONE_SURROGATE = /\p{Cs}/u;

export function relpathProblem(path: string): string | undefined {
  if (path.length === 0) return 'empty path';
  if (path.includes('\0')) return 'path contains a NUL byte';
  if (LONE_SURROGATE.test(path)) return 'path is not valid Unicode (a lone UTF-16 surrogate)';
  if (Buffer.byteLength(path, 'utf8') > MAX_PATHLEN - 1) return `path is longer than ${MAX_PATHLEN - 1} bytes`;
  if (path.charCodeAt(0) === SLASH) return 'path is absolute';
  // One pass over the components (this runs for every entry of a replayed log).
  let start = 0;
  for (let i = 0; i <= path.length; i++) {
    if (i < path.length && path.charCodeAt(i) !== SLASH) continue;
    const len = i - start;
    if (len === 0) return 'path has an empty component';
    if (len <= 2 && path.charCodeAt(start) === DOT && (len === 1 || path.charCodeAt(start + 1) === DOT)) {
      return `path has a '${path.slice(start, i)}' component`;
    }
    start = i + 1;
  }
  return undefined;
}

export function checkRelpath(path: string, what = 'path'): string {
  const p = relpathProblem(path);
  if (p) throw new FamfsError('EINVAL', `invalid ${what} '${path}': ${p}`, { path });
  return path;
}

/**
 * The relpath field of file and mkdir entries: NUL-terminated UTF-8 in MAX_PATHLEN bytes.
 * Decoding throws EBADENTRY when the bytes are not a valid famfs path; encoding checks the same.
 */
export function relpathField(offset: number): Field<string> {
  return {
    offset,
    codec: {
      size: MAX_PATHLEN,
      read: (b, at) => {
        const nul = b.indexOf(0, at);
        if (nul < 0 || nul >= at + MAX_PATHLEN)
          throw new FamfsError('EBADENTRY', 'path is not NUL-terminated within 80 bytes');
        const raw = b.subarray(at, nul);
        if (!isUtf8(raw)) throw new FamfsError('EBADENTRY', 'path is not valid UTF-8');
        const path = raw.toString('utf8');
        const p = relpathProblem(path);
        if (p) throw new FamfsError('EBADENTRY', `${p}: '${path}'`);
        return path;
      },
      write: (b, at, v) => {
        checkRelpath(v);
        b.fill(0, at, at + MAX_PATHLEN);
        b.write(v, at, 'utf8');
      },
    },
  };
}
