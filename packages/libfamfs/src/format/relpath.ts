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
  const n = path.length;
  if (n === 0) return 'empty path';
  // One pass over the characters (this runs for every entry of a replayed log): it finds a NUL,
  // anything beyond ASCII, and the first bad component. Of the problems found, the first in this
  // order is told: a NUL, a lone surrogate, the length, a leading '/', a bad component.
  let nul = false;
  let ascii = true;
  let badComponent: string | undefined;
  let start = 0;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? path.charCodeAt(i) : SLASH;
    if (c !== SLASH) {
      if (c === 0) nul = true;
      else if (c > 0x7f) ascii = false;
      continue;
    }
    const len = i - start;
    if (badComponent === undefined) {
      if (len === 0) badComponent = 'path has an empty component';
      else if (len <= 2 && path.charCodeAt(start) === DOT && (len === 1 || path.charCodeAt(start + 1) === DOT)) {
        badComponent = `path has a '${path.slice(start, i)}' component`;
      }
    }
    start = i + 1;
  }
  if (nul) return 'path contains a NUL byte';
  // An ASCII string is its own UTF-8: one byte a character, and no surrogate.
  if (!ascii && LONE_SURROGATE.test(path)) return 'path is not valid Unicode (a lone UTF-16 surrogate)';
  if ((ascii ? n : Buffer.byteLength(path, 'utf8')) > MAX_PATHLEN - 1)
    return `path is longer than ${MAX_PATHLEN - 1} bytes`;
  if (path.charCodeAt(0) === SLASH) return 'path is absolute';
  return badComponent;
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
        // One scan finds the NUL and whether every byte before it is ASCII: the common path,
        // which is its own UTF-8 and needs no check before it is decoded.
        const end = at + MAX_PATHLEN;
        let nul = at;
        let ascii = true;
        for (; nul < end && b[nul] !== 0; nul++) if (b[nul] > 0x7f) ascii = false;
        if (nul === end) throw new FamfsError('EBADENTRY', 'path is not NUL-terminated within 80 bytes');
        if (!ascii && !isUtf8(b.subarray(at, nul))) throw new FamfsError('EBADENTRY', 'path is not valid UTF-8');
        const path = b.toString(ascii ? 'latin1' : 'utf8', at, nul);
        const p = relpathProblem(path);
        if (p) throw new FamfsError('EBADENTRY', `${p}: '${path}'`);
        return path;
      },
      write: (b, at, v) => {
        checkRelpath(v);
        // An ASCII path is its own UTF-8: stored a character a byte, then the rest of the field zeroed.
        const n = v.length;
        let i = 0;
        for (; i < n; i++) {
          const c = v.charCodeAt(i);
          if (c > 0x7f) break;
          b[at + i] = c;
        }
        if (i < n) i = b.write(v, at, 'utf8');
        for (; i < MAX_PATHLEN; i++) b[at + i] = 0;
      },
    },
  };
}
