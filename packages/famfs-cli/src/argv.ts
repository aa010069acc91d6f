/**
 * Arguments as the kernel passed them. Node decodes argv as UTF-8 and replaces every byte
 * sequence that is not UTF-8 with U+FFFD, so `bad\xff.bin` and `bad\xfe.bin` arrive as the same
 * string: a name would be silently changed, and two names would open one file. famfs names are
 * UTF-8 (docs/format.md), so the process entry refuses any argument whose bytes are not,
 * comparing argv with /proc/self/cmdline before a command runs.
 */
import * as fs from 'fs';
import { isUtf8 } from 'buffer';

/** This process's command line as the kernel keeps it (NUL-separated), or undefined where /proc cannot say. */
export function readCmdline(file = '/proc/self/cmdline'): Buffer | undefined {
  try {
    return fs.readFileSync(file);
  } catch {
    return undefined;
  }
}

/** The last `count` arguments of a command line as bytes, or undefined when it has fewer. */
export function rawArgs(count: number, all: Buffer): Buffer[] | undefined {
  const parts: Buffer[] = [];
  for (let at = 0; at < all.length;) {
    const nul = all.indexOf(0, at);
    const end = nul < 0 ? all.length : nul;
    parts.push(all.subarray(at, end));
    at = end + 1;
  }
  return parts.length >= count ? parts.slice(parts.length - count) : undefined;
}

/** The first argument whose raw bytes are not UTF-8 (index into `args`), or undefined. */
export function nonUtf8Argument(args: readonly string[], raw: readonly Buffer[] | undefined): number | undefined {
  if (!raw || raw.length !== args.length) return undefined;
  for (let i = 0; i < args.length; i++) {
    if (!isUtf8(raw[i])) return i;
    // A cmdline that does not match argv (rewritten by something) tells nothing: trust argv.
    if (raw[i].toString('utf8') !== args[i]) return undefined;
  }
  return undefined;
}

/** Bytes for a message: printable ASCII as is, anything else as \xHH (unambiguous, one line). */
export function showBytes(b: Buffer): string {
  return Array.from(b, (c) =>
    c >= 0x20 && c < 0x7f && c !== 0x5c ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, '0')}`,
  ).join('');
}

/**
 * The one-line refusal of an argument that is not UTF-8, or undefined when every argument is.
 * `prog` names the program ('famfs', 'mkfs.famfs').
 */
export function argvEncodingProblem(
  prog: string,
  args: readonly string[],
  cmdline = readCmdline(),
): string | undefined {
  // The usual case, all of it UTF-8, is one check of the whole line (a NUL is UTF-8): `creat` with
  // 10,000 -M options then splits nothing.
  if (cmdline === undefined || isUtf8(cmdline)) return undefined;
  const raw = rawArgs(args.length, cmdline);
  const i = nonUtf8Argument(args, raw);
  if (i === undefined) return undefined;
  return `${prog}: argument ${i + 1} ('${showBytes(raw![i])}') is not valid UTF-8; famfs paths and names must be UTF-8`;
}
