export { runFamfs, runMkfsFamfs, runCommand, COMMANDS } from './main';
export type { CommandSpec } from './command';
export type { Io } from './io';
export { formatFsck } from './fsck-text';
