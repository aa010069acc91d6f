/**
 * The diagnostics socket over real Unix sockets: exact reply bytes per endpoint (raw net clients),
 * node:http and curl clients, the socket file's life, the limits, and a crowd of hostile clients.
 * No assertion depends on timing; waits poll without deadline and the jest timeout guards hangs.
 */
import { execFile, execFileSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as path from 'path';
import { promisify } from 'util';
import { DiagnosticsSocket, DiagnosticsSocketOptions, startDiagnosticsSocket } from '../../src/diag/server';
import {
  BAD_REQUEST_BYTES,
  FakeProvider,
  freshDir,
  makeStaleSocket,
  METHOD_NOT_ALLOWED_BYTES,
  NOT_FOUND_BYTES,
  parseResponse,
  rawRequest,
  rawText,
  removeTempDirs,
  reply,
  request,
  until,
} from './support';

const started: DiagnosticsSocket[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.close()));
  removeTempDirs();
});

async function start(
  provider = new FakeProvider(),
  opts: DiagnosticsSocketOptions = {},
): Promise<{ sock: DiagnosticsSocket; provider: FakeProvider; dir: string; logs: string[] }> {
  const dir = freshDir();
  const logs: string[] = [];
  const log = (m: string): number => logs.push(m);
  const sock = await startDiagnosticsSocket(path.join(dir, 'sock'), provider, { log, ...opts });
  started.push(sock);
  return { sock, provider, dir, logs };
}

const ICACHE_STATS_BODY = 'icache_stats:\n  search_count:   12345\n  nodes_scanned:  678\n  search_fail_ct: 9\n';
const PID_REPLY = reply('200 OK', 'text/yaml', 'pid: 4242\n');
/** The reply to a successful POST/PUT /log_level. */
const setReply = (to: number, from: number): string =>
  reply('200 OK', 'text/plain', `log level set to ${to} (from ${from})\n`);
/** Only the head of a full reply (what HEAD gets). */
const headOf = (full: string): string => full.slice(0, full.indexOf('\r\n\r\n') + 4);

