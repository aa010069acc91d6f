/**
 * How a GET_FMAP answer reaches the kernel, by the profile's rules: whole; its header alone with
 * fmap_size set, when it does not fit the kernel's buffer but the profile sizes replies (the
 * kernel then asks again with a buffer of exactly that size); or not at all when it is larger
 * than the kernel ever accepts, answered EFBIG as the push kernel itself answers past its largest
 * buffer (with V10's single page no retry exists, so the same rule applies at 4 KiB).
 */
import { Errno } from '../errors';
import type { AbiProfile } from './profiles';

export type FmapReplyPlan =
  | { readonly send: 'whole' }
  | { readonly send: 'header-only' }
  | { readonly send: 'none'; readonly errno: number; readonly why: string };

/** Why an fmap of `bytes` can never reach this profile's kernel, or undefined when it can. */
export function fmapTooLarge(bytes: number, profile: AbiProfile): string | undefined {
  if (bytes <= profile.maxFmapBytes) return undefined;
  return `fmap of ${bytes} bytes exceeds the ${profile.maxFmapBytes} bytes the kernel accepts (${profile.name})`;
}

/** The plan for an fmap of `bytes` asked for with a reply buffer of `bufferSize`. */
export function planFmapReply(bytes: number, bufferSize: number, profile: AbiProfile): FmapReplyPlan {
  const tooLarge = fmapTooLarge(bytes, profile);
  if (tooLarge) return { send: 'none', errno: Errno.EFBIG, why: tooLarge };
  if (bytes <= bufferSize) return { send: 'whole' };
  if (profile.fmapSizing) return { send: 'header-only' };
  return {
    send: 'none',
    errno: Errno.EFBIG,
    why: `fmap of ${bytes} bytes exceeds the ${bufferSize}-byte reply buffer`,
  };
}
