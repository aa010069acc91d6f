/**
 * @famfs/libfamfs/common: the cheapest top-level utilities (typed errors, opening paths others
 * named, sizes and modes), which load nothing of the layers nor the native addon: for callers
 * that start often and need little (the CLI loads per command only what it uses). The package
 * root exports the same names; the system UUID and the test-data PRNG, which need the format and
 * the addon, are exported by `@famfs/libfamfs/mount`. Named exports only.
 */
export { FamfsError, isFamfsError } from '../errors';
export type { FamfsErrorCode } from '../errors';
export { fileKindOf, fileKindOfMode, kindName, openChecked, readSmallFile, writeSmallFile } from '../checked-open';
export type { CheckedOpen, CheckedOpenOptions, FileKind, KindQuestions } from '../checked-open';
export { parseMode, parseSize } from '../sizes';
