/**
 * The daemon's side of the diagnostics socket: what /pid, /icache_stats, /icache_dump,
 * /log_level and /status answer (with, serving the log, the index, the following and the
 * background shadow writer), from the state shared with the session worker and the session's
 * latest statistics. Runs on the main thread, so a slow or hostile socket client never holds up a
 * FUSE reply (the session loop is on the worker).
 */
import type { SessionHandle } from '@famfs/fuse';
import type { DiagnosticsProvider, DiagnosticsStatus, IcacheStats, LogInfo } from '../diag/provider';
import { levelName } from '../diag/log-levels';
import { FollowState } from '../famfs/shared-state';
import type { DaemonSharedState } from '../famfs/shared-state';
import { StopCode } from '../famfs/log-follower';
import type { ShadowWriterStatus } from './shadow-writer';

export interface DaemonFacts {
  device?: string;
  mountpoint: string;
  shadow: string;
  abiProfile: string;
  /** 'dax' when the kernel maps file data itself (FUSE_DAX_FMAP), 'stock' when we serve READ/WRITE. */
  dataPath: 'dax' | 'stock' | 'unknown';
  startedAt: number;
}

/** What the main thread knows of following the log. */
export interface FollowFacts {
  /** -o follow (0: off, or not serving the log). */
  intervalMs: number;
  /** Times the log watch woke the worker. */
  wakes: number;
  /** The background shadow writer, when serving the log. */
  shadow?: ShadowWriterStatus;
}

const STOP_REASONS: Record<number, string> = {
  [StopCode.SuperblockChanged]: 'the superblock changed under the mount',
  [StopCode.HeaderInvalid]: 'the log header is not valid any more',
  [StopCode.HeaderBackwards]: 'the log header went backwards',
};

export class DaemonDiagnostics implements DiagnosticsProvider {
  constructor(
    private readonly shared: DaemonSharedState,
    private readonly facts: () => DaemonFacts,
    private readonly session: () => SessionHandle | null,
    private readonly log: (level: number, message: string) => void,
    private readonly follow: () => FollowFacts = () => ({ intervalMs: 0, wakes: 0 }),
    private readonly logDestination?: () => LogInfo,
  ) {}

  logInfo(): LogInfo {
    return (
      this.logDestination?.() ?? {
        level: this.shared.logLevel,
        levelName: levelName(this.shared.logLevel),
        kind: 'stderr',
      }
    );
  }

  /** /status's view of the log: what the index holds and whether it follows (serving the log only). */
  private logStatus(): Record<string, unknown> | undefined {
    const f = this.follow();
    if (!f.shadow) return undefined;
    const s = this.shared.logStatus;
    const state =
      s.followState === FollowState.Stopped ? 'stopped' : s.followState === FollowState.Following ? 'following' : 'off';
    const follow: Record<string, unknown> = { state, intervalMs: f.intervalMs, wakes: f.wakes, reads: s.catchUps };
    if (s.lastCatchUpAt > 0) follow.lastReadMsAgo = Math.max(0, Date.now() - s.lastCatchUpAt);
    if (s.followState === FollowState.Stopped) follow.stoppedBecause = STOP_REASONS[s.stopCode] ?? `code ${s.stopCode}`;
    return {
      log: {
        entriesRead: s.applied,
        nextIndex: s.logNext,
        files: s.files,
        directories: s.directories,
        badEntries: s.badEntries,
        conflicts: s.conflicts,
      },
      follow,
      shadowTree: f.shadow,
    };
  }

  pid(): number {
    return process.pid;
  }

  icacheStats(): IcacheStats {
    return this.shared.icacheStats;
  }

  icacheDump(level: number): void {
    // The inode table lives on the session thread, which may be blocked reading /dev/fuse: the
    // dump is written there, right after the next request it answers.
    this.shared.requestDump();
    this.log(level, 'icache dump requested: written after the next request');
  }

  logLevel(): number {
    return this.shared.logLevel;
  }

  setLogLevel(level: number): void {
    const previous = this.shared.logLevel;
    this.shared.logLevel = level;
    // Written at a level the new setting shows (notice at most), so the log says when it changed.
    this.log(
      Math.min(level, 5),
      `log level set to ${level} (${levelName(level)}) from ${previous} (${levelName(previous)}) through the diagnostics socket`,
    );
  }

  status(): DiagnosticsStatus {
    const f = this.facts();
    const stats = this.session()?.stats() ?? null;
    const counts = this.shared.inodeCounts;
    let served = 0;
    if (stats) for (const n of stats.requests.values()) served += n;
    const refused = stats ? stats.malformed + stats.enosys : 0;
    return {
      device: f.device,
      mountpoint: f.mountpoint,
      shadow: f.shadow,
      abiProfile: f.abiProfile,
      dataPath: f.dataPath,
      files: counts.files,
      directories: counts.directories,
      requestsServed: served,
      requestsRefused: refused,
      errors: stats ? stats.fsExceptions + stats.replyErrors : 0,
      uptimeSeconds: Math.round((Date.now() - f.startedAt) / 1000),
      pid: process.pid,
      logLevel: this.shared.logLevel,
      source: this.follow().shadow ? 'log' : 'shadow',
      ...this.logStatus(),
    };
  }
}
