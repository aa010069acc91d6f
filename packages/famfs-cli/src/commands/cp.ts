import * as fs from 'fs';
import * as path from 'path';
import { isFamfsError } from '@famfs/libfamfs/common';
import { checkInterleave } from '@famfs/libfamfs/alloc';
import { FamfsMaster } from '@famfs/libfamfs/mount';
import { CommandSpec } from '../command';
import { CopyEngine, CopyReport, scanTotals } from '../copy/engine';
import { formatBytes, Progress, ProgressSink } from '../copy/progress';
import {
  INTERLEAVE_FLAGS,
  OWNER_FLAGS,
  currentUmask,
  interleaveFor,
  parseInterleaveFlags,
  parseOwner,
} from '../create-options';
import { describeError, exitCodeOf, exitVal } from '../errors';
import { Io, processIo, quietOnClosedPipes } from '../io';
import { optInt } from '../options';
import * as native from '@famfs/native';
import { monotonicMs } from '../clock';

const PROG = 'famfs cp';

/**
 * `famfs cp [-r] [-c] [-m MODE] [-u UID] [-g GID] [-N -B -C] [-q] [-v] SRC... DEST`: copy files
 * and directories into a mounted famfs. One log session covers the whole copy.
 *
 * Exit status: 0 when everything was copied (or, with -c, is identical); 1 when some sources
 * were skipped or differ, or the destination is unusable; the errno of the cause when the copy
 * was aborted (28 out of space, 12 log full, 22 a source that is not a regular file or
 * directory, or bad interleave parameters).
 */
export const cpCommand: CommandSpec = {
  name: 'cp',
  args: 'SOURCE... DEST',
  summary: 'Copy files and directories into famfs (restartable: a same-size famfs file is rewritten in place)',
  options: [
    { flags: '-r, --recursive', help: 'Copy directories and their contents (DEST is created if missing)' },
    ...OWNER_FLAGS.map((f) =>
      f.flags.startsWith('-m')
        ? { ...f, help: "Mode of new files, octal (default: the source's; the umask applies)" }
        : f,
    ),
    ...INTERLEAVE_FLAGS,
    {
      flags: '-c, --compare',
      help: 'Compare the sources with existing famfs files instead of copying (exit 1 on a difference)',
    },
    { flags: '-t, --threadct=N', help: 'Threads, 0..256 (accepted as in the C famfs; copies run in one thread)' },
    { flags: '-q, --quiet', help: 'No progress bar and no output but errors' },
    { flags: '-v, --verbose', help: 'Name each file and directory copied, and print a summary (-vv...: the same)' },
  ],
  examples: [
    'famfs cp ./data.bin /mnt/famfs/data.bin',
    'famfs cp /data/*.bin /mnt/famfs/dir',
    'famfs cp -r /data/set /mnt/famfs/set       # set/ becomes a copy of /data/set',
    'famfs cp -r /data/set/. /mnt/famfs/set     # the contents of /data/set into set/ (rerun to restart)',
    'famfs cp -N 4 -B 8 big.bin /mnt/famfs/big.bin',
    'famfs cp -c -r /data/set/. /mnt/famfs/set  # compare only',
  ],
  run(args, o, io) {
    const sources = args.slice(0, -1);
    const dest = args[args.length - 1];
    const owner = parseOwner(o);
    const flags = parseInterleaveFlags(o);
    optInt(o.threadct, '--threadct', 0, 256);
    const quiet = !!o.quiet;
    const verbose = !!o.verbose && !quiet;

    let master: FamfsMaster;
    try {
      master = FamfsMaster.open(nearestExisting(dest));
    } catch (e) {
      io.err(`${PROG}: ${describeError(e)}\n`);
      return exitCodeOf(e);
    }
    try {
      let interleave;
      if (!o.compare) {
        try {
          if (flags)
            checkInterleave(flags, master.session.allocation.capacityBytes, master.session.allocation.unitSize);
          interleave = interleaveFor(master, flags, io, PROG);
        } catch (e) {
          io.err(`${PROG}: ${describeError(e)}\n`);
          return exitCodeOf(e);
        }
      }
      const sink = !quiet ? terminalSink(io) : undefined;
      // FAMFS_PROGRESS_DELAY_MS (a test hook): how long a copy runs before the bar appears.
      const delay = Number(process.env.FAMFS_PROGRESS_DELAY_MS);
      const progress = new Progress(sink, Number.isFinite(delay) && delay >= 0 ? { delayMs: delay } : {});
      if (sink) {
        const totals = scanTotals(sources, !!o.recursive);
        if (totals) progress.setTotals(totals.files, totals.bytes);
      }
      const started = monotonicMs();
      // A signal (Ctrl-C) is noticed between chunks, so the copy stops with a report, not midway unsaid.
      const catching = io === processIo;
      if (catching) native.catchInterrupts();
      const engine = new CopyEngine(
        master,
        {
          recursive: !!o.recursive,
          compare: !!o.compare,
          mode: owner.mode === undefined ? undefined : owner.mode & ~currentUmask() & 0o777,
          uid: owner.uid,
          gid: owner.gid,
          interleave,
          verbose,
          quiet,
          interruptSignal: catching ? native.interruptSignal : undefined,
        },
        io,
        progress,
      );
      let report: CopyReport;
      try {
        report = engine.run(sources, dest);
      } finally {
        if (catching) native.releaseInterrupts();
      }
      const seconds = (monotonicMs() - started) / 1000;
      if (report.interrupted) {
        io.err(`${PROG}: ${interruptedState(report, seconds)}\n`);
        return 128 + report.interrupted.signal;
      }
      if (report.aborted) {
        io.err(`${PROG}: aborting: ${report.aborted.message}; ${abortState(report, seconds, !!o.compare)}\n`);
        return exitVal(report.aborted.errno);
      }
      if (verbose) io.out(`${PROG}: ${summary(report, seconds, !!o.compare)}\n`);
      return report.errors > 0 ? 1 : 0;
    } catch (e) {
      io.err(`${PROG}: ${describeError(e)}\n`);
      return isFamfsError(e) ? exitCodeOf(e) : 1;
    } finally {
      master.close();
    }
  },
};

