// Shared test helpers: a fresh temp dir per test, and assertions on NativeError.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { addonFile, isNativeError, NativeError } from '../src';

/** Path of the addon in use (local build or prebuild), for child-process scripts that load it directly. */
export const ADDON_PATH = addonFile() ?? 'the addon did not load';

export const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** Registers beforeEach/afterEach hooks and returns a getter for the current test's temp dir. */
export function useTempDir(): () => string {
  let dir = '';
  beforeEach(() => {
    dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'famfs-native-')));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return () => dir;
}

/** Runs fn, expects it to throw a NativeError with `code` (and `syscall` if given), returns it. */
export function expectNativeError(fn: () => unknown, code: string, syscall?: string): NativeError {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(isNativeError(thrown)).toBe(true);
  const err = thrown as NativeError;
  expect(err.code).toBe(code);
  expect(err.errno).toBeGreaterThan(0);
  if (syscall !== undefined) {
    expect(err.syscall).toBe(syscall);
    expect(err.message.startsWith(`${syscall}: `)).toBe(true);
  }
  return err;
}

/** Runs fn and returns the `name` of what it threw (errors from the addon are cross-realm under jest). */
export function thrownName(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as Error).name;
  }
  return undefined;
}

/** Lines of /proc/self/maps that map `file`. */
export function mapsOf(file: string): string[] {
  return fs
    .readFileSync('/proc/self/maps', 'utf8')
    .split('\n')
    .filter((l) => l.endsWith(` ${file}`));
}
