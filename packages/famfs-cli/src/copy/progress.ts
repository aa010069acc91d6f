/**
 * A one-line progress bar on a terminal: bytes and files done, rate, and (when the totals are
 * known) a bar, a percentage and the time left. It appears only once the work has taken more
 * than a moment, redraws at most a few times a second, and erases itself at the end. With no
 * sink (not a terminal, or -q) every call is a cheap no-op.
 */
import { monotonicMs } from '../clock';

export interface ProgressSink {
  write(text: string): void;
  /** Terminal width in columns. */
  columns(): number;
}

export interface ProgressState {
  bytes: number;
  files: number;
  totalBytes?: number;
  totalFiles?: number;
  /** Seconds since the start. */
  elapsed: number;
  /** The file being copied and how far it is, for a large file. */
  current?: { name: string; done: number; size: number };
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(n: number): string {
  let u = 0;
  while (n >= 1024 && u < UNITS.length - 1) {
    n /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${n.toFixed(n < 10 ? 2 : n < 100 ? 1 : 0)} ${UNITS[u]}`;
}

function formatDuration(s: number): string {
  if (!Number.isFinite(s)) return '--:--';
  s = Math.round(s);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

const count = (n: number) => n.toLocaleString('en-US');

/** The progress line for `state`, at most `width` characters. */
export function formatProgress(state: ProgressState, width: number): string {
  const { bytes, files, totalBytes, totalFiles, elapsed } = state;
  const rate = elapsed > 0 ? bytes / elapsed : 0;
  const parts: string[] = [];
  const known = totalBytes !== undefined && totalBytes > 0;
  if (known) {
    parts.push(
      `${Math.min(100, Math.floor((bytes / totalBytes) * 100))
        .toString()
        .padStart(3)}%`,
    );
    parts.push(`${formatBytes(bytes)}/${formatBytes(totalBytes)}`);
  } else parts.push(formatBytes(bytes));
  parts.push(totalFiles !== undefined ? `${count(files)}/${count(totalFiles)} files` : `${count(files)} files`);
  parts.push(`${formatBytes(Math.round(rate))}/s`);
  if (elapsed > 0 && files > 0) parts.push(`${count(Math.round(files / elapsed))} files/s`);
  if (known && rate > 0) parts.push(`ETA ${formatDuration((totalBytes - bytes) / rate)}`);
  else if (state.current && state.current.size > 0)
    parts.push(`${state.current.name} ${Math.floor((state.current.done / state.current.size) * 100)}%`);
  let text = parts.join('  ');
  const prefix = 'famfs cp ';
  const room = width - 1 - prefix.length - text.length - 3;
  if (known && room >= 10) {
    const barWidth = Math.min(40, room);
    const filled = Math.min(barWidth, Math.floor((bytes / totalBytes) * barWidth));
    text = `[${'='.repeat(filled)}${filled < barWidth ? '>' : ''}${' '.repeat(Math.max(0, barWidth - filled - 1))}] ${text}`;
  }
  const line = prefix + text;
  return line.length > width - 1 ? line.slice(0, Math.max(0, width - 1)) : line;
}

export interface ProgressOptions {
  /** Nothing is drawn before this many ms (a short copy never shows a bar). */
  delayMs?: number;
  /** Minimum ms between redraws. */
  intervalMs?: number;
  now?: () => number;
}

export class Progress {
  bytes = 0;
  files = 0;
  totalBytes?: number;
  totalFiles?: number;
  private current?: { name: string; done: number; size: number };
  private readonly start: number;
  private last = 0;
  private shown = false;
  private readonly delayMs: number;
  private readonly intervalMs: number;
  private readonly now: () => number;

  constructor(
    private readonly sink: ProgressSink | undefined,
    opts: ProgressOptions = {},
  ) {
    this.now = opts.now ?? monotonicMs;
    this.delayMs = opts.delayMs ?? 500;
    this.intervalMs = opts.intervalMs ?? 100;
    this.start = this.now();
  }

  get enabled(): boolean {
    return this.sink !== undefined;
  }

  setTotals(files: number, bytes: number): void {
    this.totalFiles = files;
    this.totalBytes = bytes;
  }

  fileStart(name: string, size: number): void {
    this.current = { name, done: 0, size };
  }

  addBytes(n: number): void {
    this.bytes += n;
    if (this.current) this.current.done += n;
    this.tick();
  }

  fileDone(): void {
    this.files++;
    this.current = undefined;
    this.tick();
  }

  /** Redraws if it is time to. */
  tick(): void {
    if (!this.sink) return;
    const t = this.now();
    if (t - this.start < this.delayMs || t - this.last < this.intervalMs) return;
    this.last = t;
    this.shown = true;
    const state: ProgressState = {
      bytes: this.bytes,
      files: this.files,
      totalBytes: this.totalBytes,
      totalFiles: this.totalFiles,
      elapsed: (t - this.start) / 1000,
      current: this.current,
    };
    this.sink.write(`\r${formatProgress(state, this.sink.columns())}\x1b[K`);
  }

  /** Erases the line (before other output, and at the end); the next tick draws it again. */
  clear(): void {
    if (!this.sink || !this.shown) return;
    this.sink.write('\r\x1b[K');
    this.shown = false;
    this.last = 0;
  }
}
