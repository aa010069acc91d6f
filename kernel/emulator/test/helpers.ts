import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const made: string[] = [];
/** A fresh temporary directory, removed by cleanupTempDirs(). */
export function tempDir(prefix = 'famfs-kemu-'): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(d);
  return d;
}
export function cleanupTempDirs(): void {
  for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

export const MiB = 1024 * 1024;

/** The 32-bit word the test pattern puts at word index k (device offset 4k): it encodes its own offset. */
const wordAt = (k: number): number => (Math.imul(k, 0x9e3779b1) + 0x5a5a5a5a) >>> 0;

/** The byte the test pattern puts at device offset `d`. */
export function patternAt(d: number): number {
  return (wordAt(Math.floor(d / 4)) >>> ((d % 4) * 8)) & 0xff;
}

/** `len` bytes of the pattern starting at device offset `d`. */
export function patternRange(d: number, len: number): Buffer {
  const first = Math.floor(d / 4);
  const words = Math.ceil((d + len) / 4) - first;
  const b = Buffer.alloc(words * 4);
  for (let i = 0; i < words; i++) b.writeUInt32LE(wordAt(first + i), i * 4);
  return b.subarray(d - first * 4, d - first * 4 + len);
}

/** Writes the pattern into [from, to) of a file (in 1 MiB pieces). */
export function fillPattern(file: string, from: number, to: number): void {
  const fd = fs.openSync(file, 'r+');
  try {
    for (let at = from; at < to; at += MiB) {
      const n = Math.min(MiB, to - at);
      fs.writeSync(fd, patternRange(at, n), 0, n, at);
    }
  } finally {
    fs.closeSync(fd);
  }
}

export function readAt(file: string, offset: number, length: number): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const b = Buffer.alloc(length);
    fs.readSync(fd, b, 0, length, offset);
    return b;
  } finally {
    fs.closeSync(fd);
  }
}

/** A reference offset map written independently of the emulator: file offset -> device offset. */
export type Layout =
  | { kind: 'simple'; extents: { offset: number; len: number }[] }
  | { kind: 'interleaved'; chunk: number; strips: { offset: number; len: number }[] };

export function devOffsetOf(layout: Layout, fileOffset: number): number {
  if (layout.kind === 'simple') {
    let rest = fileOffset;
    for (const e of layout.extents) {
      if (rest < e.len) return e.offset + rest;
      rest -= e.len;
    }
    throw new Error(`file offset ${fileOffset} past the extents`);
  }
  const chunkIndex = Math.floor(fileOffset / layout.chunk);
  const strip = layout.strips[chunkIndex % layout.strips.length];
  const row = Math.floor(chunkIndex / layout.strips.length);
  return strip.offset + row * layout.chunk + (fileOffset % layout.chunk);
}

/** What the file's bytes [off, off+len) should read as, given a device filled with the pattern. */
export function expectedFileBytes(layout: Layout, off: number, len: number): Buffer {
  // Extents, strips and chunks are 2 MiB multiples, so each 4 KiB page of the file is contiguous on the device.
  const parts: Buffer[] = [];
  for (let i = 0; i < len;) {
    const run = Math.min(len - i, 4096 - ((off + i) % 4096));
    parts.push(patternRange(devOffsetOf(layout, off + i), run));
    i += run;
  }
  return Buffer.concat(parts);
}
