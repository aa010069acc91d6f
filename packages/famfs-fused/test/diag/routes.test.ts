/**
 * The pure parts of the diagnostics socket: socket path, C atoi, routing and reply bodies.
 */
import * as path from 'path';
import { cAtoi } from '../../src/diag/catoi';
import { diagSocketPath, fitsSunPath } from '../../src/diag/paths';
import { answer, rawReply, requestPath, BAD_REQUEST } from '../../src/diag/routes';
import { FakeProvider, BAD_REQUEST_BYTES } from './support';

describe('diagSocketPath (reference §1.1)', () => {
  test('normal case: <shadow>/sock, next to <shadow>/root', () => {
    expect(diagSocketPath('/tmp/famfs_shadow_abc123')).toBe('/tmp/famfs_shadow_abc123/sock');
    expect(diagSocketPath('/tmp/famfs_shadow_abc123/')).toBe('/tmp/famfs_shadow_abc123/sock');
  });
  test('a shadow path ending in /root puts the socket in its parent', () => {
    expect(diagSocketPath('/srv/shadow/root')).toBe('/srv/shadow/sock');
    expect(diagSocketPath('/srv/shadow/root/')).toBe('/srv/shadow/sock');
    // Only a whole last component counts.
    expect(diagSocketPath('/srv/shadowroot')).toBe('/srv/shadowroot/sock');
  });
  test('relative shadow paths are resolved against the cwd', () => {
    expect(diagSocketPath('rel/shadow')).toBe(path.resolve('rel/shadow/sock'));
  });
  test('fitsSunPath: at most 107 bytes (sun_path is 108 with the NUL)', () => {
    expect(fitsSunPath(`/${'a'.repeat(106)}`)).toBe(true);
    expect(fitsSunPath(`/${'a'.repeat(107)}`)).toBe(false);
    // Bytes, not characters.
    expect(fitsSunPath(`/${'é'.repeat(53)}`)).toBe(true);
    expect(fitsSunPath(`/${'é'.repeat(54)}`)).toBe(false);
  });
});

describe('cAtoi matches glibc atoi', () => {
  const cases: [string, number][] = [
    ['7', 7],
    ['level=3', 0],
    ['', 0],
    ['  +7x', 7],
    ['\t\n\v\f\r 6', 6],
    ['-1', -1],
    ['--1', 0],
    ['- 1', 0],
    ['007', 7],
    ['7\u00008', 7],
    ['2147483647', 2147483647],
    ['2147483648', -2147483648],
    ['4294967303', 7],
    ['9223372036854775807', -1],
    ['99999999999999999999', -1], // strtol saturates at LONG_MAX, (int) keeps 0xffffffff
    ['-9223372036854775808', 0],
    ['-99999999999999999999', 0], // LONG_MIN, low 32 bits are 0
  ];
  test.each(cases)('atoi(%j) = %d', (input, expected) => {
    expect(cAtoi(Buffer.from(input, 'latin1'))).toBe(expected);
  });
});

describe('routing', () => {
  test('requestPath strips the query string only', () => {
    expect(requestPath('/pid?x=1')).toBe('/pid');
    expect(requestPath('/pid?')).toBe('/pid');
    expect(requestPath('/pid/')).toBe('/pid/');
    expect(requestPath('/p%69d')).toBe('/p%69d');
    expect(requestPath('/pid#frag')).toBe('/pid#frag');
  });
  test('only the first 31 body bytes are parsed', () => {
    const p = new FakeProvider();
    const at31 = Buffer.from(`${' '.repeat(30)}7`);
    expect(answer(p, 'POST', '/log_level', at31).body).toBe('log level set to 7 (from 5)\n');
    const at32 = Buffer.from(`${' '.repeat(31)}6`);
    expect(answer(p, 'POST', '/log_level', at32).body).toBe('log level set to 0 (from 7)\n');
  });
  test('/status serializes bigint counters', () => {
    const p = new FakeProvider();
    p.statusDoc = { small: 5n, huge: 1n << 70n };
    const r = answer(p, 'GET', '/status', Buffer.alloc(0));
    expect(JSON.parse(r.body)).toEqual({ small: 5, huge: '1180591620717411303424' });
  });
  test('rawReply frames like the node:http replies', () => {
    expect(rawReply(BAD_REQUEST).toString('latin1')).toBe(BAD_REQUEST_BYTES);
  });
});
