// Loading the addon: the build or prebuild in use, and a missing or broken one as a one-line error
// thrown by each call (never at import, so `famfs --help` works without the addon).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { addonFile, addonProblem } from '../src';
import { AddonUnavailableError, loadAddon, rebuildCommand } from '../src/addon';
import { useTempDir } from './helpers';

interface Mini {
  pageSize(): number;
  LOCK_EX: number;
}

describe('the addon in use', () => {
  test('loads from the package: a local build or the prebuild for this platform', () => {
    expect(addonProblem()).toBeUndefined();
    const rel = path.relative(path.join(__dirname, '..'), addonFile()!);
    expect(rel).toMatch(new RegExp(`^(build/Release/|prebuilds/${os.platform()}-${os.arch()}/)[^/]+\\.node$`));
  });
});

describe('the binary chosen', () => {
  const dir = useTempDir();

  test("is node-gyp-build's choice: the prebuild for this platform, and a local build before it", () => {
    fs.writeFileSync(path.join(dir(), 'package.json'), '{"name":"@famfs/native"}');
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- node-gyp-build has no types.
    const gypBuild = require('node-gyp-build') as { resolve(dir: string): string };
    const prebuilds = path.join(dir(), 'prebuilds', `${os.platform()}-${os.arch()}`);
    fs.mkdirSync(prebuilds, { recursive: true });
    fs.copyFileSync(addonFile()!, path.join(prebuilds, '@famfs+native.glibc.node'));
    fs.mkdirSync(path.join(dir(), 'build', 'Release'), { recursive: true });
    const first = loadAddon<Mini>(dir());
    expect(first.problem).toBeUndefined();
    expect(first.file).toBe(gypBuild.resolve(dir()));
    expect(first.file).toBe(path.join(prebuilds, '@famfs+native.glibc.node'));
    expect(first.binding.pageSize()).toBeGreaterThan(0);

    fs.copyFileSync(addonFile()!, path.join(dir(), 'build', 'Release', 'famfs_native.node'));
    const second = loadAddon<Mini>(dir());
    expect(second.file).toBe(gypBuild.resolve(dir()));
    expect(second.file).toBe(path.join(dir(), 'build', 'Release', 'famfs_native.node'));
  });
});

describe('a missing or unloadable addon', () => {
  const dir = useTempDir();
  const pkg = (): void => fs.writeFileSync(path.join(dir(), 'package.json'), '{"name":"@famfs/native"}');

  test('missing: every call throws one line naming the platform and the command that builds it', () => {
    pkg();
    const { binding, problem } = loadAddon<Mini>(dir());
    expect(problem).toBe(
      `the famfs native addon has no build for ${os.platform()}-${os.arch()}, Node ${process.versions.node}: ` +
        `build it with \`npm --prefix ${dir()} run install\` (needs g++, make and python3)`,
    );
    expect(binding.LOCK_EX).toBeUndefined();
    let thrown: unknown;
    try {
      binding.pageSize();
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(AddonUnavailableError);
    expect((thrown as Error).message).toBe(problem);
    expect((thrown as Error).cause).toBeInstanceOf(Error);
  });

  test("unloadable: names the file and the loader's reason, on one line", () => {
    pkg();
    const release = path.join(dir(), 'build', 'Release');
    fs.mkdirSync(release, { recursive: true });
    fs.writeFileSync(path.join(release, 'famfs_native.node'), 'not an ELF file');
    const { problem } = loadAddon<Mini>(dir());
    expect(problem).toMatch(/^the famfs native addon \S+famfs_native\.node does not load \(.+\): build it with `npm/);
    expect(problem).not.toContain('\n');
  });

  test("the rebuild command runs the package's install step where it is installed", () => {
    expect(rebuildCommand('/x/node_modules/@famfs/native')).toBe(
      'npm --prefix /x/node_modules/@famfs/native run install',
    );
  });

  test('importing the package with no addon works; the first call throws the one line', () => {
    // The compiled package in a copy without build/ or prebuilds/, as an install that has neither.
    const src = path.join(__dirname, '..');
    const copy = path.join(dir(), 'native');
    fs.mkdirSync(copy);
    fs.cpSync(path.join(src, 'dist'), path.join(copy, 'dist'), { recursive: true });
    fs.copyFileSync(path.join(src, 'package.json'), path.join(copy, 'package.json'));
    const script = `
      const n = require(${JSON.stringify(copy)});
      console.log(typeof n.addonProblem());
      try { n.pageSize(); } catch (e) { console.log(e.name + ': ' + e.message); }`;
    const gypBuild = path.dirname(require.resolve('node-gyp-build/package.json'));
    const r = spawnSync(process.execPath, ['-e', script], {
      encoding: 'utf8',
      env: { ...process.env, NODE_PATH: path.dirname(gypBuild) },
    });
    expect(r.stderr).toBe('');
    const lines = r.stdout.trim().split('\n');
    expect(lines).toEqual([
      'string',
      expect.stringMatching(/^AddonUnavailableError: the famfs native addon has no build/),
    ]);
  });
});
