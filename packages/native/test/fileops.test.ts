import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import {
  deviceSize,
  flock,
  ioctl,
  isTerminal,
  LOCK_EX,
  LOCK_NB,
  LOCK_SH,
  LOCK_UN,
  readInto,
  writeBuffers,
  writeThenRead,
} from '../src';
import { ADDON_PATH, expectNativeError, isRoot, thrownName, useTempDir } from './helpers';

const FIONREAD = 0x541b;
const BLKRASET = 0x1262; // by-value arg: readahead in 512-byte sectors
const BLKRAGET = 0x1263; // long * out-arg
const tempDir = useTempDir();

function makeFile(name: string, size: number): { file: string; fd: number } {
  const file = path.join(tempDir(), name);
  const fd = fs.openSync(file, 'w+');
  fs.ftruncateSync(fd, size);
  return { file, fd };
}

/** Resolves once `text` appears on the child's stdout; rejects if it exits first. */
function waitForOutput(child: ReturnType<typeof spawn>, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes(text)) resolve();
    });
    child.on('exit', (code) => reject(new Error(`child exited (${code}) before printing "${text}"`)));
  });
}

function waitForExit(child: ReturnType<typeof spawn>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.on('exit', () => resolve()));
}

describe('ioctl', () => {
  test('a bogus request on a regular file throws ENOTTY', () => {
    const { fd } = makeFile('ioctl.bin', 4096);
    try {
      const err = expectNativeError(() => ioctl(fd, 0xdead), 'ENOTTY', 'ioctl');
      expect(err.errno).toBe(25);
      expectNativeError(() => ioctl(fd, 0xdeadn, 7), 'ENOTTY', 'ioctl');
      expectNativeError(() => ioctl(fd, 0xdead, Buffer.alloc(8)), 'ENOTTY', 'ioctl');
      expectNativeError(() => ioctl(99999, FIONREAD, Buffer.alloc(4)), 'EBADF', 'ioctl');
    } finally {
      fs.closeSync(fd);
    }
  });

  test('a Buffer argument is passed by pointer and filled in (FIONREAD)', () => {
    const { fd } = makeFile('fionread.bin', 10000);
    try {
      const out = Buffer.alloc(4);
      expect(ioctl(fd, FIONREAD, out)).toBe(0);
      expect(out.readInt32LE(0)).toBe(10000);
      expect(ioctl(fd, BigInt(FIONREAD), out)).toBe(0);
    } finally {
      fs.closeSync(fd);
    }
  });

  test('wrong argument types throw TypeError', () => {
    expect(thrownName(() => ioctl(0, 'x' as unknown as number))).toBe('TypeError');
    expect(thrownName(() => ioctl(0, 1, 'x' as unknown as number))).toBe('TypeError');
  });
});

describe('flock', () => {
  test('a child holding LOCK_EX makes LOCK_EX|LOCK_NB fail with EWOULDBLOCK until it exits', async () => {
    const { file, fd: setupFd } = makeFile('lock', 0);
    fs.closeSync(setupFd);
    const script = path.join(tempDir(), 'lock-child.js');
    fs.writeFileSync(
      script,
      `
      const fs = require('fs');
      const native = require(${JSON.stringify(ADDON_PATH)});
      const fd = fs.openSync(process.argv[2], 'r+');
      native.flock(fd, native.LOCK_EX);
      process.stdout.write('locked\\n');
      setInterval(() => {}, 1000);
      `,
    );
    const child = spawn(process.execPath, [script, file], { stdio: ['ignore', 'pipe', 'inherit'] });
    const fd = fs.openSync(file, 'r+');
    try {
      await waitForOutput(child, 'locked');
      const err = expectNativeError(() => flock(fd, LOCK_EX | LOCK_NB), 'EWOULDBLOCK', 'flock');
      expect(err.message).toMatch(/^flock: /);
      expectNativeError(() => flock(fd, LOCK_SH | LOCK_NB), 'EWOULDBLOCK', 'flock');

      process.kill(child.pid as number, 'SIGTERM');
      await waitForExit(child);
      flock(fd, LOCK_EX | LOCK_NB);
      flock(fd, LOCK_UN);
    } finally {
      fs.closeSync(fd);
      if (child.exitCode === null && child.signalCode === null) {
        process.kill(child.pid as number, 'SIGKILL');
        await waitForExit(child);
      }
    }
  });

  test('shared locks coexist; errors for bad fd and op', () => {
    const { file, fd } = makeFile('shared', 0);
    const fd2 = fs.openSync(file, 'r');
    try {
      flock(fd, LOCK_SH);
      flock(fd2, LOCK_SH | LOCK_NB);
      expectNativeError(() => flock(fd2, LOCK_EX | LOCK_NB), 'EWOULDBLOCK', 'flock');
      flock(fd, LOCK_UN);
      flock(fd2, LOCK_UN);
      expectNativeError(() => flock(99999, LOCK_EX), 'EBADF', 'flock');
      expectNativeError(() => flock(fd, 0), 'EINVAL', 'flock');
    } finally {
      fs.closeSync(fd);
      fs.closeSync(fd2);
    }
  });
});

