/**
 * A bad command line: an unknown option, a missing or malformed value, the wrong number of
 * arguments, options that exclude each other. The runner prints the message and a pointer to
 * --help, and exits with `exitCode` (1 unless the C famfs uses another code for that mistake).
 */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}
