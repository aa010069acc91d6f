/**
 * Test support shared by the libfamfs tests and, through a relative import, the CLI's: temporary
 * directories, sparse device files, raw device bytes, a device's log replayed, and the system UUIDs
 * the tests play.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Device, mapMeta } from '../src/device/device';
import { Replay, replayLog } from '../src/log/replay';

export const GiB = 1024 ** 3;
export const MASTER = Buffer.from('303132333435363738393a3b3c3d3e3f', 'hex');
export const OTHER = Buffer.from('aaaaaaaabbbbccccddddeeeeeeeeeeee', 'hex');

/** A fresh temporary directory per test (named `<prefix>XXXXXX`), removed afterwards. */
export function useTempDir(prefix = 'famfs-test-'): () => string {
  let dir = '';
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return () => dir;
}

/** A sparse regular file of `size` bytes to use as a device. */
export function sparseDevice(dir: string, size = 8 * GiB, name = 'dev.img'): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, '');
  fs.truncateSync(p, size);
  return p;
}

/** Bytes [offset, offset + length) of a device file. */
export function readBytes(file: string, offset: number, length: number): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const b = Buffer.alloc(length);
    fs.readSync(fd, b, 0, length, offset);
    return b;
  } finally {
    fs.closeSync(fd);
  }
}

/** Writes `data` into a device file at `offset`. */
export function writeBytes(file: string, offset: number, data: Buffer): void {
  const fd = fs.openSync(file, 'r+');
  try {
    fs.writeSync(fd, data, 0, data.length, offset);
  } finally {
    fs.closeSync(fd);
  }
}

/** The log of the device file `dev`, replayed whole (the reference the windowed passes are checked against). */
export function replayDevice(dev: string): Replay {
  const d = Device.open(dev);
  try {
    const meta = mapMeta(d);
    return replayLog(meta.log, meta.sb, dev);
  } finally {
    d.close();
  }
}
