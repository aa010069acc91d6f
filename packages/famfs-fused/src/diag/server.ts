/**
 * The famfs_fused diagnostics socket: HTTP/1.x on a Unix socket, answering like the C daemon's
 * mongoose server (interop reference §1.2, §1.3), built on node:http.
 *
 * One request per connection: every reply carries `Connection: close` and the socket is closed
 * after it. A request pipelined behind the first is neither run nor answered (C answers it too;
 * node:http would queue a reply it never sends after `Connection: close`, and running its side
 * effects unanswered would be worse).
 *
 * The socket is reachable by anything with group access to the shadow directory, so it must not be
 * able to hurt the daemon: timeouts on headers, on the whole request and on idle sockets, a cap on
 * connections, on header size and count and on body bytes, one 400 for unparsable input, and no
 * exception from a client, a provider or the server itself ever escapes to the process.
 *
 * Differences from C that come from node:http (see also routes.ts):
 * - HEAD gets the headers of the GET reply (Content-Length of the body it would carry) but no
 *   body: node:http drops a HEAD body. C sends the body, which breaks HTTP framing; curl -I is
 *   happy either way. Endpoint side effects (the /icache_dump log) still happen, as in C.
 * - Methods llhttp does not know (`FOO /pid`) and lower-case methods are unparsable here (400);
 *   mongoose accepts any token, so C answers them like any other method.
 * - Content-Length is written as plain `Content-Length: N`, without mongoose's space padding.
 * - Client errors that C never produces (timeouts, oversized headers or bodies) end with the same
 *   400 as an unparsable request, or a bare close once a request has been dispatched.
 */
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as path from 'path';
import type { Duplex } from 'stream';
import { fitsSunPath, SUN_PATH_MAX } from './paths';
import { DiagnosticsProvider } from './provider';
import { answer, BAD_REQUEST, bodyBytesWanted, DiagReply, INTERNAL_ERROR, rawReply, requestPath } from './routes';
import { checkReplaceable, FileIdentity, identityOf, removeIfOurs, tempBindPath, unlinkQuietly } from './socket-file';

export interface DiagnosticsSocketOptions {
  /** Where server errors and provider exceptions go; client misbehaviour is only counted. */
  log?: (message: string) => void;
  /** Mode of the socket file (C: 0660). */
  mode?: number;
  /** Connections beyond this are closed at accept (node:http server.maxConnections). */
  maxConnections?: number;
  /** A connection must complete its request headers within this time (also bounds idle connects). */
  headersTimeoutMs?: number;
  /** A connection must complete its whole request (headers and body) within this time. */
  requestTimeoutMs?: number;
  /** A socket with no traffic for this long is destroyed (covers clients that stop reading). */
  idleTimeoutMs?: number;
  /** Limit on the request line plus headers, in bytes. */
  maxHeaderBytes?: number;
  /** Headers beyond this count are ignored. */
  maxHeadersCount?: number;
  /** A larger request body (declared or streamed) gets 400 and the connection is closed. */
  maxBodyBytes?: number;
}

export interface DiagnosticsCounters {
  /** Requests with complete headers (the first on each connection), whatever their reply. */
  requests: number;
  /** Unparsable requests, timeouts and oversized headers or bodies. */
  clientErrors: number;
  /** Connections closed at accept because maxConnections was reached. */
  dropped: number;
  /** Provider calls that threw (answered 500). */
  providerErrors: number;
}

export interface DiagnosticsSocket {
  /** The public socket path (absolute). */
  readonly path: string;
  /** Connections currently open. */
  connections(): number;
  counters(): DiagnosticsCounters;
  /**
   * Stops listening, destroys every open connection, waits until they are closed and unlinks the
   * socket file if it is still ours. Idempotent: later calls return the same promise.
   */
  close(): Promise<void>;
}

export const DIAG_DEFAULTS = {
  mode: 0o660,
  // Well above a handful of scripts and the C listen(64) backlog, well below the fd limit.
  maxConnections: 256,
  // Local clients send a request in one write; seconds are generous and still shed slow-loris fast.
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  idleTimeoutMs: 15_000,
  maxHeaderBytes: 8 * 1024,
  maxHeadersCount: 32,
  // Only 31 body bytes matter; the rest is read and dropped up to this cap.
  maxBodyBytes: 64 * 1024,
};

type Settings = typeof DIAG_DEFAULTS & { log: (message: string) => void };

