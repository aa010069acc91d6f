/**
 * The endpoints of the diagnostics socket, as pure functions from (method, path, body) to a reply.
 * Statuses, reasons, content types and bodies are those of the C famfs_fused (interop reference
 * §1.3); only /status is ours. Nothing here touches sockets, so it is testable on its own and the
 * server stays a thin node:http shell.
 */
import { cAtoi } from './catoi';
import { levelName, parseLogLevel } from './log-levels';
import { DiagnosticsProvider, LOG_LEVEL_MAX, LOG_LEVEL_MIN } from './provider';

export interface DiagReply {
  status: number;
  reason: string;
  /** Absent for the C replies that carry no Content-Type (400, 405). */
  contentType?: string;
  body: string;
}

/** C copies at most this many body bytes into a 32-byte buffer before atoi(). */
export const LOG_LEVEL_BODY_MAX = 31;

export const INODES_DUMMY_BODY = 'inodes:\n  total: 1500\n  open: 12\n  deleted: 7\n';
export const ICACHE_DUMP_BODY = 'icache: dumping icache to syslog\n';

export const BAD_REQUEST: DiagReply = { status: 400, reason: 'Bad Request', body: 'Bad Request\n' };
export const NOT_FOUND: DiagReply = {
  status: 404,
  reason: 'Not Found',
  contentType: 'text/plain',
  body: 'Not Found\n',
};
export const METHOD_NOT_ALLOWED: DiagReply = {
  status: 405,
  reason: 'Method Not Allowed',
  body: 'Method Not Allowed\n',
};
/** Not a C reply (the C handlers cannot fail): a provider that threw. */
export const INTERNAL_ERROR: DiagReply = {
  status: 500,
  reason: 'Internal Server Error',
  contentType: 'text/plain',
  body: 'Internal Server Error\n',
};

function ok(contentType: string, body: string): DiagReply {
  return { status: 200, reason: 'OK', contentType, body };
}

/** The path used for routing: the request target up to the first '?', compared exactly (no decoding). */
export function requestPath(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

function isSetLogLevel(method: string, path: string): boolean {
  return (path === '/log_level' || path === '/log') && (method === 'POST' || method === 'PUT');
}

/** How many leading body bytes the reply depends on (the rest of any body is read and dropped). */
export function bodyBytesWanted(method: string, path: string): number {
  return isSetLogLevel(method, path) ? LOG_LEVEL_BODY_MAX : 0;
}

function setLogLevel(provider: DiagnosticsProvider, body: Uint8Array): DiagReply {
  const level = cAtoi(body.subarray(0, LOG_LEVEL_BODY_MAX));
  // Out of range is reported in the body with status 200, exactly as C does.
  if (level < LOG_LEVEL_MIN || level > LOG_LEVEL_MAX) {
    return ok('text/plain', `Failed to set log level to ${level}\n`);
  }
  const previous = provider.logLevel();
  provider.setLogLevel(level);
  return ok('text/plain', `log level set to ${level} (from ${previous})\n`);
}

/** GET /log (famfs-ts only): the level and where lines go, as YAML. */
function logReply(provider: DiagnosticsProvider): DiagReply {
  const info = provider.logInfo!();
  const file = info.file === undefined ? '' : `  file: ${JSON.stringify(info.file)}\n`;
  return ok(
    'text/yaml',
    `log:\n  level: ${info.level}\n  level_name: ${info.levelName}\n  destination: ${info.kind}\n${file}`,
  );
}

/**
 * POST/PUT /log (famfs-ts only): the body is a level, 0..7 or a name (`debug`); unlike the C
 * /log_level, a bad one is refused with 400.
 */
function setLog(provider: DiagnosticsProvider, body: Uint8Array): DiagReply {
  const text = Buffer.from(body.subarray(0, LOG_LEVEL_BODY_MAX)).toString('latin1');
  const level = parseLogLevel(text);
  if (level === undefined) {
    return {
      status: 400,
      reason: 'Bad Request',
      contentType: 'text/plain',
      body: 'log level must be 0..7 or a level name\n',
    };
  }
  const previous = provider.logLevel();
  provider.setLogLevel(level);
  return ok('text/plain', `log level set to ${level} ${levelName(level)} (from ${previous} ${levelName(previous)})\n`);
}

/** JSON.stringify that does not throw on bigint counters. */
function toJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, v: unknown) => {
      if (typeof v !== 'bigint') return v;
      const n = Number(v);
      return Number.isSafeInteger(n) ? n : v.toString();
    },
    2,
  );
}

/**
 * The reply to one request. `body` holds the first bodyBytesWanted() bytes of the request body.
 * Provider exceptions propagate; the caller turns them into INTERNAL_ERROR.
 */
export function answer(provider: DiagnosticsProvider, method: string, path: string, body: Uint8Array): DiagReply {
  switch (path) {
    case '/log_level':
      if (method === 'GET') return ok('text/plain', `${provider.logLevel()}\n`);
      if (isSetLogLevel(method, path)) return setLogLevel(provider, body);
      return METHOD_NOT_ALLOWED;
    case '/log':
      if (!provider.logInfo) return NOT_FOUND;
      if (method === 'GET') return logReply(provider);
      if (isSetLogLevel(method, path)) return setLog(provider, body);
      return METHOD_NOT_ALLOWED;
    case '/icache_dump':
      provider.icacheDump(provider.logLevel());
      return ok('text/yaml', ICACHE_DUMP_BODY);
    case '/icache_stats': {
      const s = provider.icacheStats();
      return ok(
        'text/yaml',
        `icache_stats:\n  search_count:   ${s.searchCount}\n  nodes_scanned:  ${s.nodesScanned}\n` +
          `  search_fail_ct: ${s.searchFailCount}\n`,
      );
    }
    case '/pid':
      return ok('text/yaml', `pid: ${provider.pid()}\n`);
    case '/inodes':
      // Deliberately the C daemon's fixed dummy text, whatever the provider knows: scripts written
      // against C compare these bytes, and real counts are in /status instead.
      return ok('text/yaml', INODES_DUMMY_BODY);
    case '/status':
      // famfs-ts only; C answers 404 here.
      return ok('application/json', `${toJson(provider.status())}\n`);
    default:
      return NOT_FOUND;
  }
}

/**
 * The wire bytes of a reply in the framing node:http produces for it in server.ts (status line,
 * Content-Type if any, Connection: close, Content-Length), for the few replies written straight to
 * a socket that node:http no longer manages (client errors, CONNECT).
 */
export function rawReply(reply: DiagReply): Buffer {
  const body = Buffer.from(reply.body);
  const type = reply.contentType === undefined ? '' : `Content-Type: ${reply.contentType}\r\n`;
  const head =
    `HTTP/1.1 ${reply.status} ${reply.reason}\r\n${type}Connection: close\r\n` +
    `Content-Length: ${body.length}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}
