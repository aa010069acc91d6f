/**
 * The daemon's log: every line carries an ISO 8601 time stamp and a syslog level name, and goes
 * to one destination chosen at start:
 * - 'journal' (under systemd): stderr, each line led by the syslog `<N>` prefix journald reads as
 *   the line's priority;
 * - 'file': a size-bounded file (log-file.ts), as `famfs mount` asks with -o logfile=PATH;
 * - 'stderr': plain stderr (famfs_fused run by hand).
 * Which levels are written is the shared run-time level (0 EMERG .. 7 DEBUG).
 */
import { levelName } from '../diag/log-levels';
import { RotatingLogFile } from './log-file';

export type LogDestination =
  { kind: 'stderr' } | { kind: 'journal' } | { kind: 'file'; file: string; maxBytes: number };

/** One log line per line of `message`, each with its time stamp, level and the daemon's tag. */
export function formatLogLines(level: number, message: string, journal: boolean, now = new Date()): string {
  const head = `${journal ? `<${level}>` : ''}${now.toISOString()} ${levelName(level)} famfs_fused[${process.pid}]: `;
  return message
    .split('\n')
    .map((l) => `${head}${l}\n`)
    .join('');
}

export class DaemonLogger {
  private file: RotatingLogFile | null = null;
  private readonly kind: LogDestination['kind'];
  /** Why the file could not be used (then the log goes to stderr). */
  readonly fallbackReason?: string;

  constructor(
    dest: LogDestination,
    private readonly level: () => number,
  ) {
    this.kind = dest.kind;
    if (dest.kind === 'file') {
      try {
        this.file = new RotatingLogFile(dest.file, dest.maxBytes);
      } catch (e) {
        this.kind = 'stderr';
        this.fallbackReason = `cannot log to ${dest.file}: ${(e as Error).message}`;
      }
    }
  }

  /** Where lines go, for the diagnostics socket. */
  get destination(): { kind: LogDestination['kind']; file?: string } {
    return this.file ? { kind: 'file', file: this.file.file } : { kind: this.kind };
  }

  logs(level: number): boolean {
    return level <= this.level();
  }

  log(level: number, message: string): void {
    if (!this.logs(level)) return;
    const text = formatLogLines(level, message, this.kind === 'journal');
    if (this.file) {
      try {
        this.file.write(text);
        return;
      } catch {
        // a full or vanished disk: stderr still reaches whoever started the daemon
      }
    }
    process.stderr.write(text);
  }

  close(): void {
    this.file?.close();
    this.file = null;
  }
}
