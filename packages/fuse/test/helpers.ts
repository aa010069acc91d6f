import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
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
