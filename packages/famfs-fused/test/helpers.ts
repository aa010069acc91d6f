import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
export { cstr, initMsg, msg, parseReply, readMsg, STOCK_OFFER } from '@famfs/fuse/testing';

const made: string[] = [];
/** A fresh temporary directory (removed by cleanupTempDirs, which each test file runs in afterAll). */
export function tempDir(prefix = 'famfs-fused-'): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(d);
  return d;
}
export function cleanupTempDirs(): void {
  for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

/** Bytes [offset, offset + len) of a device file. */
export function readDevice(dev: string, offset: number, len: number): Buffer {
  const fd = fs.openSync(dev, 'r');
  try {
    const b = Buffer.alloc(len);
    fs.readSync(fd, b, 0, len, offset);
    return b;
  } finally {
    fs.closeSync(fd);
  }
}

/** Writes `data` into a device file at `offset`. */
export function writeDevice(dev: string, offset: number, data: Buffer): void {
  const fd = fs.openSync(dev, 'r+');
  try {
    fs.writeSync(fd, data, 0, data.length, offset);
  } finally {
    fs.closeSync(fd);
  }
}
