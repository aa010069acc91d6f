/** Where a command writes; tests pass their own to capture output. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

/** Set once a reader closed its end (`famfs ... | head`): nothing more goes to that stream. */
const closed = { out: false, err: false };

export const processIo: Io = {
  out: (t) => {
    if (!closed.out) process.stdout.write(t);
  },
  err: (t) => {
    if (!closed.err) process.stderr.write(t);
  },
};

/**
 * A closed pipe is the reader's choice, not an error: EPIPE on stdout or stderr stops output to
 * that stream quietly, and the command still ends with its own exit code. Any other stream error
 * is left to Node's default handling.
 */
export function quietOnClosedPipes(): void {
  const guard = (stream: NodeJS.WriteStream, which: 'out' | 'err') => {
    if (stream.listenerCount('error') > 0) return;
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e;
      closed[which] = true;
    });
  };
  guard(process.stdout, 'out');
  guard(process.stderr, 'err');
}

export { UsageError } from './args/usage-error';
