import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { isMounted, unmountFuse } from '../src/mount/mount';
import type { SessionHandle } from '../src/session/start';
export { cstr, initMsg, msg, parseReply, readMsg, STOCK_OFFER } from '../src/testing/requests';

const made: string[] = [];
/** A fresh temporary directory (removed by cleanupTempDirs, which each test file runs in afterAll). */
export function tempDir(prefix = 'famfs-fused-'): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(d);
  return d;
}
export function cleanupTempDirs(): void {
  for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

/**
 * The end of a mount test, whatever its outcome: the mount it made goes (lazily if busy) when
 * `stillMounted`, its session is stopped, and its directory removed.
 */
export async function releaseMount(
  mnt: string,
  stillMounted: boolean,
  handle: SessionHandle | null,
  dir: string,
): Promise<void> {
  if (stillMounted && isMounted(mnt)) {
    try {
      unmountFuse(mnt);
    } catch {
      unmountFuse(mnt, { lazy: true });
    }
  }
  if (handle) await handle.stop({ timeoutMs: 5000 });
  fs.rmSync(dir, { recursive: true, force: true });
}
