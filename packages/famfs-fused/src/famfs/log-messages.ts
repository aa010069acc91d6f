/**
 * What the log source tells others: the slots it placed (posted to the daemon's main thread,
 * which writes the shadow tree from them), and the answer to LOGPLAY_XATTR.
 */
import type { LogplayReply } from '@famfs/libfamfs/mount';
import type { LogNamespace } from './log-namespace';

/** New files and directories the index placed, by slot, in log order (FileSystemContext.post). */
export interface PlacedMessage {
  type: 'famfs-placed';
  /** The first read of the log at mount (the shadow writer then writes the .meta files too). */
  initial: boolean;
  slots: Int32Array;
  /** With the initial message: the log as read at mount (what `famfs mount` reports). */
  summary?: LogplayReply;
}

export function placedMessage(slots: number[], initial: boolean, summary?: LogplayReply): PlacedMessage {
  const m: PlacedMessage = { type: 'famfs-placed', initial, slots: Int32Array.from(slots) };
  if (summary) m.summary = summary;
  return m;
}

export function isPlacedMessage(v: unknown): v is PlacedMessage {
  const m = v as PlacedMessage | null;
  return typeof m === 'object' && m !== null && m.type === 'famfs-placed' && m.slots instanceof Int32Array;
}

/** Reasons kept in a reply. */
const PROBLEMS_SHOWN = 20;

/** The LOGPLAY_XATTR answer: the index as it is, and what it gained since `since` (counts of files and directories). */
export function logplayReply(ns: LogNamespace, since: { files: number; dirs: number }, followMs: number): LogplayReply {
  const f = ns.follower;
  const problems = [
    ...f.bad.map((b) => `${b.reason}${b.torn ? ' (torn last entry, ignored)' : ''}`),
    ...ns.index.conflicts.map((c) => `log entry ${c.index}: '${c.path}': ${c.reason}`),
  ].slice(0, PROBLEMS_SHOWN);
  const reply: LogplayReply = {
    entries: f.applied,
    newFiles: ns.index.counts.files - since.files,
    newDirs: ns.index.counts.dirs - since.dirs,
    files: ns.index.counts.files,
    directories: ns.index.counts.dirs,
    badCount: f.badCount,
    conflictCount: ns.index.conflictCount,
    problems,
    follow: f.stopped ? 'stopped' : followMs > 0 ? 'following' : 'off',
  };
  if (f.stopReason) reply.stopReason = f.stopReason;
  return reply;
}
