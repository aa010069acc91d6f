import * as fs from 'fs';

/** Where a command writes; tests pass their own to capture output. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

type Which = 'out' | 'err';
const FD: Record<Which, number> = { out: 1, err: 2 };

/** Set once a reader closed its end (`famfs ... | head`): nothing more goes to that stream. */
const closed = { out: false, err: false };
/** Set once a write would have blocked (a non-blocking fd): from then on Node's stream writes. */
const streamed = { out: false, err: false };

/**
 * Writes straight to fd 1 or 2 with write(2), as Node's own stdout does on Linux (synchronously),
 * but without creating process.stdout: that stream (a net.Socket for a pipe) costs every famfs
 * process the loading of Node's stream and socket modules. A closed pipe (EPIPE) is the reader's
 * choice, not an error: output to that stream stops quietly and the command still ends with its
 * own exit code. An fd that is non-blocking (EAGAIN) is handed to Node's stream, which waits.
 */
function write(which: Which, text: string): void {
  if (closed[which]) return;
  const bytes = Buffer.from(text, 'utf8');
  let done = 0;
  if (!streamed[which]) {
    try {
      while (done < bytes.length) done += fs.writeSync(FD[which], bytes, done);
      return;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') {
        closed[which] = true;
        return;
      }
      if (code !== 'EAGAIN') throw e;
      streamed[which] = true;
    }
  }
  streamOf(which).write(bytes.subarray(done));
}

/** process.stdout or process.stderr, with EPIPE made quiet as above. */
function streamOf(which: Which): NodeJS.WriteStream {
  const stream = which === 'out' ? process.stdout : process.stderr;
  if (stream.listenerCount('error') === 0) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e;
      closed[which] = true;
    });
  }
  return stream;
}

export const processIo: Io = {
  out: (t) => write('out', t),
  err: (t) => write('err', t),
};

/**
 * Makes a closed pipe quiet for output that goes through Node's own streams too (a command that
 * writes to process.stdout or process.stderr itself, such as cp's progress line).
 */
export function quietOnClosedPipes(): void {
  streamOf('out');
  streamOf('err');
}

export { UsageError } from './args/usage-error';
