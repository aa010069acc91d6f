export { runFamfs, runMkfsFamfs, runCommand } from './main';
export { allCommands, COMMAND_INDEX } from './command-index';
export type { CommandSpec } from './command';
export type { Io } from './io';
export { formatFsck } from './fsck-text';
