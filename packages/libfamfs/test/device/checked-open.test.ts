/**
 * Every device open refuses what is not a device before reading it, and never blocks: a FIFO, a
 * socket, a directory, /dev/zero, /dev/null, an empty file, a missing path. Each is a FamfsError
 * with a one-line message.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { readSmallFile, openChecked } from '../../src/checked-open';
import { Device } from '../../src/device/device';
import { FamfsError } from '../../src/errors';
import { useTempDir } from '../support';

const tmp = useTempDir();

function refusal(fn: () => unknown): FamfsError {
  try {
    fn();
  } catch (e) {
    if (e instanceof FamfsError) return e;
    throw e;
  }
  throw new Error('not refused');
}

async function listeningSocket(p: string): Promise<net.Server> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(p, resolve));
  return server;
}

test.each([false, true])(
  'Device.open (writable %s) refuses what is not a famfs device, without blocking',
  async (writable) => {
    const fifo = path.join(tmp(), 'fifo');
    execFileSync('mkfifo', [fifo]);
    const empty = path.join(tmp(), 'empty');
    fs.writeFileSync(empty, '');
    const server = await listeningSocket(path.join(tmp(), 'sock'));
    try {
      const cases: Array<[string, string, RegExp]> = [
        [fifo, 'EINVAL', /is a FIFO, not a famfs device/],
        [path.join(tmp(), 'sock'), 'EINVAL', /is a socket, not a famfs device/],
        [tmp(), 'EINVAL', /is a directory, not a famfs device/],
        ['/dev/zero', 'EINVAL', /character device that is not a dax device/],
        ['/dev/null', 'EINVAL', /character device that is not a dax device/],
        [empty, 'EINVAL', /is empty \(0 bytes\)/],
        [path.join(tmp(), 'missing'), 'ENOENT', /does not exist/],
      ];
      for (const [p, code, message] of cases) {
        const e = refusal(() => Device.open(p, { writable }));
        expect({ p, code: e.code }).toEqual({ p, code });
        expect(e.message).toMatch(message);
        expect(e.message).not.toContain('\n');
      }
    } finally {
      server.close();
    }
  },
);

test('openChecked: a symlink with noFollow, and a FIFO opened for writing, are refused at once', () => {
  const fifo = path.join(tmp(), 'fifo');
  execFileSync('mkfifo', [fifo]);
  fs.symlinkSync('/etc/hostname', path.join(tmp(), 'link'));
  expect(
    refusal(() => openChecked(path.join(tmp(), 'link'), { accept: ['file'], what: 'file', noFollow: true })).code,
  ).toBe('EINVAL');
  const w = refusal(() =>
    openChecked(fifo, { flags: fs.constants.O_WRONLY | fs.constants.O_CREAT, accept: ['file'], what: 'pid file' }),
  );
  expect(w.message).toMatch(/pid file .* is a FIFO, not a regular file/);
  expect(refusal(() => readSmallFile(fifo, 100, 'record')).message).toMatch(/record .* is a FIFO/);
  fs.writeFileSync(path.join(tmp(), 'big'), 'x'.repeat(101));
  expect(refusal(() => readSmallFile(path.join(tmp(), 'big'), 100)).message).toMatch(/larger than 100 bytes/);
  expect(readSmallFile('/etc/hostname', 4096).length).toBeGreaterThan(0);
});

test('openChecked with kindSeen: no stat first, but what was opened is still judged by its fstat', () => {
  const file = path.join(tmp(), 'file');
  fs.writeFileSync(file, 'data');
  const ok = openChecked(file, { accept: ['file'], what: 'source', noFollow: true, kindSeen: 'file' });
  try {
    expect([ok.kind, ok.stat.size]).toEqual(['file', 4]);
  } finally {
    fs.closeSync(ok.fd);
  }
  // The caller saw a file, but a FIFO is there now: opened without blocking, then refused.
  const fifo = path.join(tmp(), 'was-a-file');
  execFileSync('mkfifo', [fifo]);
  const e = refusal(() => openChecked(fifo, { accept: ['file'], what: 'source', kindSeen: 'file' }));
  expect([e.code, e.message]).toEqual(['EINVAL', `source ${fifo} is a FIFO, not a regular file`]);
  // A kind seen that is not accepted does not skip the stat: the refusal says what the path is.
  const d = refusal(() => openChecked(tmp(), { accept: ['file'], what: 'source', kindSeen: 'dir' }));
  expect(d.message).toMatch(/is a directory, not a regular file/);
});
