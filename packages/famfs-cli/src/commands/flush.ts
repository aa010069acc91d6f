import * as fs from 'fs';
import * as native from '@famfs/native';
import { openChecked } from '@famfs/libfamfs/common';
import { findFamfsMount } from '@famfs/libfamfs/mount';
import { CommandSpec } from '../command';
import { describeError, exitVal } from '../errors';

/** Files are mapped in windows of this many bytes (well under the Buffer limit). */
const WINDOW = 1 << 30;

/**
 * `famfs flush [-v] FILE...`: map each file (through the mount) and write back and invalidate
 * the CPU cache lines over all of it (the C famfs' hard flush), then msync when the famfs device
 * is a regular file (its page cache is the memory). Exit = number of files that failed.
 */
export const flushCommand: CommandSpec = {
  name: 'flush',
  args: 'FILE...',
  summary: 'Write back and invalidate the CPU cache over whole files (for memory shared without coherency)',
  options: [{ flags: '-v, --verbose', help: 'Say what was flushed and how' }],
  examples: ['famfs flush /mnt/famfs/file0 /mnt/famfs/file1'],
  run(args, o, io) {
    let errs = 0;
    for (const file of args) {
      try {
        const r = flushFile(file);
        if (o.verbose) io.out(`famfs flush: ${file}: ${r.bytes} bytes (${r.method}${r.msync ? ', msync' : ''})\n`);
      } catch (e) {
        io.err(`famfs flush: ${file}: ${describeError(e)}\n`);
        errs++;
      }
    }
    // With one file its own line says it all; the count is for lists.
    if (errs && args.length > 1) io.err(`famfs flush: ${errs} errors were detected\n`);
    return exitVal(errs);
  },
};

function flushFile(file: string): { bytes: number; method: string; msync: boolean } {
  const st = fs.statSync(file);
  if (st.isDirectory()) throw new Error('is a directory');
  if (!st.isFile()) throw new Error('not a regular file');
  if (st.size === 0) throw new Error('empty file: nothing to map');
  const mount = findFamfsMount(file);
  // A famfs device that is a regular file lives in the page cache: msync pushes the mapping there.
  const msync = mount !== undefined && isRegularFile(mount.device);
  const { fd } = openChecked(file, { accept: ['file'], what: 'file' });
  try {
    for (let off = 0; off < st.size; off += WINDOW) {
      const len = Math.min(WINDOW, st.size - off);
      const buf = native.mmap(fd, len, off, false);
      try {
        native.invalidate(buf, 0, len);
        if (msync) native.msync(buf, 0, len, true);
      } finally {
        native.unmap(buf);
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  return { bytes: st.size, method: native.cacheMethod().invalidate, msync };
}

function isRegularFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}