function settingsOf(opts: DiagnosticsSocketOptions): Settings {
  const s: Settings = { ...DIAG_DEFAULTS, log: () => {} };
  for (const key of Object.keys(DIAG_DEFAULTS) as (keyof typeof DIAG_DEFAULTS)[]) {
    const v = opts[key];
    if (v === undefined) continue;
    if (!Number.isSafeInteger(v) || v < (key === 'mode' ? 0 : 1)) {
      throw new RangeError(`diagnostics socket option ${key}: bad value ${String(v)}`);
    }
    s[key] = v;
  }
  if (opts.log) s.log = opts.log;
  // node:http refuses this combination at construction; say which of our options is wrong.
  if (s.headersTimeoutMs > s.requestTimeoutMs) {
    throw new RangeError('diagnostics socket: headersTimeoutMs must not exceed requestTimeoutMs');
  }
  return s;
}

interface ConnState {
  /** A request on this connection reached the router (later ones are ignored). */
  dispatched: boolean;
  /** Reply bytes were handed to the socket (never reply twice). */
  replied: boolean;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function listen(server: http.Server, p: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error): void => {
      server.off('listening', onListening);
      reject(e);
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(p);
  });
}

/**
 * Creates the socket at `sockPath` (see paths.ts diagSocketPath) and serves `provider` on it.
 * Rejects if the path is too long for sun_path, holds something other than a socket, or cannot be
 * bound; a stale socket file is replaced.
 */
