/**
 * The famfs subcommands by name, each with its one-line summary and a loader: the CLI loads only
 * the module of the command it runs (a command module pulls in the parts of libfamfs it uses, and
 * loading all of them cost more than Node's own start). `famfs --help` lists the commands from
 * the summaries here without loading any; a test checks each summary against its CommandSpec.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
import type * as MkfsModule from './commands/mkfs';
import type * as MountModule from './commands/mount';
import type * as UmountModule from './commands/umount';
import type * as FsckModule from './commands/fsck';
import type * as LogplayModule from './commands/logplay';
import type * as CreatModule from './commands/creat';
import type * as VerifyModule from './commands/verify';
import type * as MkdirModule from './commands/mkdir';
import type * as GetmapModule from './commands/getmap';
import type * as FlushModule from './commands/flush';
import type * as ChkreadModule from './commands/chkread';
import type * as CloneModule from './commands/clone';
import type * as CheckModule from './commands/check';
import type * as MkmetaModule from './commands/mkmeta';
import type * as CpModule from './commands/cp';
import type * as CheckSystemModule from './commands/check-system';
import { CommandSpec } from './command';

/** What `famfs --help` shows of a command, and how to load the rest. */
export interface CommandEntry {
  name: string;
  summary: string;
  load(): CommandSpec;
}

/** In the order `famfs --help` lists them. */
export const COMMAND_INDEX: readonly CommandEntry[] = [
  {
    name: 'mkfs',
    summary: 'Make a famfs file system on a memory device (devdax, pmem, or a regular file)',
    load: () => (require('./commands/mkfs') as typeof MkfsModule).mkfsCommand,
  },
  {
    name: 'mount',
    summary: 'Mount a famfs file system (famfs_fused serves it from the log, and follows the log)',
    load: () => (require('./commands/mount') as typeof MountModule).mountCommand,
  },
  {
    name: 'umount',
    summary: 'Unmount a famfs file system, stop its daemon and remove its shadow tree',
    load: () => (require('./commands/umount') as typeof UmountModule).umountCommand,
  },
  {
    name: 'fsck',
    summary: 'Check a famfs file system: superblock, log entries, allocation collisions and capacity',
    load: () => (require('./commands/fsck') as typeof FsckModule).fsckCommand,
  },
  {
    name: 'logplay',
    summary: 'Replay the famfs log: bring a mount up to date, or fill a shadow tree from a mount or a device',
    load: () => (require('./commands/logplay') as typeof LogplayModule).logplayCommand,
  },
  {
    name: 'creat',
    summary: 'Create famfs files of a fixed size, optionally filled with the test-data stream',
    load: () => (require('./commands/creat') as typeof CreatModule).creatCommand,
  },
  {
    name: 'verify',
    summary: 'Check that famfs files hold the test-data stream of their seed (as written by creat -r)',
    load: () => (require('./commands/verify') as typeof VerifyModule).verifyCommand,
  },
  {
    name: 'mkdir',
    summary: 'Create a famfs directory (with -p, every missing parent too)',
    load: () => (require('./commands/mkdir') as typeof MkdirModule).mkdirCommand,
  },
  {
    name: 'getmap',
    summary: 'Print the extent map of famfs files (from the shadow YAML the mount serves, checked against the log)',
    load: () => (require('./commands/getmap') as typeof GetmapModule).getmapCommand,
  },
  {
    name: 'flush',
    summary: 'Write back and invalidate the CPU cache over whole files (for memory shared without coherency)',
    load: () => (require('./commands/flush') as typeof FlushModule).flushCommand,
  },
  {
    name: 'chkread',
    summary: 'Check that a file reads the same through read() and through mmap',
    load: () => (require('./commands/chkread') as typeof ChkreadModule).chkreadCommand,
  },
  {
    name: 'clone',
    summary: "Testing aid: create DST sharing SRC's extents (a cross-linked file that fsck must report)",
    load: () => (require('./commands/clone') as typeof CloneModule).cloneCommand,
  },
  {
    name: 'check',
    summary: 'Check that every file of a mounted famfs has a valid map that matches the log',
    load: () => (require('./commands/check') as typeof CheckModule).checkCommand,
  },
  {
    name: 'mkmeta',
    summary: 'Rewrite the .meta/.superblock and .meta/.log files of the mount(s) of a famfs device',
    load: () => (require('./commands/mkmeta') as typeof MkmetaModule).mkmetaCommand,
  },
  {
    name: 'cp',
    summary: 'Copy files and directories into famfs (restartable: a same-size famfs file is rewritten in place)',
    load: () => (require('./commands/cp') as typeof CpModule).cpCommand,
  },
  {
    name: 'check-system',
    summary: 'Check whether this host is ready for famfs: kernel support, /dev/fuse, CAP_SYS_RAWIO, dax devices',
    load: () => (require('./commands/check-system') as typeof CheckSystemModule).checkSystemCommand,
  },
];

/** The entry of command `name`, if there is one. */
export function commandEntry(name: string | undefined): CommandEntry | undefined {
  return COMMAND_INDEX.find((c) => c.name === name);
}

/** Every command's spec (loads every command module: for tests and documentation checks). */
export function allCommands(): CommandSpec[] {
  return COMMAND_INDEX.map((c) => c.load());
}