describe('deviceSize', () => {
  test('regular file: st_size', () => {
    const { fd } = makeFile('sized.bin', 3 * 1024 * 1024 + 17);
    try {
      expect(deviceSize(fd)).toEqual({ size: fs.fstatSync(fd).size, kind: 'file' });
      expect(deviceSize(fd).size).toBe(3 * 1024 * 1024 + 17);
    } finally {
      fs.closeSync(fd);
    }
  });

  test('/dev/null (char device without sysfs size) and a directory throw EINVAL', () => {
    const devNull = fs.openSync('/dev/null', 'r');
    const dir = fs.openSync(tempDir(), 'r');
    try {
      const err = expectNativeError(() => deviceSize(devNull), 'EINVAL', 'deviceSize');
      expect(err.message).toMatch(/^deviceSize: Invalid argument/);
      expectNativeError(() => deviceSize(dir), 'EINVAL', 'deviceSize');
      expectNativeError(() => deviceSize(99999), 'EBADF', 'fstat');
    } finally {
      fs.closeSync(devNull);
      fs.closeSync(dir);
    }
  });

  test('loop device: BLKGETSIZE64 (and ioctl by value / by pointer)', () => {
    if (!isRoot) {
      console.log('skipping loop device test: not running as root');
      return;
    }
    const size = 8 * 1024 * 1024;
    const { file, fd: imgFd } = makeFile('loop.img', size);
    fs.closeSync(imgFd);
    const attach = spawnSync('losetup', ['--find', '--show', file], { encoding: 'utf8' });
    if (attach.status !== 0) {
      const why = attach.error ? attach.error.message : attach.stderr.trim();
      console.log(`skipping loop device test: losetup could not attach a loop device: ${why}`);
      return;
    }
    const dev = attach.stdout.trim();
    try {
      const fd = fs.openSync(dev, 'r');
      try {
        expect(deviceSize(fd)).toEqual({ size, kind: 'block' });
        expect(ioctl(fd, BLKRASET, 64)).toBe(0);
        const ra = Buffer.alloc(8);
        expect(ioctl(fd, BLKRAGET, ra)).toBe(0);
        expect(ra.readBigInt64LE(0)).toBe(64n);
      } finally {
        fs.closeSync(fd);
      }
    } finally {
      spawnSync('losetup', ['--detach', dev]);
    }
  });
});

describe('readInto / writeBuffers', () => {
  test('writeBuffers writes the buffers in order with one writev; readInto reads them back', () => {
    const { file, fd } = makeFile('rw.bin', 0);
    try {
      const a = Buffer.from('header--');
      const b = Buffer.from('0123456789abcdef').subarray(4, 12); // a view: its own offset is honoured
      expect(writeBuffers(fd, [a, b, Buffer.alloc(0)])).toBe(16);
      expect(fs.readFileSync(file, 'utf8')).toBe('header--456789ab');
      const rfd = fs.openSync(file, 'r');
      try {
        const into = Buffer.alloc(32, 0xee);
        expect(readInto(rfd, into.subarray(2, 12))).toBe(10);
        expect(into.subarray(0, 14).toString('latin1')).toBe('\xee\xeeheader--45\xee\xee');
        expect(readInto(rfd, into)).toBe(6); // the rest, then end of file
        expect(readInto(rfd, into)).toBe(0);
      } finally {
        fs.closeSync(rfd);
      }
    } finally {
      fs.closeSync(fd);
    }
  });

  test('errors carry the errno code; bad arguments throw TypeError/RangeError', () => {
    const { fd } = makeFile('rw-err.bin', 16);
    try {
      expectNativeError(() => readInto(99999, Buffer.alloc(8)), 'EBADF', 'read');
      expectNativeError(() => writeBuffers(99999, [Buffer.alloc(8)]), 'EBADF', 'writev');
      const ro = fs.openSync(path.join(tempDir(), 'rw-err.bin'), 'r');
      try {
        expectNativeError(() => writeBuffers(ro, [Buffer.alloc(8)]), 'EBADF', 'writev');
      } finally {
        fs.closeSync(ro);
      }
      expect(thrownName(() => writeBuffers(fd, 'x' as unknown as Buffer[]))).toBe('TypeError');
      expect(thrownName(() => writeBuffers(fd, [Buffer.alloc(1), 'x' as unknown as Buffer]))).toBe('TypeError');
      expect(thrownName(() => writeBuffers(fd, new Array<Buffer>(1025).fill(Buffer.alloc(1))))).toBe('RangeError');
      expect(thrownName(() => readInto(fd, 'x' as unknown as Buffer))).toBe('TypeError');
    } finally {
      fs.closeSync(fd);
    }
  });
});

