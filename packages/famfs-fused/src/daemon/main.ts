/**
 * famfs_fused startup: parse the command line, check the shadow tree and device, mount, serve the
 * famfs file system in a session worker, and tear down. Serving the log, this thread also writes
 * the shadow tree in the background and watches the log for the worker.
 *
 * Lifecycle:
 * - Always in the foreground (Node cannot fork); `famfs mount` spawns it detached.
 * - After INIT the diagnostics socket comes up at <shadow>/sock (the C daemon's REST endpoints and
 *   /status), then the pid goes to <shadow>/famfs_fused.pid (both removed at exit).
 * - SIGTERM / SIGINT / SIGHUP: unmount (lazily if busy), wait for the worker, exit 0.
 * - Unmounted from outside: the worker reads ENODEV, the session ends, exit 0.
 * - Any failure after the mount (the file system cannot be built, the worker dies, an exception in
 *   this thread) unmounts before exiting 1: the daemon never leaves a dead mount behind.
 */
import * as fs from 'fs';
import * as path from 'path';
import { readSmallFile, writeSmallFile } from '@famfs/libfamfs';
import { Device } from '@famfs/libfamfs/device';
import { shadowRootOf } from '@famfs/libfamfs/shadow';
import {
  DAEMON_LOG_MAX_DEFAULT,
  daemonPaths,
  removeOwnMountLeftovers,
  underSystemd,
  writeDaemonStatus,
} from '@famfs/libfamfs/mount';
import type { DaemonStatus, LogplayReply } from '@famfs/libfamfs/mount';
import { tryGetSystemUuid } from '@famfs/libfamfs';
import { isMounted, mountFuse, unmountFuse } from '@famfs/fuse';
import type { FuseMount } from '@famfs/fuse';
import { startSession } from '@famfs/fuse';
import type { SessionExit, SessionHandle } from '@famfs/fuse';
import { AUTO_PROFILE, initFlagNames } from '@famfs/fuse';
import type { FamfsFsOptions } from '../famfs/fs-options';
import { DaemonSharedState } from '../famfs/shared-state';
import { diagSocketPath } from '../diag/paths';
import { LOG_LEVEL_DEFAULT } from '../diag/provider';
import { startDiagnosticsSocket } from '../diag/server';
import type { DiagnosticsSocket } from '../diag/server';
import { DaemonDiagnostics } from './diagnostics';
import type { DaemonFacts, FollowFacts } from './diagnostics';
import { isPlacedMessage } from '../famfs/log-messages';
import { LogWatch } from './log-watch';
import { ShadowWriter } from './shadow-writer';
import { DaemonOptions, parseArgs, USAGE, usageErrorText, UsageError } from './options';
import { describeGeneration } from './generation';
import { DaemonLogger } from './logger';
import { levelName } from '../diag/log-levels';
import type { LogDestination } from './logger';

export { parseArgs, USAGE, UsageError } from './options';
export type { DaemonOptions, ParsedCommand } from './options';

