import * as fs from 'fs';
import { sleepMs } from '@famfs/native';

/** Whether `pid` is a live process (not a zombie) whose command line mentions `name`. */
export function processAlive(pid: number, name?: string): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (/\) Z /.test(stat)) return false;
    if (name === undefined) return true;
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(name);
  } catch {
    return false;
  }
}

/** Polls `ready` every `stepMs` until it is true or `timeoutMs` passes; returns the last answer. */
export function waitFor(ready: () => boolean, timeoutMs: number, stepMs = 100): boolean {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (ready()) return true;
    if (Date.now() >= deadline) return false;
    sleepMs(stepMs);
  }
}
