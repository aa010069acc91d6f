/**
 * The famfs_fused diagnostics socket (`<shadow>/sock`): the C daemon's REST endpoints plus /status.
 * Not yet exported from the package index; the daemon wires it in.
 */
export { startDiagnosticsSocket, DIAG_DEFAULTS } from './server';
export type { DiagnosticsCounters, DiagnosticsSocket, DiagnosticsSocketOptions } from './server';
export { diagSocketPath, fitsSunPath, DIAG_SOCKET_NAME, SUN_PATH_MAX } from './paths';
export { LOG_LEVEL_DEFAULT, LOG_LEVEL_MAX, LOG_LEVEL_MIN } from './provider';
export type { DiagnosticsProvider, DiagnosticsStatus, IcacheStats } from './provider';
export { answer, requestPath, rawReply, LOG_LEVEL_BODY_MAX } from './routes';
export type { DiagReply } from './routes';
export { cAtoi } from './catoi';