export function packageVersion(): string {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The compiled file system module the worker loads (dist, also when this file runs as TypeScript). */
export function famfsFsModulePath(): string {
  if (__filename.endsWith('.js')) return path.join(__dirname, '..', 'famfs', 'famfs-fs.js');
  return path.resolve(__dirname, '../../dist/famfs/famfs-fs.js');
}

/** Syslog levels the daemon logs at. */
const LOG_ERR = 3;
const LOG_WARNING = 4;
const LOG_NOTICE = 5;
const LOG_DEBUG = 7;

/** The run-time log level; set at start (-d, -o loglevel=), changed through the diagnostics socket. */
let shared = DaemonSharedState.create(LOG_LEVEL_DEFAULT);

/** Where lines go: -o logfile=PATH, else stderr (the journal under systemd). */
function logDestination(o: Pick<DaemonOptions, 'logFile' | 'logMax'> | undefined): LogDestination {
  if (o?.logFile) return { kind: 'file', file: path.resolve(o.logFile), maxBytes: o.logMax ?? DAEMON_LOG_MAX_DEFAULT };
  return underSystemd() ? { kind: 'journal' } : { kind: 'stderr' };
}

let logger = new DaemonLogger(logDestination(undefined), () => shared.logLevel);

function logAt(level: number, message: string): void {
  logger.log(level, message);
}

function log(message: string): void {
  logAt(LOG_NOTICE, message);
}

/** Removes the socket at `p` if it is one (a synchronous last resort on fatal exits). */
function removeSocketFile(p: string): void {
  try {
    if (fs.lstatSync(p).isSocket()) fs.rmSync(p);
  } catch {
    // not there
  }
}

/** Checks done before mounting; throws Error with a one-line message. */
function preflight(o: DaemonOptions): { mountpoint: string; shadowPath: string; shadowRoot: string } {
  const mountpoint = path.resolve(o.mountpoint);
  let st: fs.Stats;
  try {
    st = fs.statSync(mountpoint);
  } catch (e) {
    throw new Error(`mount point ${mountpoint}: ${(e as Error).message}`, { cause: e });
  }
  if (!st.isDirectory()) throw new Error(`mount point ${mountpoint} is not a directory`);
  const shadowRoot = shadowRootOf(o.shadow);
  let rst: fs.Stats;
  try {
    rst = fs.lstatSync(shadowRoot);
  } catch {
    throw new Error(`bad shadow path ${o.shadow}: ${shadowRoot} does not exist`);
  }
  if (!rst.isDirectory()) throw new Error(`bad shadow path ${o.shadow}: ${shadowRoot} is not a directory`);
  if (o.daxdev) {
    // Open it once here so that an unusable device fails before anything is mounted.
    try {
      Device.open(o.daxdev, { writable: false }).close();
    } catch (e) {
      throw new Error(`daxdev ${o.daxdev}: ${(e as Error).message}`, { cause: e });
    }
    if (Buffer.byteLength(o.daxdev) > 255)
      throw new Error(`daxdev path ${o.daxdev} is longer than 255 bytes (GET_DAXDEV cannot carry it)`);
  }
  return { mountpoint, shadowPath: path.dirname(shadowRoot), shadowRoot };
}

/**
 * Mounts and serves until unmounted or signalled. Resolves with the exit code (0 after a clean
 * unmount, 1 on failure). Installs signal handlers on the process while it runs.
 * `internal.fsModule` replaces the file system module (tests).
 */
export async function runDaemon(o: DaemonOptions, internal: { fsModule?: string } = {}): Promise<number> {
  shared = DaemonSharedState.create(o.logLevel ?? (o.debug ? LOG_DEBUG : LOG_LEVEL_DEFAULT));
  logger.close();
  logger = new DaemonLogger(logDestination(o), () => shared.logLevel);
  if (logger.fallbackReason) logAt(LOG_WARNING, `${logger.fallbackReason}; logging to stderr`);
  const { mountpoint, shadowPath, shadowRoot } = preflight(o);
  const startedAt = Date.now();
  const fsOptions: FamfsFsOptions = {
    shadow: shadowPath,
    daxdev: o.daxdev,
    serve: o.serve,
    followMs: o.followMs,
    abi: o.abi,
    simpleFmaps: o.simpleFmaps,
    timeout: o.timeout,
    cache: o.cache,
    directIo: o.directIo,
    flock: o.flock,
    debug: o.debug,
    shared: shared.buffer,
  };

  let mount: FuseMount;
  try {
    mount = mountFuse({
      mountpoint,
      fsname: o.fsname,
      subtype: 'famfs',
      allowOther: o.allowOther,
      defaultPermissions: o.defaultPermissions,
      maxRead: o.maxWrite,
    });
  } catch (e) {
    throw new Error(`cannot mount ${mountpoint}: ${(e as Error).message}`, { cause: e });
  }
  if (o.debug) log(`mounted ${o.fsname} at ${mountpoint} (${mount.fstype})`);

  const files = daemonPaths(shadowPath);
  const pidFile = files.pid;
  const sockPath = diagSocketPath(o.shadow);
  let diag: DiagnosticsSocket | null = null;
  let handle: SessionHandle | null = null;
  let stopping: Promise<SessionExit> | null = null;
  const emergencyUnmount = () => {
    if (!isMounted(mountpoint)) return;
    try {
      unmountFuse(mountpoint);
    } catch {
      try {
        unmountFuse(mountpoint, { lazy: true });
      } catch {
        // nothing more we can do
      }
    }
  };
  /** Removes the pid file and the status record, if they are still this daemon's. */
  const removePidFile = () => {
    try {
      if (readSmallFile(pidFile, 64, 'pid file').toString('utf8').trim() === String(process.pid)) {
        fs.rmSync(files.status, { force: true });
        fs.rmSync(pidFile);
      }
    } catch {
      // not there
    }
  };

  const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];
  const onSignal = (sig: NodeJS.Signals) => {
    if (o.debug) log(`${sig}: unmounting ${mountpoint}`);
    if (!stopping)
      stopping = handle
        ? handle.stop({ timeoutMs: 5000 })
        : Promise.resolve({ reason: 'stopped', stats: null } as SessionExit);
  };
  const onFatal = (e: unknown) => {
    logAt(2, `fatal: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    emergencyUnmount();
    removePidFile();
    if (diag) removeSocketFile(sockPath);
    process.exit(1);
  };
  for (const s of signals) process.on(s, onSignal);
  process.on('uncaughtException', onFatal);
  process.on('unhandledRejection', onFatal);

  // Serving the log: the main thread writes the shadow tree from what the worker places, and
  // watches the log for the worker (see shadow-writer.ts, log-watch.ts).
  let writer: ShadowWriter | null = null;
  let watch: LogWatch | null = null;
  let logSummary: LogplayReply | undefined;
  const closeLogHelpers = () => {
    watch?.close();
    watch = null;
    writer?.close();
    writer = null;
  };
  if (o.serve === 'log' && o.daxdev) {
    try {
      writer = new ShadowWriter({
        device: o.daxdev,
        shadowRoot,
        systemUuid: tryGetSystemUuid(),
        log: (m) => logAt(LOG_WARNING, m),
      });
      if (o.followMs > 0)
        watch = new LogWatch({
          device: o.daxdev,
          mountpoint,
          intervalMs: o.followMs,
          shared,
          log: (m) => logAt(LOG_WARNING, m),
        });
    } catch (e) {
      closeLogHelpers();
      emergencyUnmount();
      fs.closeSync(mount.fd);
      throw new Error(`daxdev ${o.daxdev}: ${(e as Error).message}`, { cause: e });
    }
  }
  const onFsMessage = (m: unknown) => {
    if (!isPlacedMessage(m)) return;
    if (m.summary) logSummary = m.summary;
    writer?.enqueue(m);
  };

  try {
    handle = startSession({
      fd: mount.fd,
      fsModule: internal.fsModule ?? famfsFsModulePath(),
      fsOptions,
      session: { profile: o.abi, maxWrite: o.maxWrite, daxdevIoctl: o.daxdevIoctl, ioUring: o.ioUring },
      mountpoint,
      statsIntervalMs: 1000,
      log: (m, level) => logAt(level ?? LOG_WARNING, m),
      onFsMessage,
    });
  } catch (e) {
    closeLogHelpers();
    emergencyUnmount();
    try {
      fs.closeSync(mount.fd);
    } catch {
      // closed
    }
    throw e;
  }

  const init = await Promise.race([handle.initialized, handle.exited.then(() => null)]);
  let failed = false;
  if (init) {
    const facts = (): DaemonFacts => ({
      device: o.daxdev,
      mountpoint,
      shadow: shadowPath,
      abiProfile: init.profile,
      dataPath: init.famfs ? 'dax' : 'stock',
      startedAt,
    });
    log(describeGeneration(init, o.abi));
    const follow = (): FollowFacts => ({
      intervalMs: o.serve === 'log' ? o.followMs : 0,
      wakes: watch?.wakes ?? 0,
      shadow: writer?.status(),
    });
    const logInfo = () => ({ ...logger.destination, level: shared.logLevel, levelName: levelName(shared.logLevel) });
    const provider = new DaemonDiagnostics(shared, facts, () => handle, logAt, follow, logInfo);
    try {
      diag = await startDiagnosticsSocket(sockPath, provider, {
        log: (m) => logAt(LOG_WARNING, `diagnostics socket: ${m}`),
      });
    } catch (e) {
      log(`no diagnostics socket at ${sockPath}: ${(e as Error).message}`);
    }
    try {
      writeSmallFile(pidFile, `${process.pid}\n`, 0o644, 'pid file');
    } catch (e) {
      log(`cannot write ${pidFile}: ${(e as Error).message}`);
    }
    // Written last: `famfs mount` takes the record as "served, socket up" and reads the data path from it.
    const status: DaemonStatus = {
      schema: 1,
      pid: process.pid,
      device: o.daxdev ?? null,
      mountpoint,
      shadow: shadowPath,
      famfs: init.famfs,
      profile: init.profile,
      dataPath: init.famfs ? 'dax' : 'stock',
      startedAt: new Date(startedAt).toISOString(),
      initAt: new Date().toISOString(),
      version: packageVersion(),
      source: o.serve,
    };
    if (o.abi === AUTO_PROFILE && init.probes.length > 0) {
      status.pushProbe = init.probes.some((p) => p.present) ? 'push' : 'no-push';
    }
    if (writer) status.role = writer.role;
    if (logSummary) status.log = logSummary;
    try {
      writeDaemonStatus(shadowPath, status);
    } catch (e) {
      log(`cannot write ${files.status}: ${(e as Error).message}`);
    }
    watch?.start();
    const what =
      o.serve === 'log'
        ? `the log of ${o.daxdev} (${o.followMs > 0 ? `following every ${o.followMs} ms` : 'not following'})`
        : `${shadowPath}/root`;
    log(
      `serving ${what} at ${mountpoint} (${o.fsname}); famfs ${init.famfs ? 'on' : 'off'}` +
        `; requests through ${init.ioUring ? 'io_uring' : '/dev/fuse'}` +
        (o.debug
          ? `; kernel 7.${init.kernelMinor} offered ${initFlagNames(init.kernelFlags).join(',')}; granted ${initFlagNames(init.flags).join(',')}`
          : ''),
    );
  } else if (!stopping) {
    failed = true;
  }

  const exit = await handle.exited;
  if (stopping) await stopping;
  if (exit.reason === 'error' || exit.reason === 'terminated') failed = failed || !stopping;
  if (exit.error) log(`session ended: ${exit.error}`);
  else if (o.debug) log(`session ended: ${exit.reason}`);
  closeLogHelpers();
  emergencyUnmount();
  removePidFile();
  if (diag) await diag.close();
  if (!isMounted(mountpoint)) removeLeftovers(mountpoint);
  for (const s of signals) process.off(s, onSignal);
  process.off('uncaughtException', onFatal);
  process.off('unhandledRejection', onFatal);
  return failed ? 1 : 0;
}

/**
 * The mount is gone (a plain `umount`, `umount -l`, a signal): what `famfs mount` recorded for it
 * goes too, by the rule `famfs umount` follows (libfamfs removeMountLeftovers), when the record is
 * this daemon's. A daemon started by hand has no record and leaves its shadow path alone.
 */
function removeLeftovers(mountpoint: string): void {
  try {
    const rec = removeOwnMountLeftovers(mountpoint, process.pid);
    if (rec)
      logAt(
        LOG_NOTICE,
        `${mountpoint} unmounted: removed its mount record and ${rec.shadowCreated === true ? `the shadow path ${rec.shadow}` : `${rec.shadow}/root`}`,
      );
  } catch (e) {
    logAt(LOG_WARNING, `cleaning up after ${mountpoint}: ${(e as Error).message}`);
  }
}

/** The bin entry: parses argv, runs, and exits with the code. */
export function runCli(argv: readonly string[] = process.argv.slice(2)): void {
  let parsed;
  try {
    parsed = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(usageErrorText(e));
      process.exit(1);
    }
    throw e;
  }
  if (parsed.kind === 'help') {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  if (parsed.kind === 'version') {
    process.stdout.write(`famfs_fused (famfs-ts) ${packageVersion()}\n`);
    process.exit(0);
  }
  runDaemon(parsed.options).then(
    (code) => {
      logger.close();
      process.exit(code);
    },
    (e: unknown) => {
      logAt(LOG_ERR, e instanceof Error ? e.message : String(e));
      logger.close();
      process.exit(1);
    },
  );
}