function summary(r: CopyReport, seconds: number, compare: boolean): string {
  const rate = seconds > 0 ? `, ${formatBytes(Math.round(r.bytesCopied / seconds))}/s` : '';
  const parts = compare
    ? [`${r.filesCompared} files compared`]
    : [
        `${r.filesCopied} files copied`,
        ...(r.filesRewritten ? [`${r.filesRewritten} rewritten in place`] : []),
        `${r.dirsCreated} directories created`,
        `${formatBytes(r.bytesCopied)} in ${seconds.toFixed(2)} s${rate}`,
      ];
  if (r.errors) parts.push(`${r.errors} ${compare ? 'differences or errors' : 'errors'}`);
  if (r.warnings) parts.push(`${r.warnings} warnings`);
  return parts.join(', ');
}

/** What an abort left: nothing (the walk refused the copy), or what was and was not copied. */
function abortState(r: CopyReport, seconds: number, compare: boolean): string {
  if (r.abortedBeforeWrites) return 'nothing was copied (the whole copy is checked before anything is written)';
  const left = r.notCopied ? `; not copied: ${r.notCopied.files} files and ${r.notCopied.dirs} directories` : '';
  return `${summary(r, seconds, compare)} before the abort, each of those files complete${left}`;
}

/**
 * What a signal left: the file it stopped (logged at its full size, partly written), what was
 * copied before it, what was not, and the command that finishes the job.
 */
function interruptedState(r: CopyReport, seconds: number): string {
  const { signal, partial } = r.interrupted!;
  const parts: string[] = [];
  if (partial) {
    const written = `${formatBytes(partial.done)} of ${formatBytes(partial.size)} written from '${partial.src}'`;
    parts.push(`'${partial.target}' is incomplete (${written}; the rest holds old bytes)`);
  }
  if (r.filesCopied + r.filesRewritten + r.dirsCreated > 0) {
    parts.push(`${summary(r, seconds, false)} before it, each complete`);
  }
  if (r.notCopied && r.notCopied.files + r.notCopied.dirs > 0) {
    parts.push(`not copied: ${r.notCopied.files} files and ${r.notCopied.dirs} directories`);
  }
  parts.push('run the same famfs cp again to finish (a same-size famfs file is rewritten in place)');
  return `interrupted by ${SIGNAL_NAMES[signal] ?? `signal ${signal}`}: ${parts.join('; ')}`;
}

const SIGNAL_NAMES: Record<number, string> = { 1: 'SIGHUP', 2: 'SIGINT', 15: 'SIGTERM' };

/** Progress goes to the terminal only: stderr of this process, when it is a TTY. */
function terminalSink(io: Io): ProgressSink | undefined {
  if (io !== processIo || !native.isTerminal(2)) return undefined;
  quietOnClosedPipes();
  return { write: (t) => process.stderr.write(t), columns: () => process.stderr.columns || 80 };
}

/** The longest existing prefix of `p` (the destination may not exist yet). */
function nearestExisting(p: string): string {
  let cur = path.resolve(p);
  for (;;) {
    if (fs.existsSync(cur)) return cur;
    const parent = path.dirname(cur);
    if (parent === cur) return cur;
    cur = parent;
  }
}
