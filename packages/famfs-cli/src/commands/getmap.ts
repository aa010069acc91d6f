import * as fs from 'fs';
import * as os from 'os';
import {
  FamfsMount,
  findFamfsMount,
  MountedFileMap,
  mountedFileMap,
  MountedLog,
  readMountedLog,
  relpathInMount,
} from '@famfs/libfamfs/mount';
import { CommandSpec } from '../command';
import { describeError } from '../errors';

/** getmap's exit codes, as the C famfs defines them. */
const NOT_FAMFS = 1;
const NO_MAP = 2;
const { EBADF, EISDIR } = os.constants.errno;

interface JsonExtent {
  devIndex: number;
  offset: number;
  length: number;
}

interface JsonMap {
  path: string;
  size: number;
  kind: 'simple' | 'interleaved';
  extents?: JsonExtent[];
  nstrips?: number;
  chunkSize?: number;
  strips?: JsonExtent[];
  /** How the served map compares with the log: match, differs, or missing (not logged). */
  log: 'match' | 'differs' | 'missing';
}

/**
 * `famfs getmap [-q] [-c] [--json] FILE...`: the extents of files of a mounted famfs, taken from
 * the shadow YAML the mount serves and cross-checked with the log on the device.
 * Exit: 0 all good; 1 not in famfs; 2 famfs but no usable map; 9 (EBADF) not found;
 * 21 (EISDIR) not a regular file. Without -c it stops at the first failure; with -c it goes on
 * and exits with the first failure's code.
 */
export const getmapCommand: CommandSpec = {
  name: 'getmap',
  args: 'FILE...',
  missingArgsExit: 22,
  summary: 'Print the extent map of famfs files (from the shadow YAML the mount serves, checked against the log)',
  options: [
    { flags: '-q, --quiet', help: 'Print only "good file" lines; the exit code tells the rest' },
    { flags: '-c, --continue', help: 'Go on with the next file after an error' },
    { flags: '--json', help: 'Print one JSON array of {path, size, kind, extents | nstrips, chunkSize, strips, log}' },
  ],
  examples: ['famfs getmap /mnt/famfs/file0', 'famfs getmap -c --json /mnt/famfs/*'],
  run(args, o, io) {
    const quiet = !!o.quiet;
    const json = !!o.json;
    const logs = new Map<string, MountedLog>();
    const out: JsonMap[] = [];
    let code = 0;
    const fail = (rc: number, msg: string): boolean => {
      if (!quiet) io.err(`famfs getmap: ${msg}\n`);
      if (code === 0) code = rc;
      return !!o.continue;
    };
    for (const file of args) {
      let st: fs.Stats;
      try {
        st = fs.statSync(file);
      } catch {
        if (fail(EBADF, `file not found (${file})`)) continue;
        break;
      }
      if (!st.isFile()) {
        if (fail(EISDIR, `not a regular file (${file})`)) continue;
        break;
      }
      const mount = findFamfsMount(file);
      if (!mount) {
        if (fail(NOT_FAMFS, `file (${file}) not in famfs`)) continue;
        break;
      }
      let m: MountedFileMap;
      try {
        m = mountedFileMap(logOf(mount, logs), relpathInMount(mount, file));
      } catch (e) {
        if (fail(NO_MAP, `file (${file}) is famfs, but its map cannot be read: ${describeError(e)}`)) continue;
        break;
      }
      if (!m.entry) {
        if (fail(NO_MAP, `file (${file}) is famfs, but has no map: ${m.problem}`)) continue;
        break;
      }
      const logState = !m.logged ? 'missing' : m.differences.length ? 'differs' : 'match';
      if (!quiet) {
        if (logState === 'missing') io.err(`famfs getmap: warning: ${file} is not in the log\n`);
        if (logState === 'differs')
          io.err(
            `famfs getmap: warning: the map of ${file} does not match its log entry (${m.differences.join('; ')})\n`,
          );
        if (m.invalid) io.err(`famfs getmap: warning: the map of ${file} is not valid for the device: ${m.invalid}\n`);
      }
      const e = m.entry;
      if (json) {
        const ext = (x: { devIndex: number; offset: number; len: number }): JsonExtent => ({
          devIndex: x.devIndex,
          offset: x.offset,
          length: x.len,
        });
        out.push(
          e.fmap.kind === 'simple'
            ? { path: file, size: e.size, kind: 'simple', extents: e.fmap.extents.map(ext), log: logState }
            : {
                path: file,
                size: e.size,
                kind: 'interleaved',
                nstrips: e.fmap.nstrips,
                chunkSize: e.fmap.chunkSize,
                strips: e.fmap.strips.map(ext),
                log: logState,
              },
        );
        continue;
      }
      if (!quiet) {
        const L = [`File:     ${file}`, `\tsize:    ${e.size}`];
        if (e.fmap.kind === 'simple') {
          L.push(`\textents: ${e.fmap.extents.length}`);
          for (const x of e.fmap.extents) L.push(`\t\t${x.offset.toString(16)}\t${x.len}`);
        } else {
          L.push('\textents: 1');
          L.push(`Interleave_Param chunk_size: ${e.fmap.chunkSize}`);
          L.push(`Interleaved extent has ${e.fmap.nstrips} strips:`);
          for (const x of e.fmap.strips) L.push(`\t\t${x.offset.toString(16)}\t${x.len}`);
        }
        io.out(L.join('\n') + '\n');
      }
      io.out(`famfs_getmap: good file ${file}\n`);
    }
    if (json) io.out(JSON.stringify(out, null, 2) + '\n');
    return code;
  },
};

/** One replay of the log per mount, however many files of it are named. */
function logOf(mount: FamfsMount, cache: Map<string, MountedLog>): MountedLog {
  let log = cache.get(mount.mountpoint);
  if (!log) {
    log = readMountedLog(mount);
    cache.set(mount.mountpoint, log);
  }
  return log;
}
