/**
 * The emulator against the real famfs file system of famfs-fused: a device made with libfamfs
 * (simple files, one 2-strip interleaved file), replayed into a shadow tree, served by
 * FamfsFileSystem. Every file opens with one GET_FMAP that passes the kernel's validation, reads
 * return the device bytes, one GET_DAXDEV, no READ or WRITE; then 10,000 fuzz requests, after
 * which everything still reads right.
 *
 * Skipped (with the reason printed) while packages/famfs-fused/src/famfs/famfs-fs.ts is missing
 * or does not load.
 */
import * as fs from 'fs';
import * as path from 'path';
import { FileEntry } from '@famfs/libfamfs/format';
import { LogSession, mkfs } from '@famfs/libfamfs/log';
import { logMetaEntry, logplayDevice, superblockMetaEntry } from '@famfs/libfamfs/shadow';
import type { FileSystem } from '@famfs/fuse';
import { emulateMount, fuzzSession, O_RDWR } from '../src';
import { cleanupTempDirs, expectedFileBytes, fillPattern, Layout, MiB, readAt, tempDir } from './helpers';

afterAll(cleanupTempDirs);

const MODULE = path.resolve(__dirname, '../../../packages/famfs-fused/src/famfs/famfs-fs.ts');
const MASTER = Buffer.from('303132333435363738393a3b3c3d3e3f', 'hex');
const GiB = 1024 * MiB;

type FamfsCtor = new (options: {
  shadow: string;
  daxdev?: string;
  abi?: string;
  log?: (m: string) => void;
}) => FileSystem;

function loadFamfs(): { ctor?: FamfsCtor; reason?: string } {
  if (!fs.existsSync(MODULE)) return { reason: `${MODULE} does not exist yet` };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(MODULE) as { FamfsFileSystem?: FamfsCtor };
    if (typeof mod.FamfsFileSystem !== 'function') return { reason: `${MODULE} does not export FamfsFileSystem` };
    return { ctor: mod.FamfsFileSystem };
  } catch (e) {
    return { reason: `${MODULE} does not load: ${(e as Error).message.split('\n').slice(0, 4).join(' | ')}` };
  }
}

const loaded = loadFamfs();
if (!loaded.ctor) {
  console.log(`SKIPPED famfs integration: ${loaded.reason}`);
}
const maybe = loaded.ctor ? describe : describe.skip;

function layoutOf(e: FileEntry): Layout {
  if (e.fmap.kind === 'simple')
    return { kind: 'simple', extents: e.fmap.extents.map((x) => ({ offset: x.offset, len: x.len })) };
  return {
    kind: 'interleaved',
    chunk: e.fmap.chunkSize,
    strips: e.fmap.strips.map((x) => ({ offset: x.offset, len: x.len })),
  };
}