describe('endpoints, exact bytes (raw clients)', () => {
  test('GET /log_level: the current level', async () => {
    const { sock } = await start();
    const text = await rawText(sock.path, request('GET', '/log_level'));
    expect(text).toBe(reply('200 OK', 'text/plain', '5\n'));
    const { statusLine, headers, body } = parseResponse(text);
    expect(statusLine).toBe('HTTP/1.1 200 OK');
    expect(headers).toEqual([
      ['Content-Type', 'text/plain'],
      ['Connection', 'close'],
      ['Content-Length', '2'],
    ]);
    expect(body).toBe('5\n');
  });

  test.each(['POST', 'PUT'])('%s /log_level 7, then GET reads it back', async (method) => {
    const { sock, provider } = await start();
    expect(await rawText(sock.path, request(method, '/log_level', [], '7'))).toBe(
      reply('200 OK', 'text/plain', 'log level set to 7 (from 5)\n'),
    );
    expect(provider.setCalls).toEqual([7]);
    expect(await rawText(sock.path, request('GET', '/log_level'))).toBe(reply('200 OK', 'text/plain', '7\n'));
  });

  test('POST /log_level level=3 sets 0, as C atoi does', async () => {
    const { sock, provider } = await start();
    expect(await rawText(sock.path, request('POST', '/log_level', [], 'level=3'))).toBe(
      reply('200 OK', 'text/plain', 'log level set to 0 (from 5)\n'),
    );
    expect(provider.level).toBe(0);
  });

  test('POST /log_level out of range: 200 with the failure text, level unchanged', async () => {
    const { sock, provider } = await start();
    for (const [body, n] of [
      ['9', 9],
      ['-1', -1],
      ['4294967303x', 7],
    ] as const) {
      const text = await rawText(sock.path, request('POST', '/log_level', [], body));
      if (n === 7) expect(text).toBe(reply('200 OK', 'text/plain', 'log level set to 7 (from 5)\n'));
      else expect(text).toBe(reply('200 OK', 'text/plain', `Failed to set log level to ${n}\n`));
    }
    expect(provider.setCalls).toEqual([7]);
  });

  test('POST /log_level with an empty body sets 0 (atoi of "")', async () => {
    const { sock, provider } = await start();
    const withLength = await rawText(sock.path, request('POST', '/log_level', ['Content-Length: 0']));
    expect(withLength).toBe(reply('200 OK', 'text/plain', 'log level set to 0 (from 5)\n'));
    const noLength = await rawText(sock.path, request('PUT', '/log_level'));
    expect(noLength).toBe(reply('200 OK', 'text/plain', 'log level set to 0 (from 0)\n'));
    expect(provider.setCalls).toEqual([0, 0]);
  });

  test('POST /log_level reads only 31 body bytes of a longer body, also chunked', async () => {
    const { sock } = await start();
    const body = `${' '.repeat(30)}3${'9'.repeat(1000)}`;
    expect(await rawText(sock.path, request('POST', '/log_level', [], body))).toBe(
      reply('200 OK', 'text/plain', 'log level set to 3 (from 5)\n'),
    );
    const chunked = 'POST /log_level HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n6\r\n3\r\nabc\r\n0\r\n\r\n';
    expect(await rawText(sock.path, chunked)).toBe(setReply(6, 3));
  });

  test('other methods on /log_level: 405 without Content-Type; HEAD gets no body', async () => {
    const { sock, provider } = await start();
    for (const method of ['DELETE', 'PATCH', 'OPTIONS']) {
      expect(await rawText(sock.path, request(method, '/log_level'))).toBe(METHOD_NOT_ALLOWED_BYTES);
    }
    const head = await rawText(sock.path, request('HEAD', '/log_level'));
    expect(head).toBe(headOf(METHOD_NOT_ALLOWED_BYTES));
    expect(provider.setCalls).toEqual([]);
  });

  test('/icache_dump dumps at the current level, for any method', async () => {
    const { sock, provider } = await start();
    const expected = reply('200 OK', 'text/yaml', 'icache: dumping icache to syslog\n');
    expect(await rawText(sock.path, request('GET', '/icache_dump'))).toBe(expected);
    provider.level = 7;
    expect(await rawText(sock.path, request('POST', '/icache_dump', [], 'x'))).toBe(expected);
    expect(provider.dumps).toEqual([5, 7]);
  });

  test('/icache_stats with the C column alignment, for any method', async () => {
    const { sock } = await start();
    const expected = reply('200 OK', 'text/yaml', ICACHE_STATS_BODY);
    expect(await rawText(sock.path, request('GET', '/icache_stats'))).toBe(expected);
    expect(await rawText(sock.path, request('DELETE', '/icache_stats'))).toBe(expected);
  });

  test('/pid and /inodes (the C fixed dummy text)', async () => {
    const { sock } = await start(new FakeProvider(31337));
    const pid = reply('200 OK', 'text/yaml', 'pid: 31337\n');
    expect(await rawText(sock.path, request('GET', '/pid'))).toBe(pid);
    expect(await rawText(sock.path, request('GET', '/inodes'))).toBe(
      reply('200 OK', 'text/yaml', 'inodes:\n  total: 1500\n  open: 12\n  deleted: 7\n'),
    );
  });

  test('/status: the provider document as application/json', async () => {
    const { sock, provider } = await start();
    const { statusLine, headers, body } = parseResponse(await rawText(sock.path, request('GET', '/status')));
    expect(statusLine).toBe('HTTP/1.1 200 OK');
    expect(headers).toEqual([
      ['Content-Type', 'application/json'],
      ['Connection', 'close'],
      ['Content-Length', String(Buffer.byteLength(body))],
    ]);
    expect(JSON.parse(body)).toEqual(provider.statusDoc);
    expect(body.endsWith('\n')).toBe(true);
  });

  test('unknown paths are 404: exact match only, no decoding, no trailing slash', async () => {
    const { sock } = await start();
    const targets = ['/pid/', '/', '/nope', '/PID', '/p%69d', '//pid', '/pid/x', 'http://localhost/pid'];
    for (const target of targets) {
      expect(await rawText(sock.path, request('GET', target))).toBe(NOT_FOUND_BYTES);
    }
  });

  test('query strings are stripped before routing', async () => {
    const { sock, provider } = await start();
    expect(await rawText(sock.path, request('GET', '/pid?x=1&y'))).toBe(PID_REPLY);
    expect(await rawText(sock.path, request('GET', '/icache_stats?'))).toBe(
      reply('200 OK', 'text/yaml', ICACHE_STATS_BODY),
    );
    expect(await rawText(sock.path, request('POST', '/log_level?level=1', [], '2'))).toBe(
      reply('200 OK', 'text/plain', 'log level set to 2 (from 5)\n'),
    );
    expect(await rawText(sock.path, request('GET', '/pid/?x'))).toBe(NOT_FOUND_BYTES);
    expect(provider.level).toBe(2);
  });

  test('the reply line is HTTP/1.1 whatever the request version; Host is not required', async () => {
    const { sock } = await start();
    const expected = PID_REPLY;
    expect(await rawText(sock.path, 'GET /pid HTTP/1.0\r\n\r\n')).toBe(expected);
    expect(await rawText(sock.path, 'GET /pid HTTP/1.1\r\n\r\n')).toBe(expected);
  });

  test('HEAD: headers of the reply with its Content-Length, no body (node:http drops it)', async () => {
    const { sock, provider } = await start();
    expect(await rawText(sock.path, request('HEAD', '/pid'))).toBe(headOf(PID_REPLY));
    // The side effect of /icache_dump still happens, as in C.
    await rawText(sock.path, request('HEAD', '/icache_dump'));
    expect(provider.dumps).toEqual([5]);
  });

  test('unparsable requests get one 400 and the connection is closed', async () => {
    const { sock } = await start();
    const unparsable = [
      '\u0000\u00ff\u0001garbage',
      'FOO /pid HTTP/1.1\r\n\r\n',
      'GET /pid HTTP/9.9\r\n\r\n',
      'GET /pid HTTP/1.1\r\nbad header\r\n\r\n',
      'POST /log_level HTTP/1.1\r\nContent-Length: x\r\n\r\n7',
    ];
    for (const garbage of unparsable) {
      const res = await rawRequest(sock.path, Buffer.from(garbage, 'latin1'));
      expect(res.bytes.toString('latin1')).toBe(BAD_REQUEST_BYTES);
    }
    expect(sock.counters().clientErrors).toBe(5);
  });

  test('one request per connection: a pipelined second request is neither run nor answered', async () => {
    const { sock, provider } = await start();
    const setOne = request('POST', '/log_level', [], '1');
    const two = [request('GET', '/pid'), setOne, request('GET', '/icache_dump')].join('');
    expect(await rawText(sock.path, two)).toBe(PID_REPLY);
    expect(provider.setCalls).toEqual([]);
    expect(provider.dumps).toEqual([]);
  });

  test('Expect: 100-continue is honoured for a body the reply needs', async () => {
    const { sock } = await start();
    const head = 'POST /log_level HTTP/1.1\r\nContent-Length: 1\r\nExpect: 100-continue\r\n\r\n';
    const text = await new Promise<string>((resolve) => {
      let out = '';
      const c = net.connect(sock.path, () => c.write(head));
      c.on('data', (d: Buffer) => {
        out += d.toString('latin1');
        if (out === 'HTTP/1.1 100 Continue\r\n\r\n') c.write('4');
      });
      c.on('close', () => resolve(out));
    });
    expect(text).toBe(`HTTP/1.1 100 Continue\r\n\r\n${setReply(4, 5)}`);
  });

  test('a throwing provider gets 500, is logged, and the server keeps answering', async () => {
    const { sock, provider, logs } = await start();
    provider.failing.add('icacheStats');
    expect(await rawText(sock.path, request('GET', '/icache_stats'))).toBe(
      reply('500 Internal Server Error', 'text/plain', 'Internal Server Error\n'),
    );
    expect(logs).toHaveLength(1);
    expect(logs[0]).toContain('fake icacheStats failure');
    expect(sock.counters().providerErrors).toBe(1);
    expect(await rawText(sock.path, request('GET', '/pid'))).toBe(PID_REPLY);
  });
});

