/**
 * The metadata of the packages published to npm: what makes them installable from the registry
 * and keeps them consistent with one another. The pack-install test (tools/pack-install) checks
 * the tarballs themselves; this one holds the package.json fields, quickly and without building.
 */
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '../../..');

interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  description?: string;
  keywords?: string[];
  license?: string;
  author?: string;
  repository?: { type: string; url: string; directory?: string };
  engines?: { node?: string };
  files?: string[];
  bin?: Record<string, string>;
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  publishConfig?: { access?: string };
}

const read = (dir: string): Manifest => JSON.parse(fs.readFileSync(path.join(ROOT, dir, 'package.json'), 'utf8'));
const root = read('.') as Manifest & { workspaces: string[] };
const workspaces = root.workspaces.map((dir) => ({ dir, pkg: read(dir) }));
const published = workspaces.filter((w) => !w.pkg.private);

/** The command `npx <package>` runs, by npm's rule (libnpmexec's getBinFromManifest). */
function npxCommand(pkg: Manifest): string | undefined {
  const bin = pkg.bin ?? {};
  if (new Set(Object.values(bin)).size === 1) return Object.keys(bin)[0];
  const unscoped = pkg.name.replace(/^@[^/]+\//, '');
  return bin[unscoped] ? unscoped : undefined;
}

describe('the published packages', () => {
  test('are the six meant for npm; the emulator and the repository tools stay private', () => {
    expect(published.map((w) => w.pkg.name).sort()).toEqual([
      '@famfs/cli',
      '@famfs/fuse',
      '@famfs/fused',
      '@famfs/libfamfs',
      '@famfs/native',
      '@famfs/struct',
    ]);
  });

  test('share one version, and depend on one another at exactly that version', () => {
    const names = new Set(published.map((w) => w.pkg.name));
    for (const { pkg } of workspaces) {
      for (const [dep, range] of Object.entries(pkg.dependencies ?? {})) {
        if (names.has(dep)) expect(`${pkg.name} -> ${dep}@${range}`).toBe(`${pkg.name} -> ${dep}@${root.version}`);
      }
    }
    for (const { pkg } of published) expect(`${pkg.name}@${pkg.version}`).toBe(`${pkg.name}@${root.version}`);
  });

  test('carry the metadata npm shows and checks', () => {
    for (const { dir, pkg } of published) {
      expect({
        name: pkg.name,
        license: pkg.license,
        author: pkg.author,
        repository: pkg.repository,
        engines: pkg.engines,
        access: pkg.publishConfig?.access,
      }).toEqual({
        name: pkg.name,
        license: 'Apache-2.0',
        author: 'famfs-ts contributors',
        repository: { type: 'git', url: published[0].pkg.repository?.url, directory: dir },
        engines: root.engines,
        access: 'public',
      });
      expect(pkg.description?.length).toBeGreaterThan(20);
      expect(pkg.keywords).toContain('famfs');
    }
  });

  test('each has the Apache-2.0 LICENSE of the root and a README; files leave out sources and tests', () => {
    const license = fs.readFileSync(path.join(ROOT, 'LICENSE'), 'utf8');
    expect(license).toMatch(/^\s*Apache License\s+Version 2\.0, January 2004/);
    for (const { dir, pkg } of published) {
      expect({ dir, same: fs.readFileSync(path.join(ROOT, dir, 'LICENSE'), 'utf8') === license }).toEqual({
        dir,
        same: true,
      });
      expect(fs.existsSync(path.join(ROOT, dir, 'README.md'))).toBe(true);
      expect(pkg.files).toBeDefined();
      expect({ dir, files: pkg.files!.filter((f) => /^(src|test)\b|tsconfig/.test(f)) }).toEqual({ dir, files: [] });
    }
  });

  test('`npx @famfs/cli` runs famfs, `npx @famfs/fused` famfs_fused', () => {
    const byName = new Map(published.map((w) => [w.pkg.name, w.pkg]));
    expect(npxCommand(byName.get('@famfs/cli')!)).toBe('famfs');
    expect(npxCommand(byName.get('@famfs/fused')!)).toBe('famfs_fused');
  });

  test('the native install step ships in the tarball', () => {
    const native = published.find((w) => w.pkg.name === '@famfs/native')!.pkg;
    const script = /^node (\S+)$/.exec(native.scripts?.install ?? '')?.[1];
    expect(native.files).toContain(script);
  });
});
