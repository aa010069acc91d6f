import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { COPY_NOT_REGULAR, COPY_SIZE_CHANGED, copyFilesStart, crc32RecordsStart } from '../src';

let dir: string;
let devFd: number;
const DEV_SIZE = 1 << 20;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'famfs-copy-files-'));
  devFd = fs.openSync(path.join(dir, 'dev'), 'w+');
  fs.ftruncateSync(devFd, DEV_SIZE);
});

afterEach(() => {
  fs.closeSync(devFd);
  fs.rmSync(dir, { recursive: true, force: true });
});

function source(name: string, bytes: Buffer): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, bytes);
  return p;
}

function pattern(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

function device(): Buffer {
  return fs.readFileSync(path.join(dir, 'dev'));
}

test('copies each file to its device ranges, in file order, on the background thread', () => {
  const a = pattern(10_000, 1);
  const b = pattern(1, 2);
  const c = pattern(4096 * 3 + 5, 3);
  const files = [
    // a is split over two ranges, its second half first on the device
    {
      path: source('a', a),
      size: a.length,
      ranges: [
        { offset: 65536, len: 6000 },
        { offset: 4096, len: 4000 },
      ],
    },
    { path: source('b', b), size: 1, ranges: [{ offset: 200_000, len: 1 }] },
    { path: source('c', c), size: c.length, ranges: [{ offset: 131072, len: c.length }] },
  ];
  const job = copyFilesStart(files, devFd, { noFollow: true });
  // The thread is shared: a CRC job started now runs after the copies.
  const crc = crc32RecordsStart(Buffer.alloc(64), 0, 64, 64, 1);
  const status = job.wait();
  expect(Array.from(status)).toEqual([0, 0, 0]);
  expect(job.wait()).toBe(status);
  crc.wait();
  // The device holds exactly those bytes and nothing else.
  const want = Buffer.alloc(DEV_SIZE);
  a.copy(want, 65536, 0, 6000);
  a.copy(want, 4096, 6000);
  b.copy(want, 200_000);
  c.copy(want, 131072);
  expect(device().equals(want)).toBe(true);
});

test('a file it cannot copy exactly gets a status, and the others are still copied', () => {
  const ok = pattern(3000, 4);
  const grown = pattern(101, 5);
  const shrunk = pattern(99, 6);
  fs.symlinkSync(source('target', ok), path.join(dir, 'link'));
  fs.mkdirSync(path.join(dir, 'subdir'));
  const at = (offset: number, len: number) => [{ offset, len }];
  const files = [
    { path: path.join(dir, 'missing'), size: 10, ranges: at(0, 10) },
    { path: source('grown', grown), size: 100, ranges: at(4096, 100) },
    { path: source('shrunk', shrunk), size: 100, ranges: at(8192, 100) },
    { path: path.join(dir, 'link'), size: ok.length, ranges: at(12288, ok.length) },
    { path: path.join(dir, 'subdir'), size: 10, ranges: at(16384, 10) },
    { path: source('ok', ok), size: ok.length, ranges: at(20480, ok.length) },
  ];
  const status = Array.from(copyFilesStart(files, devFd, { noFollow: true }).wait());
  expect(status).toEqual([
    os.constants.errno.ENOENT,
    COPY_SIZE_CHANGED,
    COPY_SIZE_CHANGED,
    os.constants.errno.ELOOP,
    COPY_NOT_REGULAR,
    0,
  ]);
  const dev = device();
  expect(dev.subarray(20480, 20480 + ok.length).equals(ok)).toBe(true);
  // A source of the wrong size is refused before anything is written.
  expect(dev.subarray(4096, 4096 + 100).every((x) => x === 0)).toBe(true);
  expect(dev.subarray(8192, 8192 + 100).every((x) => x === 0)).toBe(true);
  // Without noFollow the symlink's target is copied.
  const followed = copyFilesStart([files[3]], devFd, { noFollow: false }).wait();
  expect(Array.from(followed)).toEqual([0]);
  expect(
    device()
      .subarray(12288, 12288 + ok.length)
      .equals(ok),
  ).toBe(true);
});

test('a device that refuses the write gives its errno', () => {
  const a = pattern(500, 7);
  const readOnly = fs.openSync(path.join(dir, 'dev'), 'r');
  try {
    const status = copyFilesStart([{ path: source('a', a), size: 500, ranges: [{ offset: 0, len: 500 }] }], readOnly, {
      noFollow: true,
    }).wait();
    expect(Array.from(status)).toEqual([os.constants.errno.EBADF]);
  } finally {
    fs.closeSync(readOnly);
  }
});

test('arguments that do not describe whole files are refused at once', () => {
  const p = source('a', pattern(10, 8));
  const start = (size: number, ranges: { offset: number; len: number }[], file = p) =>
    copyFilesStart([{ path: file, size, ranges }], devFd, { noFollow: true });
  expect(() => start(10, [{ offset: 0, len: 9 }])).toThrow(/do not add up/);
  // (Errors made by the addon belong to another realm than jest's: matched by message.)
  expect(() => start(10, [])).toThrow(/file 0: size or piece count out of range/);
  expect(() => start(0, [{ offset: 0, len: 0 }])).toThrow(/piece 0 is not/);
  expect(() => start(10, [{ offset: -4096, len: 10 }])).toThrow(/piece 0 is not/);
  expect(() => start(10, [{ offset: 0.5, len: 10 }])).toThrow(/piece 0 is not/);
  expect(() => start(128 * 1024 * 1024, [{ offset: 0, len: 128 * 1024 * 1024 }])).toThrow(/piece 0 is not/);
  expect(() => start(10, [{ offset: 0, len: 10 }], '')).toThrow(/non-empty/);
  expect(() => start(10, [{ offset: 0, len: 10 }], `${p}\0x`)).toThrow(/holds a NUL byte/);
  expect(() => copyFilesStart([], -1, { noFollow: true })).toThrow(/fd/);
  expect(Array.from(copyFilesStart([], devFd, { noFollow: true }).wait())).toEqual([]);
});
