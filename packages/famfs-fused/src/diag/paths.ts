/**
 * Where the diagnostics socket lives (interop reference §1.1): next to the shadow root, i.e.
 * `dirname(shadow root) + '/sock'`, where the shadow root is `<shadow>/root`, or `<shadow>` itself
 * when it already ends in `/root`. Normal case: `<shadow>/sock`. Edge case kept from C: a shadow
 * path ending in `/root` puts the socket in its parent, `<shadow>/../sock`.
 */
import * as path from 'path';
import { DIAGNOSTICS_SOCKET } from '@famfs/libfamfs/mount';

/** The socket file name inside the shadow path (the CLI-daemon contract's name). */
export const DIAG_SOCKET_NAME = DIAGNOSTICS_SOCKET;

/**
 * sockaddr_un.sun_path is 108 bytes including the terminating NUL. Longer paths are silently
 * truncated by both the C daemon (strncpy) and Node/libuv (checked: the socket appears under a
 * cut-off name), so the server refuses them instead.
 */
export const SUN_PATH_MAX = 108;

/**
 * The socket path for a shadow path as given with `-o shadow=`. Resolved against the cwd, like the
 * shadow root elsewhere in famfs-ts (libfamfs shadowRootOf), so a relative shadow path still names
 * the same socket after a chdir.
 */
export function diagSocketPath(shadow: string): string {
  const abs = path.resolve(shadow);
  const shadowRoot = path.basename(abs) === 'root' ? abs : path.join(abs, 'root');
  return path.join(path.dirname(shadowRoot), DIAG_SOCKET_NAME);
}

/** True if `p` fits in sun_path (with its NUL) and so can be bound without truncation. */
export function fitsSunPath(p: string): boolean {
  return Buffer.byteLength(p) < SUN_PATH_MAX;
}
