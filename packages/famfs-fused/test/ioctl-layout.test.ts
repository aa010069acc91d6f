/**
 * Compiles kernel/layout-check/famfs_ioctl_check.c against kernel/uapi/famfs_ioctl.h (and the
 * system's <linux/ioctl.h>, so _IOR/_IOW/_IO are the compiler's), runs it, and compares every
 * struct size, field offset and size, and ioctl number with src/famfs/ioctl-abi.ts. Skipped with
 * a printed reason when gcc is missing, unless FAMFS_REQUIRE_TOOLS=1 (then it fails).
 */
import * as path from 'path';
import { execFileSync, spawnSync } from 'child_process';
import { Layout } from '@famfs/struct';
import * as ioc from '../src/famfs/ioctl-abi';
import { cleanupTempDirs, tempDir } from './helpers';

afterAll(cleanupTempDirs);

const SOURCE = path.resolve(__dirname, '../../../kernel/layout-check/famfs_ioctl_check.c');

/** The TS layouts: the two arms of famfs_ioc_get_fmap's union are separate layouts of one C struct. */
const LAYOUTS = [
  ioc.FamfsExtent,
  ioc.FamfsIocMap,
  ioc.FamfsIocSimpleExtent,
  ioc.FamfsIocInterleavedExt,
  ioc.FamfsIocFmap,
  ioc.FamfsIocGetFmapSimple,
  ioc.FamfsIocGetFmapInterleaved,
];
/** C paths that are not the snake_case of the TS name. */
const C_PATH: Record<string, string> = { ikie: 'ks.ikie', kieStrips: 'ks.kie_strips' };
/** C union members the TS layouts spell by their other name: alias -> the TS-covered member. */
const ALIASES: Record<string, string> = { 'famfs_ioc_fmap.fioc_niext': 'fioc_nextents', 'famfs_ioc_fmap.kie': 'kse' };

const snake = (s: string): string => C_PATH[s] ?? s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

const gccMissing = spawnSync('gcc', ['--version']).error !== undefined;
if (gccMissing && process.env.FAMFS_REQUIRE_TOOLS !== '1')
  console.log('ioctl-layout.test.ts skipped: gcc is not installed');
const maybe = gccMissing && process.env.FAMFS_REQUIRE_TOOLS !== '1' ? describe.skip : describe;

maybe('famfs ioctl ABI: C header and TypeScript layouts agree', () => {
  const sizes = new Map<string, number>();
  const fields = new Map<string, { offset: number; size: number }>();
  const numbers = new Map<string, number>();

  beforeAll(() => {
    if (gccMissing) throw new Error('FAMFS_REQUIRE_TOOLS=1 but gcc is not installed');
    const exe = path.join(tempDir('famfs-ioctl-layout-'), 'famfs_ioctl_check');
    execFileSync('gcc', ['-std=c11', '-Wall', '-Wextra', '-Werror', '-o', exe, SOURCE], { stdio: 'pipe' });
    for (const line of execFileSync(exe, { encoding: 'utf8' }).trim().split('\n')) {
      const [key, a, b] = line.split(' ');
      if (key === 'ioctl') numbers.set(a, Number(b));
      else if (b === undefined) sizes.set(key, Number(a));
      else fields.set(key, { offset: Number(a), size: Number(b) });
    }
  });

  test('every struct: same size; every TS field at its C offset and size', () => {
    const problems: string[] = [];
    for (const l of LAYOUTS as Layout<never>[]) {
      if (sizes.get(l.name) !== l.size) problems.push(`${l.name}: C size ${sizes.get(l.name)}, TS ${l.size}`);
      for (const f of l.fieldInfo) {
        const c = fields.get(`${l.name}.${snake(f.name)}`);
        if (!c || c.offset !== f.offset || c.size !== f.size) {
          problems.push(`${l.name}.${f.name}: C ${c ? `${c.offset}+${c.size}` : 'missing'}, TS ${f.offset}+${f.size}`);
        }
      }
    }
    expect(problems).toEqual([]);
    expect([...sizes.keys()].sort()).toEqual([...new Set(LAYOUTS.map((l) => l.name))].sort());
  });

  test('every C field is in a TS layout, or is a union alias at the same place', () => {
    const covered = new Set(LAYOUTS.flatMap((l) => l.fieldInfo.map((f) => `${l.name}.${snake(f.name)}`)));
    const missing: string[] = [];
    for (const [key, c] of fields) {
      if (covered.has(key)) continue;
      const alias = ALIASES[key];
      const other = alias && fields.get(`${key.split('.')[0]}.${alias}`);
      if (!other || other.offset !== c.offset || other.size !== c.size) missing.push(key);
    }
    expect(missing).toEqual([]);
  });

  test("the ioctl numbers are the compiler's (and the reference table's)", () => {
    const ts = Object.fromEntries(Object.entries(ioc.FamfsIoc).map(([k, v]) => [`FAMFSIOC_${k}`, v]));
    expect(ts).toEqual(Object.fromEntries(numbers));
    expect(ts).toEqual({
      FAMFSIOC_MAP_CREATE: 0x40387550,
      FAMFSIOC_MAP_GET: 0x80387551,
      FAMFSIOC_MAP_GETEXT: 0x80107552,
      FAMFSIOC_NOP: 0x7553,
      FAMFSIOC_MAP_CREATE_V2: 0x40207554,
      FAMFSIOC_MAP_GET_V2: 0x81c07555,
    });
  });
});
