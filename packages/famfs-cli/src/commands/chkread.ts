import * as fs from 'fs';
import * as native from '@famfs/native';
import {
  checkSuperblock,
  LOG_HEADER_SIZE,
  LogHeaderLayout,
  parseLogHeader,
  SuperblockLayout,
} from '@famfs/libfamfs/format';
import { openChecked } from '@famfs/libfamfs/common';
import { CommandSpec } from '../command';
import { describeError } from '../errors';
import { Io } from '../io';

/** Compared in windows of this many bytes: one read() buffer and one mapping at a time. */
const WINDOW = 64 << 20;

/**
 * `famfs chkread [-s|-l] FILE`: read() the whole file and compare it with an mmap of it (both
 * through the mount). -s / -l also print the file's start as a superblock / log header, as read
 * both ways. Exit 0 when they match; 1 on a mismatch or when the file cannot be read or mapped.
 */
export const chkreadCommand: CommandSpec = {
  name: 'chkread',
  args: 'FILE',
  summary: 'Check that a file reads the same through read() and through mmap',
  options: [
    { flags: '-s, --superblock', help: 'The file is a famfs superblock (.meta/.superblock): print its fields' },
    { flags: '-l, --log', help: 'The file is a famfs log (.meta/.log): print its header fields' },
  ],
  examples: ['famfs chkread /mnt/famfs/file0', 'famfs chkread -l /mnt/famfs/.meta/.log'],
  run(args, o, io) {
    const file = args[0];
    let st: fs.Stats;
    try {
      st = fs.statSync(file);
    } catch (e) {
      io.err(`famfs chkread: could not stat file ${file}: ${describeError(e)}\n`);
      return 1;
    }
    if (!st.isFile()) {
      io.err(`famfs chkread: ${file} is not a regular file\n`);
      return 1;
    }
    if (st.size === 0) {
      io.err(`famfs chkread: ${file} is empty: nothing to map\n`);
      return 1;
    }
    let fd: number;
    try {
      fd = openChecked(file, { accept: ['file'], what: 'file' }).fd;
    } catch (e) {
      io.err(`famfs chkread: cannot open ${file}: ${describeError(e)}\n`);
      return 1;
    }
    try {
      const size = st.size;
      const rbuf = Buffer.alloc(Math.min(WINDOW, size));
      let mismatch = -1;
      let total = 0;
      for (let off = 0; off < size && mismatch < 0; off += WINDOW) {
        const len = Math.min(WINDOW, size - off);
        const n = readFully(fd, rbuf, len, off);
        total += n;
        if (n !== len) {
          io.out(`read tried=${size} got=${total}\n`);
          io.err(`famfs chkread: short read of ${file} at offset ${off + n}\n`);
          return 1;
        }
        const map = native.mmap(fd, len, off, false);
        try {
          native.invalidate(map, 0, len);
          if (off === 0) {
            io.out(`read tried=${size} got=${size}\n`);
            if (o.superblock) dumpHead(io, 'superblock', 'Superblock', map, rbuf);
            if (o.log) dumpHead(io, 'log', 'Log', map, rbuf);
          }
          if (!map.equals(rbuf.subarray(0, len))) mismatch = off + firstDifference(map, rbuf, len);
        } finally {
          native.unmap(map);
        }
      }
      if (mismatch >= 0) {
        io.err(`famfs chkread: Read and mmap miscompare (first difference at offset ${mismatch})\n`);
        return 1;
      }
      io.out('Read and mmap match\n');
      return 0;
    } catch (e) {
      io.err(`famfs chkread: ${file}: ${describeError(e)}\n`);
      return 1;
    } finally {
      fs.closeSync(fd);
    }
  },
};

function readFully(fd: number, buf: Buffer, len: number, pos: number): number {
  let got = 0;
  while (got < len) {
    const n = fs.readSync(fd, buf, got, len - got, pos + got);
    if (n === 0) break;
    got += n;
  }
  return got;
}

function firstDifference(a: Buffer, b: Buffer, len: number): number {
  for (let i = 0; i < len; i++) if (a[i] !== b[i]) return i;
  return len;
}

/** The C famfs' chkread dumps: the header fields by mmap then by read, then hex of each. */
function dumpHead(io: Io, what: 'superblock' | 'log', title: string, byMmap: Buffer, byRead: Buffer): void {
  const dump = what === 'superblock' ? dumpSuper : dumpLog;
  io.out(`${what === 'superblock' ? 'superblock' : 'Log'} by mmap\n`);
  dump(io, byMmap);
  io.out(`${what === 'superblock' ? 'superblock' : 'Log'} by read\n`);
  dump(io, byRead);
  const n = what === 'superblock' ? 32 : 64;
  hexDump(io, byMmap, n, `${title} by mmap`);
  hexDump(io, byRead, n, `${title} by read`);
}

function padded(buf: Buffer, size: number): Buffer {
  if (buf.length >= size) return buf;
  const b = Buffer.alloc(size);
  buf.copy(b);
  return b;
}

function dumpSuper(io: Io, raw: Buffer): void {
  const buf = padded(raw, SuperblockLayout.size);
  const c = checkSuperblock(Buffer.from(buf.subarray(0, SuperblockLayout.size)));
  if (!c.ok) io.err(`invalid superblock: ${c.reason}\n`);
  const u64 = (at: number) => buf.readBigUInt64LE(at);
  // struct famfs_superblock: magic @0, version @8, log offset @16, log len @24.
  io.out(
    [
      'famfs superblock:',
      `\tmagic:       ${u64(0).toString(16)}`,
      `\tversion:     ${u64(8)}`,
      `\tlog offset:  ${u64(16)}`,
      `\tlog len:     ${u64(24)}`,
    ].join('\n') + '\n',
  );
}

function dumpLog(io: Io, raw: Buffer): void {
  const buf = padded(raw, LOG_HEADER_SIZE);
  const u64 = (at: number) => buf.readBigUInt64LE(at);
  try {
    parseLogHeader(buf, LogHeaderLayout.get(buf, 'len'), 'log');
  } catch (e) {
    io.err(`Error invalid log header: ${describeError(e)}\n`);
  }
  // struct famfs_log: magic @0, len @8, last_index @16, crc @24, next_seqnum @32, next_index @40.
  io.out(
    [
      'famfs log:',
      `\tmagic:      ${u64(0).toString(16)}`,
      `\tlen:        ${u64(8)}`,
      `\tlast index: ${u64(16)}`,
      `\tnext index: ${u64(40)}`,
    ].join('\n') + '\n',
  );
}

function hexDump(io: Io, buf: Buffer, len: number, title: string): void {
  const L = [title];
  const n = Math.min(len, buf.length);
  for (let i = 0; i < n; i += 16) {
    L.push(Array.from(buf.subarray(i, Math.min(n, i + 16)), (b) => b.toString(16).padStart(2, '0') + ' ').join(''));
  }
  io.out(L.join('\n') + '\n');
}
