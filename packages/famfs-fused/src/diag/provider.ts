/**
 * What the diagnostics socket needs from the daemon. The server only formats and routes; every
 * value and side effect comes from here, so the daemon can back it with whatever it has (cached
 * session counters, a message to the worker, ...). All methods are synchronous and called on the
 * main thread while a request is answered; an exception is caught, logged and answered with 500.
 */

/** Syslog levels as used by the C daemon's log (0 EMERG ... 7 DEBUG); 5 NOTICE is the C default. */
export const LOG_LEVEL_MIN = 0;
export const LOG_LEVEL_MAX = 7;
export const LOG_LEVEL_DEFAULT = 5;

/** The lookup-cache counters the C daemon reports at /icache_stats. */
export interface IcacheStats {
  searchCount: number;
  nodesScanned: number;
  searchFailCount: number;
}

/**
 * The famfs-ts-only /status document. The fields listed are what the daemon is expected to fill
 * in; all are optional and any other JSON-serializable key may be added. bigint values are sent
 * as numbers when exact, else as decimal strings.
 */
export interface DiagnosticsStatus {
  device?: string;
  role?: string;
  abiProfile?: string;
  dataPath?: string;
  logEntriesSeen?: number;
  files?: number;
  directories?: number;
  requestsServed?: number;
  requestsRefused?: number;
  errors?: number;
  uptimeSeconds?: number;
  [key: string]: unknown;
}

/** What GET /log reports. */
export interface LogInfo {
  level: number;
  levelName: string;
  /** 'file', 'journal' (stderr with <N> prefixes, under systemd) or 'stderr'. */
  kind: string;
  file?: string;
}

export interface DiagnosticsProvider {
  /** The daemon's pid (/pid). */
  pid(): number;
  /** Lookup-cache counters (/icache_stats). */
  icacheStats(): IcacheStats;
  /** Log the lookup cache at `level` (/icache_dump; the server passes the current log level). */
  icacheDump(level: number): void;
  /** The current log level, 0..7 (GET /log_level). */
  logLevel(): number;
  /** Called only with a level already checked to be in 0..7 (POST/PUT /log_level). */
  setLogLevel(level: number): void;
  /** Where the log goes (GET /log); absent: /log answers 404. */
  logInfo?(): LogInfo;
  /** The /status document, serialized as JSON by the server. */
  status(): DiagnosticsStatus;
  // No inodes(): /inodes stays the C daemon's fixed dummy text on purpose (see routes.ts); real
  // inode counts belong in status(), so the C endpoint's bytes never depend on the provider.
}
