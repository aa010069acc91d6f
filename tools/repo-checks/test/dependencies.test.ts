/**
 * The package picture in docs/architecture.md is the rule; the imports must follow it. The
 * picture is the mermaid block between the `deps:begin` and `deps:end` markers: one `A --> B` line
 * per allowed arrow ("A may import B"). Every import of a workspace package from a package's
 * src/ must be an arrow of the picture, and every arrow of the picture must be used, so the two
 * cannot drift apart. Tests may also import what their own package lists as devDependencies.
 */
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '../../..');

/** Short names used in the picture, by package directory. */
const PACKAGES: Record<string, string> = {
  native: 'packages/native',
  struct: 'packages/struct',
  libfamfs: 'packages/libfamfs',
  fuse: 'packages/fuse',
  fused: 'packages/famfs-fused',
  cli: 'packages/famfs-cli',
  emulator: 'kernel/emulator',
};

/** npm name -> short name, from each package.json. */
function npmNames(): Map<string, string> {
  const m = new Map<string, string>();
  for (const [short, dir] of Object.entries(PACKAGES)) {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, dir, 'package.json'), 'utf8')) as { name: string };
    m.set(pkg.name, short);
  }
  return m;
}

function pictureArrows(): Set<string> {
  const doc = fs.readFileSync(path.join(ROOT, 'docs/architecture.md'), 'utf8');
  const m = /<!-- deps:begin -->([\s\S]*?)<!-- deps:end -->/.exec(doc);
  if (!m) throw new Error('docs/architecture.md has no <!-- deps:begin --> ... <!-- deps:end --> block');
  const arrows = new Set<string>();
  for (const line of m[1].split('\n')) {
    const a = /^\s*([a-z]+)\s*-->\s*([a-z]+)\s*$/.exec(line);
    if (a) arrows.add(`${a[1]} --> ${a[2]}`);
  }
  return arrows;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  if (!fs.existsSync(dir)) return out;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(p));
    else if (/\.(ts|js)$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Workspace packages imported by the files under `dir`, with one file that does it for each. */
function importsOf(dir: string, names: Map<string, string>): Map<string, string> {
  const found = new Map<string, string>();
  const re = /(?:from\s+|require(?:\.resolve)?\(\s*|import\(\s*)'(@famfs\/[a-z-]+)(?:\/[^']*)?'/g;
  for (const file of sourceFiles(dir)) {
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(re)) {
      const short = names.get(m[1]);
      if (short && !found.has(short)) found.set(short, path.relative(ROOT, file));
    }
  }
  return found;
}

describe('the package dependency picture of docs/architecture.md', () => {
  const names = npmNames();
  const arrows = pictureArrows();

  test('names only known packages', () => {
    for (const a of arrows) for (const end of a.split(' --> ')) expect(Object.keys(PACKAGES)).toContain(end);
  });

  test('every import in src/ is an arrow of the picture, and every arrow is used', () => {
    const used = new Set<string>();
    const forbidden: string[] = [];
    for (const [short, dir] of Object.entries(PACKAGES)) {
      for (const [target, file] of importsOf(path.join(ROOT, dir, 'src'), names)) {
        if (target === short) continue;
        const arrow = `${short} --> ${target}`;
        if (arrows.has(arrow)) used.add(arrow);
        else forbidden.push(`${arrow} (${file})`);
      }
    }
    expect(forbidden).toEqual([]);
    expect([...arrows].filter((a) => !used.has(a))).toEqual([]);
  });

  test('package.json dependencies are exactly the arrows', () => {
    for (const [short, dir] of Object.entries(PACKAGES)) {
      const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, dir, 'package.json'), 'utf8')) as {
        dependencies?: Record<string, string>;
      };
      const deps = Object.keys(pkg.dependencies ?? {})
        .map((n) => names.get(n))
        .filter((n): n is string => n !== undefined)
        .sort();
      const drawn = [...arrows]
        .filter((a) => a.startsWith(`${short} --> `))
        .map((a) => a.split(' --> ')[1])
        .sort();
      expect({ package: short, dependencies: deps }).toEqual({ package: short, dependencies: drawn });
    }
  });

  test('tests import only their own package, its arrows and its devDependencies', () => {
    const problems: string[] = [];
    for (const [short, dir] of Object.entries(PACKAGES)) {
      const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, dir, 'package.json'), 'utf8')) as {
        devDependencies?: Record<string, string>;
      };
      const dev = new Set(Object.keys(pkg.devDependencies ?? {}).map((n) => names.get(n)));
      // A test may use what its package's dependencies bring in (transitively).
      const reach = new Set<string>([short]);
      for (let grew = true; grew;) {
        grew = false;
        for (const a of arrows) {
          const [from, to] = a.split(' --> ');
          if (reach.has(from) && !reach.has(to)) {
            reach.add(to);
            grew = true;
          }
        }
      }
      for (const [target, file] of importsOf(path.join(ROOT, dir, 'test'), names)) {
        if (!reach.has(target) && !dev.has(target)) problems.push(`${short} test imports ${target} (${file})`);
      }
    }
    expect(problems).toEqual([]);
  });
});
