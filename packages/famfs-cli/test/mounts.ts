/**
 * Real-mount plumbing for CLI tests: the skip rule (root and /dev/fuse, unless
 * FAMFS_REQUIRE_MOUNT=1 makes their absence a failure), mounting through `famfs mount`, and a
 * cleanup that always unmounts and stops only the daemons serving this test's temp dir.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { C_MASTER_UUID, famfs, Run } from './run';

const lib = require('./built-libfamfs');

export const mountUnavailable: string | undefined =
  process.getuid?.() !== 0 ? 'not root' : !fs.existsSync('/dev/fuse') ? 'no /dev/fuse' : undefined;

/** describe, or describe.skip with a printed reason when mounts are impossible and not required. */
export function mountSuite(name: string): jest.Describe {
  const required = process.env.FAMFS_REQUIRE_MOUNT === '1';
  if (mountUnavailable && !required) {
    console.log(`${name}: skipped: ${mountUnavailable}`);
    return describe.skip;
  }
  return describe;
}

export function fuseMountsUnder(dir: string): string[] {
  return fs
    .readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1])
    .filter((m) => m && m.startsWith(dir));
}

export function daemonsFor(dir: string): number[] {
  return fs
    .readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        const cmd = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8');
        return cmd.includes('famfs_fused') && cmd.includes(dir);
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** Mounts made by a test, all cleaned by `cleanup` whatever the test did. */
export class TestMounts {
  private readonly made: string[] = [];

  constructor(private readonly dir: () => string) {}

  get runDir(): string {
    return path.join(this.dir(), 'run');
  }

  /** Where this test's daemons log (FAMFS_LOG_DIR). */
  get logDir(): string {
    return path.join(this.dir(), 'log');
  }

  /** The log file of the daemon serving `mpt`, as famfs mount names it. */
  daemonLog(mpt: string): string {
    return lib.daemonLogFile(mpt, { FAMFS_LOG_DIR: this.logDir }) as string;
  }

  /** Not under systemd (JOURNAL_STREAM, INVOCATION_ID emptied), so the daemons log to files in logDir. */
  env(uuid = C_MASTER_UUID): Record<string, string> {
    return {
      FAMFS_SYSTEM_UUID: uuid,
      FAMFS_RUN_DIR: this.runDir,
      FAMFS_LOG_DIR: this.logDir,
      JOURNAL_STREAM: '',
      INVOCATION_ID: '',
    };
  }

  mount(dev: string, mpt: string, uuid = C_MASTER_UUID, extra: string[] = []): Run {
    if (mountUnavailable) throw new Error(`FAMFS_REQUIRE_MOUNT=1 but ${mountUnavailable}`);
    fs.mkdirSync(mpt, { recursive: true });
    const r = famfs(['mount', ...extra, dev, mpt], this.env(uuid));
    if (r.code === 0) this.made.push(mpt);
    return r;
  }

  cleanup(): void {
    for (const m of this.made.splice(0)) {
      if (fuseMountsUnder(m).length > 0) famfs(['umount', m], this.env());
    }
    for (const m of fuseMountsUnder(this.dir())) {
      try {
        execFileSync('umount', ['-l', m]);
      } catch {
        // already gone
      }
    }
    for (const pid of daemonsFor(this.dir())) process.kill(pid, 'SIGKILL');
  }

  forget(): void {
    this.made.length = 0;
  }
}
