/**
 * Entry point of the session worker thread: builds the file system from the module named in
 * workerData, serves the /dev/fuse fd until the connection closes, and reports to the parent.
 * Runs from dist only (the worker is plain Node, without ts-jest).
 */
import { parentPort, workerData } from 'worker_threads';
import { FdTransport } from './transport';
import { Session } from './session';
import type { WorkerData, WorkerMessage } from './messages';
import type { FileSystem, FileSystemFactory } from '../filesystem';

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('worker.ts must run in a worker thread');
  const post = (m: WorkerMessage) => port.postMessage(m);
  const data = workerData as WorkerData;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(data.fsModule) as Record<string, unknown>;
    const factory = (mod[data.fsExport ?? 'createFileSystem'] ?? mod.default) as FileSystemFactory | undefined;
    if (typeof factory !== 'function')
      throw new Error(`${data.fsModule} exports no file system factory "${data.fsExport ?? 'createFileSystem'}"`);
    const fs: FileSystem = await factory(data.fsOptions, {
      log: (message, level) => post({ type: 'log', message, level }),
      post: (value, transfer) => port.postMessage({ type: 'fs', value } satisfies WorkerMessage, transfer ?? []),
    });
    const statsDue = data.statsDue ? new Int32Array(data.statsDue) : null;
    const transport = new FdTransport(data.fd, { ownsFd: false });
    const session: Session = new Session(fs, transport, {
      ...data.session,
      log: (message) => post({ type: 'log', message }),
      onInit: (init) => post({ type: 'init', init }),
      // Written by the parent: this thread must keep answering the requests a notification may wait for.
      notify: (iov) => {
        post({ type: 'notify', message: iov.length === 1 ? iov[0] : Buffer.concat(iov) });
      },
      // A plain load per message; the flag is set by the starting thread's timer.
      onMessage: statsDue
        ? () => {
            if (statsDue[0] === 0) return;
            Atomics.store(statsDue, 0, 0);
            post({ type: 'stats', stats: session.stats });
          }
        : undefined,
    });
    post({ type: 'ready' });
    const reason = session.run();
    transport.close();
    post({ type: 'exit', reason, stats: session.stats });
  } catch (e) {
    const err = e as Error;
    post({ type: 'error', message: err?.message ?? String(e), stack: err?.stack });
  }
}

void main();