maybe('FamfsFileSystem behind the emulated famfs kernel', () => {
  let dev = '';
  let shadow = '';
  const layouts = new Map<string, { layout: Layout; size: number }>();

  beforeAll(() => {
    const dir = tempDir();
    dev = path.join(dir, 'famfs.img');
    fs.writeFileSync(dev, '');
    fs.truncateSync(dev, 8 * GiB);
    mkfs(dev, { systemUuid: MASTER });
    const s = LogSession.open(dev, { systemUuid: MASTER });
    const entries: FileEntry[] = [];
    try {
      s.mkdir('sub');
      s.mkdir('sub/deeper');
      entries.push(s.createFile('a.bin', 3 * MiB + 17));
      entries.push(s.createFile('sub/b.bin', 5 * MiB));
      entries.push(s.createFile('sub/deeper/tiny.txt', 1));
      const inter: FileEntry = {
        type: 'file',
        path: 'sub/inter.bin',
        size: 7 * MiB + 5,
        flags: 2,
        mode: 0o644,
        uid: 0,
        gid: 0,
        fmap: {
          kind: 'interleaved',
          nstrips: 2,
          chunkSize: 2 * MiB,
          strips: [
            { devIndex: 0, offset: 1 * GiB, len: 4 * MiB },
            { devIndex: 0, offset: 2 * GiB, len: 4 * MiB },
          ],
        },
      };
      s.appendRaw(inter);
      entries.push(inter);
    } finally {
      s.close();
    }
    shadow = path.join(dir, 'shadow');
    fs.mkdirSync(shadow);
    const r = logplayDevice(dev, shadow, { systemUuid: MASTER });
    expect(r.problems).toEqual([]);
    for (const e of [...entries, superblockMetaEntry(), logMetaEntry(8 * MiB, 'master')]) {
      layouts.set(`/${e.path}`, { layout: layoutOf(e), size: e.size });
      // Known bytes in each file's extents (the superblock and log keep their real contents).
      if (!e.path.startsWith('.meta'))
        for (const x of e.fmap.kind === 'simple' ? e.fmap.extents : e.fmap.strips)
          fillPattern(dev, x.offset, x.offset + x.len);
    }
  });

  function mount() {
    const famfs = new loaded.ctor!({ shadow, daxdev: dev, abi: 'v10', log: () => undefined });
    // The device is an image file: the emulated kernel is told to take one.
    const m = emulateMount(famfs, { profile: 'v10', kernel: { allowFileDaxdev: true } });
    m.kernel.init();
    return m;
  }

  /** Opens and fully reads every file, comparing with the device through the reference layout. */
  function readEverything(kernel: ReturnType<typeof mount>['kernel']): string[] {
    const files = kernel.walkFiles('/').sort();
    for (const f of files) {
      const want = layouts.get(f);
      expect(want).toBeDefined();
      const h = kernel.open(f);
      const got = kernel.read(h, 0, want!.size + 4096);
      expect(got.length).toBe(want!.size);
      const expected = f.startsWith('/.meta')
        ? readAt(dev, (want!.layout as { extents: { offset: number }[] }).extents[0].offset, want!.size)
        : expectedFileBytes(want!.layout, 0, want!.size);
      expect(got.equals(expected)).toBe(true);
      kernel.release(h);
    }
    return files;
  }

  test('every file: one valid GET_FMAP, right bytes, one GET_DAXDEV, no READ/WRITE', () => {
    const { kernel, session } = mount();
    expect(session.negotiated?.famfs).toBe(true);
    const files = readEverything(kernel);
    expect(files).toEqual([
      '/.meta/.log',
      '/.meta/.superblock',
      '/a.bin',
      '/sub/b.bin',
      '/sub/deeper/tiny.txt',
      '/sub/inter.bin',
    ]);
    readEverything(kernel); // second round: all cached
    expect(kernel.count('GET_FMAP')).toBe(files.length);
    expect([...kernel.fmapRequests.values()].every((n) => n === 1)).toBe(true);
    expect(kernel.count('GET_DAXDEV')).toBe(1);
    expect(kernel.daxdev(0)?.name).toBe(dev);
    expect(kernel.count('READ')).toBe(0);
    expect(kernel.count('WRITE')).toBe(0);
    expect(kernel.protocolErrors).toEqual([]);
    expect(kernel.warnings).toEqual([]);
    console.log(`famfs emulated requests: ${JSON.stringify(kernel.counts())}`);
  });

  test('writes through the interleaved file land on the strips; the file never grows', () => {
    const { kernel } = mount();
    const h = kernel.open('/sub/inter.bin', O_RDWR);
    const data = Buffer.from('famfs-emulator-'.repeat(300_000)).subarray(0, 4 * MiB + 3);
    expect(kernel.write(h, 2 * MiB - 1, data)).toBe(data.length);
    // file offset 2 MiB - 1: chunk 0 -> strip 0 at 1 GiB; 2 MiB: chunk 1 -> strip 1 at 2 GiB; 4 MiB: chunk 2 -> strip 0, stripe 1.
    expect(readAt(dev, 1 * GiB + 2 * MiB - 1, 1)[0]).toBe(data[0]);
    expect(readAt(dev, 2 * GiB, 4).equals(data.subarray(1, 5))).toBe(true);
    expect(readAt(dev, 1 * GiB + 2 * MiB, 4).equals(data.subarray(2 * MiB + 1, 2 * MiB + 5))).toBe(true);
    expect(kernel.write(h, 7 * MiB + 5, Buffer.from('x'))).toBe(0);
    expect(kernel.read(h, 2 * MiB - 1, data.length).equals(data)).toBe(true);
    kernel.release(h);
    // Put the pattern back for the other tests.
    fillPattern(dev, 1 * GiB, 1 * GiB + 4 * MiB);
    fillPattern(dev, 2 * GiB, 2 * GiB + 4 * MiB);
    expect(kernel.count('WRITE')).toBe(0);
  });

  test('10,000 fuzz requests leave it serving correct answers', () => {
    const { kernel, session } = mount();
    readEverything(kernel);
    const r = fuzzSession(session, { count: 10_000, seed: 0xfa4f5 });
    console.log(
      `famfs fuzz: ${JSON.stringify({ famfs: r.famfs, outcomes: r.outcomes, probes: r.probes, baseline: r.baseline.entries, errnos: r.errnos, violations: r.violations.slice(0, 10) })}`,
    );
    expect(r.famfs).toBe(true);
    expect(r.violations).toEqual([]);
    expect(r.baseline.mismatches).toEqual([]);
    // Cached fmaps still serve, and after eviction fresh GET_FMAPs still validate.
    readEverything(kernel);
    kernel.forgetAll();
    const before = kernel.count('GET_FMAP');
    const files = readEverything(kernel);
    expect(kernel.count('GET_FMAP')).toBe(before + files.length);
    expect(kernel.count('GET_DAXDEV')).toBe(1);
    expect(kernel.count('READ')).toBe(0);
    expect(kernel.count('WRITE')).toBe(0);
  });

  test('push: auto finds it; every file reads right without GET_DAXDEV; 5,000 fuzz requests find nothing', () => {
    const famfs = new loaded.ctor!({ shadow, daxdev: dev, abi: 'auto', log: () => undefined });
    const kernel = { profile: 'push', allowFileDaxdev: true } as const;
    const m = emulateMount(famfs, { session: { profile: 'auto' }, kernel });
    m.kernel.init();
    expect(m.session.profile.name).toBe('push');
    readEverything(m.kernel);
    expect(m.kernel.count('GET_DAXDEV')).toBe(0);
    expect(m.kernel.daxdevPushes.map((p) => p.answer)).toEqual(['EBADF', 'OK']); // the probe, then daxdev 0
    const r = fuzzSession(m.session, { count: 5_000, seed: 0x9054, profile: 'push' });
    const summary = { outcomes: r.outcomes, errnos: r.errnos, violations: r.violations.slice(0, 10) };
    console.log(`push fuzz: ${JSON.stringify(summary)}`);
    expect(r.famfs).toBe(true);
    expect(r.violations).toEqual([]);
    expect(r.generators.getFmapSized).toBeGreaterThan(50);
    readEverything(m.kernel);
    expect(m.kernel.warnings).toEqual([]);
    expect(m.kernel.hangs).toEqual([]);
  });
});

test('integration prerequisites are reported', () => {
  expect(typeof MODULE).toBe('string');
});
