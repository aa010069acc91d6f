/**
 * Test support for the diagnostics socket: a fake provider, fresh temp dirs, raw socket clients and
 * the exact reply bytes the C daemon's endpoints produce.
 */
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import type { DiagnosticsProvider, DiagnosticsStatus, IcacheStats } from '../../src/diag/provider';

/** A provider with observable state; `failing` makes the named method throw. */
export class FakeProvider implements DiagnosticsProvider {
  level = 5;
  readonly dumps: number[] = [];
  readonly setCalls: number[] = [];
  stats: IcacheStats = { searchCount: 12345, nodesScanned: 678, searchFailCount: 9 };
  statusDoc: DiagnosticsStatus = {
    device: '/dev/dax0.0',
    role: 'master',
    abiProfile: 'v10',
    dataPath: 'fmap',
    logEntriesSeen: 17,
    files: 12,
    directories: 3,
    requestsServed: 1000,
    requestsRefused: 2,
    errors: 0,
    uptimeSeconds: 42,
  };
  failing = new Set<keyof DiagnosticsProvider>();

  constructor(readonly thePid = 4242) {}

  private check(name: keyof DiagnosticsProvider): void {
    if (this.failing.has(name)) throw new Error(`fake ${name} failure`);
  }
  pid(): number {
    this.check('pid');
    return this.thePid;
  }
  icacheStats(): IcacheStats {
    this.check('icacheStats');
    return this.stats;
  }
  icacheDump(level: number): void {
    this.check('icacheDump');
    this.dumps.push(level);
  }
  logLevel(): number {
    this.check('logLevel');
    return this.level;
  }
  setLogLevel(level: number): void {
    this.check('setLogLevel');
    this.setCalls.push(level);
    this.level = level;
  }
  status(): DiagnosticsStatus {
    this.check('status');
    return this.statusDoc;
  }
}

const dirs: string[] = [];
/** A fresh directory under os.tmpdir() (removed by removeTempDirs). */
export function freshDir(prefix = 'famfs-diag-'): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(d);
  return d;
}
export function removeTempDirs(): void {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

/** What a raw client saw: every byte until the server closed, and a socket error if any. */
export interface RawResult {
  bytes: Buffer;
  error?: string;
}

/**
 * Connects, writes `data` (nothing if null) and collects bytes until the connection closes. The
 * client never half-closes, as curl does not either.
 */
export function rawRequest(sockPath: string, data: string | Buffer | null): Promise<RawResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let error: string | undefined;
    const c = net.connect(sockPath);
    c.on('data', (d: Buffer) => chunks.push(d));
    c.on('error', (e: NodeJS.ErrnoException) => {
      error = e.code ?? e.message;
    });
    c.on('close', () => resolve({ bytes: Buffer.concat(chunks), error }));
    if (data !== null) c.write(data);
  });
}

/** The response text of a raw request (latin1 keeps every byte). */
export async function rawText(sockPath: string, data: string | Buffer | null): Promise<string> {
  return (await rawRequest(sockPath, data)).bytes.toString('latin1');
}

/**
 * The exact reply bytes: status line, Content-Type when the C reply has one, Connection: close,
 * Content-Length, blank line, body.
 */
export function reply(statusAndReason: string, contentType: string | null, body: string): string {
  const type = contentType === null ? '' : `Content-Type: ${contentType}\r\n`;
  return (
    `HTTP/1.1 ${statusAndReason}\r\n${type}Connection: close\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

export const BAD_REQUEST_BYTES = reply('400 Bad Request', null, 'Bad Request\n');
export const NOT_FOUND_BYTES = reply('404 Not Found', 'text/plain', 'Not Found\n');
export const METHOD_NOT_ALLOWED_BYTES = reply('405 Method Not Allowed', null, 'Method Not Allowed\n');

/** Splits a response into its status line, header pairs (in order) and body. */
export function parseResponse(text: string): {
  statusLine: string;
  headers: [string, string][];
  body: string;
} {
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) throw new Error(`no header end in ${JSON.stringify(text)}`);
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const headers = lines.map((l): [string, string] => {
    const colon = l.indexOf(':');
    return [l.slice(0, colon), l.slice(colon + 1).trim()];
  });
  return { statusLine, headers, body: text.slice(end + 4) };
}

/** A request line plus headers (and optional body), CRLF-framed. */
export function request(method: string, target: string, headers: string[] = [], body = ''): string {
  const withLength = body === '' ? headers : [...headers, `Content-Length: ${Buffer.byteLength(body)}`];
  const lines = withLength.map((h) => `${h}\r\n`).join('');
  return `${method} ${target} HTTP/1.1\r\nHost: localhost\r\n${lines}\r\n${body}`;
}

/** Waits (polling the event loop, no deadline: the jest timeout is the hang guard) until `pred`. */
export async function until(pred: () => boolean): Promise<void> {
  while (!pred()) await new Promise((r) => setTimeout(r, 5));
}

/** A socket file with no server behind it (what a crashed daemon leaves), made via a hard link. */
export async function makeStaleSocket(p: string): Promise<void> {
  // A short name next to p: it must fit in sun_path whenever p does, and be on p's file system.
  const orig = path.join(path.dirname(p), '.s');
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(orig, resolve));
  try {
    fs.linkSync(orig, p);
  } finally {
    // libuv unlinks the bound name (orig) at close; the link at p stays, with nobody listening.
    await new Promise<void>((resolve) => srv.close(() => resolve()));
  }
}