/** One request through node's own HTTP client. */
function httpRequest(
  socketPath: string,
  method: string,
  urlPath: string,
  body?: string,
): Promise<{ status: number; message: string; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method, path: urlPath }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          message: res.statusMessage ?? '',
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('node:http client', () => {
  test('GET /icache_stats', async () => {
    const { sock } = await start();
    const r = await httpRequest(sock.path, 'GET', '/icache_stats');
    expect([r.status, r.message]).toEqual([200, 'OK']);
    expect(r.headers['content-type']).toBe('text/yaml');
    expect(r.headers.connection).toBe('close');
    expect(r.headers['content-length']).toBe(String(ICACHE_STATS_BODY.length));
    expect(r.body).toBe(ICACHE_STATS_BODY);
  });

  test('POST /log_level, 404 and 405', async () => {
    const { sock, provider } = await start();
    const set = await httpRequest(sock.path, 'POST', '/log_level', '6');
    expect([set.status, set.body]).toEqual([200, 'log level set to 6 (from 5)\n']);
    expect(provider.level).toBe(6);
    const missing = await httpRequest(sock.path, 'GET', '/pid/');
    expect([missing.status, missing.message, missing.body]).toEqual([404, 'Not Found', 'Not Found\n']);
    const wrong = await httpRequest(sock.path, 'DELETE', '/log_level');
    expect([wrong.status, wrong.message]).toEqual([405, 'Method Not Allowed']);
    expect(wrong.body).toBe('Method Not Allowed\n');
    expect(wrong.headers['content-type']).toBeUndefined();
  });
});