describe('writeThenRead', () => {
  test('writes the buffers with one writev, then reads from where the write ended', () => {
    const file = path.join(tempDir(), 'wtr.bin');
    fs.writeFileSync(file, 'a'.repeat(16) + 'the rest of it..');
    const fd = fs.openSync(file, 'r+');
    try {
      const into = Buffer.alloc(40, 0xee);
      expect(
        writeThenRead(fd, [Buffer.from('reply-'), Buffer.from('xxbody------').subarray(2)], into.subarray(4)),
      ).toBe(16);
      expect(into.subarray(4, 20).toString('latin1')).toBe('the rest of it..');
      expect(into[3]).toBe(0xee);
      expect(fs.readFileSync(file, 'latin1')).toBe('reply-body------the rest of it..');
      expect(writeThenRead(fd, [Buffer.from('tail')], into)).toBe(0); // end of file after the write
      expect(fs.readFileSync(file, 'latin1')).toBe('reply-body------the rest of it..tail');
    } finally {
      fs.closeSync(fd);
    }
  });

  test('a refused write throws as writev and reads nothing; a refused read throws as read after the write', () => {
    const file = path.join(tempDir(), 'wtr-err.bin');
    fs.writeFileSync(file, '0123456789');
    const ro = fs.openSync(file, 'r');
    const wo = fs.openSync(file, 'r+');
    const woOnly = fs.openSync(file, fs.constants.O_WRONLY);
    try {
      const into = Buffer.alloc(16);
      expectNativeError(() => writeThenRead(ro, [Buffer.from('x')], into), 'EBADF', 'writev');
      expect(readInto(ro, into)).toBe(10); // the offset did not move: nothing was read
      expectNativeError(() => writeThenRead(woOnly, [Buffer.from('AB')], into), 'EBADF', 'read');
      expect(fs.readFileSync(file, 'latin1')).toBe('AB23456789');
      expect(thrownName(() => writeThenRead(wo, 'x' as unknown as Buffer[], into))).toBe('TypeError');
      expect(thrownName(() => writeThenRead(wo, [Buffer.alloc(1)], 'x' as unknown as Buffer))).toBe('TypeError');
      expect(thrownName(() => writeThenRead(wo, new Array<Buffer>(1025).fill(Buffer.alloc(1)), into))).toBe(
        'RangeError',
      );
      expect(fs.readFileSync(file, 'latin1')).toBe('AB23456789'); // bad arguments write nothing
    } finally {
      for (const fd of [ro, wo, woOnly]) fs.closeSync(fd);
    }
  });
});

test('isTerminal answers as isatty: a pseudo-terminal is one; a file, pipes and a closed descriptor are not', () => {
  const ptmx = fs.openSync('/dev/ptmx', fs.constants.O_RDWR | fs.constants.O_NOCTTY);
  const file = fs.openSync(__filename, 'r');
  try {
    expect(isTerminal(ptmx)).toBe(true);
    expect(isTerminal(file)).toBe(false);
  } finally {
    fs.closeSync(ptmx);
    fs.closeSync(file);
  }
  expect(isTerminal(file)).toBe(false); // closed now
  // A child whose stdin and stdout are pipes.
  const script = `const a = require(${JSON.stringify(ADDON_PATH)}); process.stdout.write(JSON.stringify([a.isTerminal(0), a.isTerminal(1)]))`;
  const child = spawnSync(process.execPath, ['-e', script], { stdio: 'pipe', encoding: 'utf8' });
  expect(child.stdout).toBe('[false,false]');
  expect(() => isTerminal(-1)).toThrow();
});
