/**
 * Finding and loading the compiled addon. node-gyp-build prefers a local build (build/Release,
 * from the compile fallback or a developer's `node-gyp rebuild`) over the prebuilt binary the
 * tarball ships (prebuilds/<platform>-<arch>/), so a fresh compile always wins.
 *
 * A missing or unloadable addon must not end `famfs --help` in a stack trace, nor anything else:
 * the failure is kept, and each call into the addon throws an {@link AddonUnavailableError} whose
 * one-line message says what is wrong and the command that fixes it.
 */
import * as os from 'os';
import * as path from 'path';

/** The package directory: where node-gyp-build looks for build/ and prebuilds/. */
export const PACKAGE_DIR = path.join(__dirname, '..');

/** Thrown by every addon call when the addon could not be loaded; the message is one line. */
export class AddonUnavailableError extends Error {
  override name = 'AddonUnavailableError';
}

interface NodeGypBuild {
  resolve(dir: string): string;
}

/** The command that compiles the addon where it is installed (the compile fallback). */
export function rebuildCommand(dir = PACKAGE_DIR): string {
  return `npm --prefix ${dir} run install`;
}

function firstLine(e: unknown): string {
  return String(e instanceof Error ? e.message : e)
    .split('\n')[0]
    .trim();
}

/** What loading found: the binding, and the file it came from or why there is none. */
export interface LoadedAddon<T> {
  binding: T;
  /** The .node file loaded. */
  file?: string;
  /** Why the addon is unavailable: the one-line message every call of `binding` throws. */
  problem?: string;
}

/**
 * Loads the addon from `dir`. When that fails the binding is a stand-in whose every function throws
 * an AddonUnavailableError; its constants are undefined, as they are only ever passed to those.
 */
export function loadAddon<T extends object>(dir = PACKAGE_DIR): LoadedAddon<T> {
  const fix = `build it with \`${rebuildCommand(dir)}\` (needs g++, make and python3)`;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- node-gyp-build has no types.
  const gypBuild = require('node-gyp-build') as NodeGypBuild;
  let file: string;
  try {
    file = gypBuild.resolve(dir);
  } catch (e) {
    const target = `${os.platform()}-${os.arch()}, Node ${process.versions.node}`;
    return unavailable(`the famfs native addon has no build for ${target}: ${fix}`, e);
  }
  try {
    // A .node addon can only be loaded with require().
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return { binding: require(file) as T, file };
  } catch (e) {
    return unavailable(`the famfs native addon ${file} does not load (${firstLine(e)}): ${fix}`, e);
  }
}

function unavailable<T extends object>(problem: string, cause: unknown): LoadedAddon<T> {
  // A function, not an arrow: `new` of a class the addon exports must throw this error too.
  function fail(): never {
    throw new AddonUnavailableError(problem, { cause });
  }
  const binding = new Proxy({} as T, {
    // Constants are UPPER_CASE; everything else is a function.
    get: (_target, prop) => (typeof prop === 'string' && /^[A-Z][A-Z0-9_]*$/.test(prop) ? undefined : fail),
  });
  return { binding, problem };
}