function hasCurl(): boolean {
  try {
    execFileSync('which', ['curl'], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}
const curlPresent = hasCurl();
if (!curlPresent) console.log('server.test.ts: curl not found, the curl test is skipped');

describe('curl client (as the C smoke tests use it)', () => {
  const run = promisify(execFile);
  const curlTest = curlPresent ? test : test.skip;
  curlTest('curl --unix-socket: /icache_stats, POST -d 7 /log_level, /pid', async () => {
    const { sock, provider } = await start();
    const curl = async (...args: string[]): Promise<string> =>
      (await run('curl', ['-sS', '--max-time', '30', '--unix-socket', sock.path, ...args])).stdout;
    expect(await curl('http://localhost/icache_stats')).toBe(ICACHE_STATS_BODY);
    const set = await curl('-X', 'POST', '-d', '7', 'http://localhost/log_level');
    expect(set).toBe('log level set to 7 (from 5)\n');
    expect(provider.level).toBe(7);
    expect(await curl('http://localhost/pid')).toBe('pid: 4242\n');
    const headers = await curl('-sS', '-o', '/dev/null', '-D', '-', 'http://localhost/icache_stats');
    expect(headers.split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
  });
});

describe('the socket file', () => {
  test('is a socket with mode 0660, and no temporary name is left behind', async () => {
    const { sock, dir } = await start();
    const st = fs.lstatSync(sock.path);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o7777).toBe(0o660);
    expect(fs.readdirSync(dir)).toEqual(['sock']);
  });

  test('a stale socket is replaced', async () => {
    const dir = freshDir();
    const p = path.join(dir, 'sock');
    await makeStaleSocket(p);
    expect((await rawRequest(p, 'GET /pid HTTP/1.1\r\n\r\n')).error).toBe('ECONNREFUSED');
    const sock = await startDiagnosticsSocket(p, new FakeProvider());
    started.push(sock);
    expect(await rawText(p, request('GET', '/pid'))).toBe(PID_REPLY);
    expect(fs.readdirSync(dir)).toEqual(['sock']);
  });

  test('a regular file or a directory at the path is refused and left alone', async () => {
    const dir = freshDir();
    const p = path.join(dir, 'sock');
    fs.writeFileSync(p, 'precious');
    await expect(startDiagnosticsSocket(p, new FakeProvider())).rejects.toThrow(/not a socket/);
    expect(fs.readFileSync(p, 'utf8')).toBe('precious');
    fs.unlinkSync(p);
    fs.mkdirSync(p);
    await expect(startDiagnosticsSocket(p, new FakeProvider())).rejects.toThrow(/not a socket/);
    expect(fs.readdirSync(dir)).toEqual(['sock']);
  });

  test('a missing directory is a clear error', async () => {
    const p = path.join(freshDir(), 'no', 'sock');
    await expect(startDiagnosticsSocket(p, new FakeProvider())).rejects.toThrow(/cannot listen/);
  });

  test('a path too long for sun_path is refused; a path that just fits works', async () => {
    const dir = freshDir();
    const tooLong = path.join(dir, 'x'.repeat(107 - dir.length), 'sock');
    const refused = startDiagnosticsSocket(tooLong, new FakeProvider());
    await expect(refused).rejects.toThrow(/longer than 107 bytes/);
    // 107 bytes: no room for the temporary name, so the target is bound directly (stale one first).
    const sub = path.join(dir, 'y'.repeat(107 - dir.length - '/sock'.length - 1));
    fs.mkdirSync(sub);
    const p = path.join(sub, 'sock');
    expect(Buffer.byteLength(p)).toBe(107);
    await makeStaleSocket(p);
    const sock = await startDiagnosticsSocket(p, new FakeProvider());
    started.push(sock);
    expect(await rawText(p, request('GET', '/pid'))).toBe(PID_REPLY);
    expect(fs.lstatSync(p).mode & 0o7777).toBe(0o660);
    await sock.close();
    expect(fs.readdirSync(sub)).toEqual([]);
  });

  test('close() removes the socket, is idempotent, and later connects fail', async () => {
    const { sock, dir } = await start();
    const first = sock.close();
    expect(sock.close()).toBe(first);
    await first;
    await sock.close();
    expect(fs.readdirSync(dir)).toEqual([]);
    expect((await rawRequest(sock.path, request('GET', '/pid'))).error).toBe('ENOENT');
  });

  test('close() leaves alone a file that replaced our socket', async () => {
    const { sock, dir } = await start();
    fs.unlinkSync(sock.path);
    fs.writeFileSync(sock.path, 'someone else');
    await sock.close();
    expect(fs.readFileSync(sock.path, 'utf8')).toBe('someone else');
    expect(fs.readdirSync(dir)).toEqual(['sock']);
  });

  test('bad options are rejected before anything is created', async () => {
    const dir = freshDir();
    const p = path.join(dir, 'sock');
    await expect(
      startDiagnosticsSocket(p, new FakeProvider(), { headersTimeoutMs: 2000, requestTimeoutMs: 1000 }),
    ).rejects.toThrow(RangeError);
    const noConnections = startDiagnosticsSocket(p, new FakeProvider(), { maxConnections: 0 });
    await expect(noConnections).rejects.toThrow(RangeError);
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});

describe('limits', () => {
  test('connections beyond maxConnections are closed at accept; room frees up again', async () => {
    const { sock } = await start(new FakeProvider(), { maxConnections: 3 });
    const idle = [net.connect(sock.path), net.connect(sock.path), net.connect(sock.path)];
    for (const c of idle) c.on('error', () => {});
    await until(() => sock.connections() === 3);
    const extra = await rawRequest(sock.path, request('GET', '/pid'));
    expect(extra.bytes.length).toBe(0);
    expect(sock.counters().dropped).toBe(1);
    idle[0].destroy();
    await until(() => sock.connections() === 2);
    expect(await rawText(sock.path, request('GET', '/pid'))).toBe(PID_REPLY);
    for (const c of idle) c.destroy();
  });

  test('slow and silent clients are answered 400 and closed when the header timeout expires', async () => {
    const { sock } = await start(new FakeProvider(), { headersTimeoutMs: 100, requestTimeoutMs: 200 });
    const [slow, silent] = await Promise.all([
      rawRequest(sock.path, 'GET /pid HTTP/1.1\r\nHost: x\r\nX-Slow: '),
      rawRequest(sock.path, null),
    ]);
    expect(slow.bytes.toString('latin1')).toBe(BAD_REQUEST_BYTES);
    expect(silent.bytes.toString('latin1')).toBe(BAD_REQUEST_BYTES);
  });

  test('a body that stalls is cut off by the request timeout', async () => {
    const opts = { headersTimeoutMs: 100, requestTimeoutMs: 200 };
    const { sock, provider } = await start(new FakeProvider(), opts);
    const res = await rawRequest(sock.path, 'POST /log_level HTTP/1.1\r\nContent-Length: 5\r\n\r\n7');
    // The request was already dispatched, so there is nothing to answer: just a close.
    expect(res.bytes.length).toBe(0);
    expect(provider.setCalls).toEqual([]);
  });

  test('bodies over maxBodyBytes get 400, declared or streamed; up to the cap is fine', async () => {
    const { sock, provider } = await start(new FakeProvider(), { maxBodyBytes: 1024 });
    const declared = await rawText(sock.path, 'POST /log_level HTTP/1.1\r\nContent-Length: 1025\r\n\r\n7');
    expect(declared).toBe(BAD_REQUEST_BYTES);
    const chunk = `400\r\n${'7'.repeat(0x400)}\r\n`;
    const head = 'POST /log_level HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n';
    const streamed = await rawRequest(sock.path, `${head}${chunk}${chunk}`);
    expect(streamed.bytes.toString('latin1')).toBe(BAD_REQUEST_BYTES);
    expect(provider.setCalls).toEqual([]);
    const atCap = await rawText(sock.path, request('POST', '/log_level', [], `3${' '.repeat(1023)}`));
    expect(atCap).toBe(reply('200 OK', 'text/plain', 'log level set to 3 (from 5)\n'));
  });

  test('oversized headers get 400', async () => {
    const { sock } = await start(new FakeProvider(), { maxHeaderBytes: 1024 });
    const text = await rawText(sock.path, request('GET', '/pid', [`X-Big: ${'a'.repeat(2000)}`]));
    expect(text).toBe(BAD_REQUEST_BYTES);
  });
});

/** A deterministic byte soup that no HTTP parser can take for a request (it starts with NUL). */
function garbage(seed: number, length: number): Buffer {
  const b = Buffer.alloc(length);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  b[0] = 0;
  return b;
}

/** A client that writes chunked body data as fast as the server takes it, until it is closed. */
function bodyFlood(sockPath: string): Promise<{ bytes: Buffer; error?: string }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let error: string | undefined;
    let closed = false;
    const c = net.connect(sockPath);
    const piece = Buffer.from(`4000\r\n${'6'.repeat(0x4000)}\r\n`);
    const pump = (): void => {
      while (!closed && c.write(piece));
    };
    c.on('data', (d: Buffer) => chunks.push(d));
    c.on('error', (e: NodeJS.ErrnoException) => {
      error = e.code ?? e.message;
    });
    c.on('drain', pump);
    c.on('close', () => {
      closed = true;
      resolve({ bytes: Buffer.concat(chunks), error });
    });
    c.write('POST /log_level HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n');
    pump();
  });
}

const HUGE_DECLARED = 'POST /log_level HTTP/1.1\r\nContent-Length: 1000000000\r\n\r\n6';

describe('hostile clients', () => {
  test('200 hostile clients do not disturb normal requests; close() destroys them all', async () => {
    // Timeouts far beyond the test so the stalled clients are still there when close() runs.
    const { sock, provider, dir, logs } = await start(new FakeProvider(), {
      headersTimeoutMs: 600_000,
      requestTimeoutMs: 600_000,
      idleTimeoutMs: 600_000,
    });
    const lingering: { socket: net.Socket; closed: Promise<Buffer> }[] = [];
    const finishing: Promise<{ kind: string; bytes: Buffer }>[] = [];
    const linger = (data: string | null): void => {
      const socket = net.connect(sock.path);
      const got: Buffer[] = [];
      socket.on('data', (d: Buffer) => got.push(d));
      socket.on('error', () => {});
      const closed = new Promise<Buffer>((resolve) => socket.on('close', () => resolve(Buffer.concat(got))));
      if (data !== null) socket.write(data);
      lingering.push({ socket, closed });
    };
    for (let i = 0; i < 200; i++) {
      switch (i % 5) {
        case 0: // slow-loris: a partial header, then nothing
          linger(`GET /icache_dump HTTP/1.1\r\nHost: x\r\nX-Slow-${i}: `);
          break;
        case 1: // connects and never sends
          linger(null);
          break;
        case 2: // garbage
          finishing.push(rawRequest(sock.path, garbage(i, 64 + 7 * i)).then((r) => ({ ...r, kind: 'bytes' })));
          break;
        case 3: // a huge declared body
          finishing.push(rawRequest(sock.path, HUGE_DECLARED).then((r) => ({ ...r, kind: 'declared' })));
          break;
        default: // a body streamed without end
          finishing.push(bodyFlood(sock.path).then((r) => ({ ...r, kind: 'flood' })));
      }
    }
    await until(() => sock.connections() >= 80);

    // Normal traffic while the crowd is connected.
    const stats = reply('200 OK', 'text/yaml', ICACHE_STATS_BODY);
    for (let round = 0; round < 20; round++) {
      const texts = await Promise.all([
        rawText(sock.path, request('GET', '/icache_stats')),
        rawText(sock.path, request('GET', '/pid')),
        rawText(sock.path, request('GET', '/inodes')),
        rawText(sock.path, request('GET', '/nope')),
        httpRequest(sock.path, 'GET', '/log_level').then((r) => r.body),
      ]);
      expect(texts).toEqual([
        stats,
        PID_REPLY,
        reply('200 OK', 'text/yaml', 'inodes:\n  total: 1500\n  open: 12\n  deleted: 7\n'),
        NOT_FOUND_BYTES,
        `${provider.level}\n`,
      ]);
      const level = round % 8;
      expect(await rawText(sock.path, request('PUT', '/log_level', [], String(level)))).toMatch(
        new RegExp(`^HTTP/1\\.1 200 OK\\r\\n[^]*\\r\\n\\r\\nlog level set to ${level} \\(from \\d\\)\\n$`),
      );
    }

    // Every client that ends on its own got either the one 400 or (for floods racing the close) nothing.
    for (const r of await Promise.all(finishing)) {
      const text = r.bytes.toString('latin1');
      if (r.kind === 'flood') expect(text === '' || text === BAD_REQUEST_BYTES).toBe(true);
      else expect(text).toBe(BAD_REQUEST_BYTES);
    }
    // No huge body set the level (they all carry 6 first); only our PUTs did.
    expect(provider.setCalls).toEqual(Array.from({ length: 20 }, (_, round) => round % 8));
    expect(provider.dumps).toEqual([]);

    // Still healthy, with the stalled crowd still connected.
    expect(await rawText(sock.path, request('GET', '/pid'))).toBe(PID_REPLY);
    expect(sock.connections()).toBeGreaterThanOrEqual(80);
    expect(sock.counters().dropped).toBe(0);

    await sock.close();
    const leftovers = await Promise.all(lingering.map((l) => l.closed));
    // The stalled clients were cut without a reply (close() destroys, it does not answer).
    expect(leftovers.every((b) => b.length === 0)).toBe(true);
    expect(lingering.every((l) => l.socket.destroyed)).toBe(true);
    expect(sock.connections()).toBe(0);
    expect(fs.readdirSync(dir)).toEqual([]);
    expect(logs).toEqual([]);
  }, 60_000);
});