export async function startDiagnosticsSocket(
  sockPath: string,
  provider: DiagnosticsProvider,
  opts: DiagnosticsSocketOptions = {},
): Promise<DiagnosticsSocket> {
  const s = settingsOf(opts);
  const target = path.resolve(sockPath);
  if (!fitsSunPath(target)) {
    const max = SUN_PATH_MAX - 1;
    throw new Error(`diagnostics socket ${target}: path longer than ${max} bytes cannot be bound`);
  }
  const stale = checkReplaceable(target);
  const temp = tempBindPath(target);
  // Without room for a temporary name, bind the target itself: the stale socket must go first.
  if (temp === null && stale) unlinkQuietly(target);
  const bindPath = temp ?? target;

  const counters: DiagnosticsCounters = { requests: 0, clientErrors: 0, dropped: 0, providerErrors: 0 };
  const open = new Set<net.Socket>();
  const states = new WeakMap<Duplex, ConnState>();
  const stateOf = (socket: Duplex): ConnState => {
    let st = states.get(socket);
    if (!st) {
      st = { dispatched: false, replied: false };
      states.set(socket, st);
    }
    return st;
  };

  const safeAnswer = (method: string, p: string, body: Buffer): DiagReply => {
    try {
      return answer(provider, method, p, body);
    } catch (e) {
      counters.providerErrors++;
      s.log(`diagnostics: ${method} ${JSON.stringify(p)}: provider failed: ${errorText(e)}`);
      return INTERNAL_ERROR;
    }
  };

  const send = (socket: Duplex, res: http.ServerResponse, reply: DiagReply): void => {
    const st = stateOf(socket);
    if (st.replied || socket.destroyed) return;
    st.replied = true;
    const body = Buffer.from(reply.body);
    const headers: string[] = [];
    if (reply.contentType !== undefined) headers.push('Content-Type', reply.contentType);
    // `Connection: close` also makes node:http end the socket once the reply is flushed.
    headers.push('Connection', 'close', 'Content-Length', String(body.length));
    res.writeHead(reply.status, reply.reason, headers);
    res.end(body);
  };

  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const socket = req.socket;
    req.on('error', () => {}); // aborted by the client: the socket is going away anyway
    res.on('error', (e) => s.log(`diagnostics: reply failed: ${errorText(e)}`));
    res.sendDate = false; // C sends no Date header
    const st = stateOf(socket);
    if (st.dispatched) {
      req.resume();
      return;
    }
    st.dispatched = true;
    counters.requests++;

    const method = req.method ?? '';
    const p = requestPath(req.url ?? '');
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > s.maxBodyBytes) {
      counters.clientErrors++;
      send(socket, res, BAD_REQUEST);
      return;
    }
    // Only reached through 'checkContinue': let the client send the body we are going to read.
    if (/^100-continue$/i.test(req.headers.expect ?? '')) res.writeContinue();

    // Like mongoose, answer once the whole body is in, keeping only the bytes the reply depends on.
    const want = bodyBytesWanted(method, p);
    const kept: Buffer[] = [];
    let keptBytes = 0;
    let total = 0;
    let finished = false;
    req.on('data', (chunk: Buffer) => {
      if (finished) return;
      total += chunk.length;
      if (total > s.maxBodyBytes) {
        finished = true;
        counters.clientErrors++;
        send(socket, res, BAD_REQUEST);
        return;
      }
      if (keptBytes < want) {
        const part = Buffer.from(chunk.subarray(0, want - keptBytes));
        kept.push(part);
        keptBytes += part.length;
      }
    });
    req.on('end', () => {
      if (finished) return;
      finished = true;
      send(socket, res, safeAnswer(method, p, Buffer.concat(kept)));
    });
  };

  const server = http.createServer(
    {
      // C does not require Host, and clients like `nc -U` or libcurl variants may omit it.
      requireHostHeader: false,
      headersTimeout: s.headersTimeoutMs,
      requestTimeout: s.requestTimeoutMs,
      // node:http enforces the two timeouts above only when it sweeps connections; sweep often
      // enough that they mean what they say.
      connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(s.headersTimeoutMs / 4))),
      maxHeaderSize: s.maxHeaderBytes,
    },
    onRequest,
  );
  server.maxConnections = s.maxConnections;
  server.maxHeadersCount = s.maxHeadersCount;
  // No callback: node:http destroys a socket that times out when nobody listens for 'timeout'.
  server.setTimeout(s.idleTimeoutMs);
  // Requests with an Expect header would otherwise get an automatic 100 Continue or 417.
  server.on('checkContinue', onRequest);
  server.on('checkExpectation', onRequest);

  server.on('connection', (socket: net.Socket) => {
    open.add(socket);
    stateOf(socket);
    // node:http reports socket errors through 'clientError'; this listener only makes sure an
    // error on a socket it has let go of (CONNECT) can never be unhandled.
    socket.on('error', () => {});
    socket.once('close', () => open.delete(socket));
  });
  server.on('drop', () => {
    counters.dropped++;
  });

  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    counters.clientErrors++;
    const st = stateOf(socket);
    const peerGone = err.code === 'ECONNRESET' || err.code === 'EPIPE';
    if (peerGone || st.dispatched || st.replied || !socket.writable) {
      socket.destroy();
      return;
    }
    // One 400 and close; never parse the same bytes again (the C bug in the reference §1.3).
    st.replied = true;
    socket.end(rawReply(BAD_REQUEST), () => socket.destroy());
  });

  // CONNECT takes the socket away from node:http; answer it by its path like any other method
  // (C routes CONNECT like GET, and an authority-form target is simply a 404).
  server.on('connect', (req: http.IncomingMessage, socket: Duplex) => {
    socket.on('error', () => {});
    const st = stateOf(socket);
    if (st.dispatched || st.replied) {
      socket.destroy();
      return;
    }
    st.dispatched = st.replied = true;
    counters.requests++;
    const reply = safeAnswer(req.method ?? '', requestPath(req.url ?? ''), Buffer.alloc(0));
    socket.end(rawReply(reply), () => socket.destroy());
  });

  try {
    await listen(server, bindPath);
  } catch (e) {
    throw new Error(`diagnostics socket ${target}: cannot listen: ${errorText(e)}`, { cause: e });
  }
  // From here on a server error is logged, never thrown.
  server.on('error', (e) => s.log(`diagnostics socket ${target}: ${errorText(e)}`));

  let id: FileIdentity;
  try {
    fs.chmodSync(bindPath, s.mode);
    if (bindPath !== target) {
      // Re-check: something other than a socket may have appeared while we were binding.
      checkReplaceable(target);
      fs.renameSync(bindPath, target);
    }
    id = identityOf(target);
  } catch (e) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    unlinkQuietly(bindPath);
    throw new Error(`diagnostics socket ${target}: ${errorText(e)}`, { cause: e });
  }

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    if (!closing) {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      const sockets = [...open].map(
        (socket) =>
          new Promise<void>((resolve) => {
            if (socket.closed) resolve();
            else socket.once('close', () => resolve());
            socket.destroy();
          }),
      );
      closing = Promise.all([stopped, ...sockets]).then(() => removeIfOurs(target, id));
    }
    return closing;
  };

  return {
    path: target,
    connections: () => open.size,
    counters: () => ({ ...counters }),
    close,
  };
}
