/**
 * The daemon's side of the diagnostics socket: what /pid, /icache_stats, /icache_dump,
 * /log_level and /status answer, from the state shared with the session worker and the session's
 * latest statistics. Runs on the main thread, so a slow or hostile socket client never holds up a
 * FUSE reply (the session loop is on the worker).
 */
import type { SessionHandle } from '@famfs/fuse';
import type { DiagnosticsProvider, DiagnosticsStatus, IcacheStats } from '../diag/provider';
import type { DaemonSharedState } from '../famfs/shared-state';

export interface DaemonFacts {
  device?: string;
  mountpoint: string;
  shadow: string;
  abiProfile: string;
  /** 'dax' when the kernel maps file data itself (FUSE_DAX_FMAP), 'stock' when we serve READ/WRITE. */
  dataPath: 'dax' | 'stock' | 'unknown';
  startedAt: number;
}

export class DaemonDiagnostics implements DiagnosticsProvider {
  constructor(
    private readonly shared: DaemonSharedState,
    private readonly facts: () => DaemonFacts,
    private readonly session: () => SessionHandle | null,
    private readonly log: (level: number, message: string) => void,
  ) {}

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
    this.shared.logLevel = level;
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
    };
  }
}
