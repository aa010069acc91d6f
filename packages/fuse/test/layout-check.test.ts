/**
 * Compiles kernel/layout-check/layout_check.c against kernel/uapi/famfs_fuse.h, runs it, and
 * compares every struct size and every field's offset and size with the TypeScript layouts in
 * src/protocol/abi.ts. Skipped with a printed reason when gcc is missing, unless
 * FAMFS_REQUIRE_TOOLS=1 (then it fails).
 */
import * as fs from 'fs';
import * as path from 'path';
import { execFileSync, spawnSync } from 'child_process';
import { Layout } from '@famfs/struct';
import * as abi from '../src/protocol/abi';
import { cleanupTempDirs, tempDir } from './helpers';

afterAll(cleanupTempDirs);

const KERNEL = path.resolve(__dirname, '../../../kernel');
const SOURCE = path.join(KERNEL, 'layout-check/layout_check.c');

/** C field names that are not the snake_case form of the TS name, per struct. */
const NAME_EXCEPTIONS: Record<string, Record<string, string>> = {
  fuse_statx: { spare0: '__spare0', spare2: '__spare2' },
  fuse_sx_time: { reserved: '__reserved' },
};

const snake = (s: string): string => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const cName = (struct: string, tsField: string): string => NAME_EXCEPTIONS[struct]?.[tsField] ?? snake(tsField);

const gccMissing = spawnSync('gcc', ['--version']).error !== undefined;
if (gccMissing && process.env.FAMFS_REQUIRE_TOOLS !== '1')
  console.log('layout-check.test.ts skipped: gcc is not installed');
const maybe = gccMissing && process.env.FAMFS_REQUIRE_TOOLS !== '1' ? describe.skip : describe;

maybe('C uapi header and TypeScript layouts agree', () => {
  const sizes = new Map<string, number>();
  const fields = new Map<string, Map<string, { offset: number; size: number }>>();
  type AnyLayout = { name: string; size: number; fieldInfo: readonly { name: string; offset: number; size: number }[] };
  const layouts: AnyLayout[] = (Object.values(abi) as unknown[]).filter((v) => v instanceof Layout) as AnyLayout[];

  beforeAll(() => {
    if (gccMissing) throw new Error('FAMFS_REQUIRE_TOOLS=1 but gcc is not installed');
    const exe = path.join(tempDir('famfs-layout-'), 'layout_check');
    execFileSync('gcc', ['-std=c11', '-Wall', '-Wextra', '-Werror', '-o', exe, SOURCE], { stdio: 'pipe' });
    const out = execFileSync(exe, { encoding: 'utf8' });
    for (const line of out.trim().split('\n')) {
      const [key, a, b] = line.split(' ');
      if (b === undefined) {
        sizes.set(key, Number(a));
        fields.set(key, new Map());
      } else {
        const [s, f] = key.split('.');
        fields.get(s)!.set(f, { offset: Number(a), size: Number(b) });
      }
    }
  });

  test('every C struct has a TS layout and every TS layout a C struct', () => {
    expect(layouts.length).toBeGreaterThan(40);
    expect(layouts.map((l) => l.name).sort()).toEqual([...sizes.keys()].sort());
    expect(fs.existsSync(path.join(KERNEL, 'uapi/famfs_fuse.h'))).toBe(true);
  });

  test('sizes, offsets and field sizes match', () => {
    const problems: string[] = [];
    for (const l of layouts) {
      const cSize = sizes.get(l.name);
      if (cSize !== l.size) problems.push(`${l.name}: C size ${cSize}, TS size ${l.size}`);
      const cFields = fields.get(l.name) ?? new Map();
      const seen = new Set<string>();
      for (const f of l.fieldInfo) {
        const cn = cName(l.name, f.name);
        seen.add(cn);
        const c = cFields.get(cn);
        if (!c) problems.push(`${l.name}.${f.name}: no C field ${cn}`);
        else if (c.offset !== f.offset || c.size !== f.size) {
          problems.push(`${l.name}.${f.name}: C ${c.offset}+${c.size}, TS ${f.offset}+${f.size}`);
        }
      }
      for (const cn of cFields.keys())
        if (!seen.has(cn)) problems.push(`${l.name}.${cn}: C field missing from the TS layout`);
    }
    expect(problems).toEqual([]);
  });
});
