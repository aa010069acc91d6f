/**
 * Finding and loading the compiled addon. node-gyp-build prefers a local build (build/Release,
 * from the compile fallback or a developer's `node-gyp rebuild`) over the prebuilt binary the
 * tarball ships (prebuilds/<platform>-<arch>/), so a fresh compile always wins. The two layouts
 * this package makes itself are found first without node-gyp-build (loading it and its search
 * cost every famfs process about 2 ms); anything else, or a binary that does not load, goes to it.
 *
 * A missing or unloadable addon must not end `famfs --help` in a stack trace, nor anything else:
 * the failure is kept, and each call into the addon throws an {@link AddonUnavailableError} whose
 * one-line message says what is wrong and the command that fixes it.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/**
 * The package directory: where node-gyp-build looks for build/ and prebuilds/. This module's own
 * package; when this module is bundled into another file (the famfs CLI's), the package of that
 * name as the bundle resolves it.
 */
export const PACKAGE_DIR = packageDir();

function packageDir(): string {
  const own = path.join(__dirname, '..');
  if (packageName(own) === '@famfs/native') return own;
  try {
    return path.dirname(require.resolve('@famfs/native/package.json'));
  } catch {
    return own;
  }
}

function packageName(dir: string): string | undefined {
  try {
    return (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string }).name;
  } catch {
    return undefined;
  }
}

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
  const known = knownBinary(dir);
  if (known !== undefined) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return { binding: require(known) as T, file: known };
    } catch {
      // node-gyp-build decides, and words the failure.
    }
  }
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

/**
 * The binary node-gyp-build would choose, for this package's own layouts: a .node file in
 * build/Release (a local compile wins), else (with none in build/Debug either) the glibc prebuild
 * for this platform and architecture. Undefined sends the search to node-gyp-build.
 */
function knownBinary(dir: string): string | undefined {
  const release = nodeFileIn(path.join(dir, 'build', 'Release'));
  if (release !== undefined) return release;
  if (nodeFileIn(path.join(dir, 'build', 'Debug')) !== undefined) return undefined;
  const prebuild = path.join(dir, 'prebuilds', `${os.platform()}-${os.arch()}`, '@famfs+native.glibc.node');
  return fs.existsSync(prebuild) ? prebuild : undefined;
}

function nodeFileIn(dir: string): string | undefined {
  try {
    const name = fs.readdirSync(dir).find((f) => f.endsWith('.node'));
    return name === undefined ? undefined : path.join(dir, name);
  } catch {
    return undefined;
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
