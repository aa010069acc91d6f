import { isFamfsError } from '@famfs/libfamfs/common';

/** The C famfs' exit_val: |rc| capped at 127. */
export function exitVal(rc: number): number {
  return Math.min(Math.abs(rc), 127);
}

/** One line for any error a command did not handle itself. */
export function describeError(e: unknown): string {
  return oneLine(messageOf(e));
}

function messageOf(e: unknown): string {
  if (isFamfsError(e)) return e.message;
  if (e instanceof Error) {
    const code = (e as NodeJS.ErrnoException).code;
    return code && !e.message.includes(code) ? `${e.message} (${code})` : e.message;
  }
  return String(e);
}

/** A control character (a newline in a path someone typed) as \xHH, so that a message stays one line. */
export function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what this replaces
  return text.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** The errno-based exit code for an unhandled error. */
export function exitCodeOf(e: unknown): number {
  if (isFamfsError(e)) return exitVal(e.errno);
  const errno = (e as NodeJS.ErrnoException | undefined)?.errno;
  return typeof errno === 'number' ? exitVal(errno) : 1;
}
