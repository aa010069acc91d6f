/**
 * The inspection and testing-aid commands on real FUSE mounts, run as a user would (spawned
 * binaries, a sparse device file): getmap, flush, chkread, clone, check, mkmeta, and fsck of a
 * mounted file system by path. Needs root and /dev/fuse; skipped with a printed reason
 * otherwise, unless FAMFS_REQUIRE_MOUNT=1.
 */
import * as fs from 'fs';
import * as path from 'path';
import { mountSuite, TestMounts } from './mounts';
import { C_MASTER_UUID, famfs, OTHER_UUID, sparseFile, useTempDir } from './run';

const lib = require('./built-libfamfs');
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const MASTER = Buffer.from(C_MASTER_UUID.replace(/-/g, ''), 'hex');

const tmp = useTempDir();
const mounts = new TestMounts(tmp);
const env = (uuid = C_MASTER_UUID) => mounts.env(uuid);
const mount = (dev: string, mpt: string, uuid = C_MASTER_UUID) => mounts.mount(dev, mpt, uuid);

interface Extent {
  devIndex: number;
  offset: number;
  len: number;
}

/**
 * A device with a directory, two simple files and an interleaved one (4 buckets, 2 strips, 2 MiB
 * chunks), mounted at <tmp>/m. Returns the logged entries.
 */
function mountedFs() {
  const dev = sparseFile(tmp(), 8 * GiB);
  lib.mkfs(dev, { systemUuid: MASTER });
  const s = lib.LogSession.open(dev, { systemUuid: MASTER });
  let small: { size: number; fmap: { extents: Extent[] } };
  let big: { size: number; fmap: { extents: Extent[] } };
  let il: { size: number; fmap: { nstrips: number; chunkSize: number; strips: Extent[] } };
  try {
    s.mkdir('dir', { mode: 0o755 });
    small = s.createFile('dir/small', 1000, { mode: 0o644 });
    big = s.createFile('big', 5 * MiB + 7, { mode: 0o644 });
    il = s.createFile('il', 9 * MiB, { interleave: { nbuckets: 4, nstrips: 2, chunkSize: 2 * MiB } });
  } finally {
    s.close();
  }
  const mpt = path.join(tmp(), 'm');
  const r = mount(dev, mpt);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const shadow = lib.findFamfsMount(mpt, { ...process.env, FAMFS_RUN_DIR: mounts.runDir }).shadow as string;
  return { dev, mpt, shadow, small, big, il };
}

/** Writes a byte pattern into a file through the mount. */
function fill(file: string, size: number, salt: number): void {
  const data = Buffer.alloc(size);
  for (let i = 0; i < size; i++) data[i] = (i * 131 + salt) & 0xff;
  const fd = fs.openSync(file, 'r+');
  fs.writeSync(fd, data, 0, size, 0);
  fs.closeSync(fd);
}

mountSuite('famfs-cli inspect tests')('inspection commands on a mounted famfs', () => {
  afterEach(() => mounts.cleanup());

  test('getmap prints simple and interleaved maps (text and JSON) and the C exit codes', () => {
    const { mpt, small, big, il } = mountedFs();
    const fSmall = path.join(mpt, 'dir/small');
    const fBig = path.join(mpt, 'big');
    const fIl = path.join(mpt, 'il');
    const e0 = small.fmap.extents[0];
    const b0 = big.fmap.extents[0];

    const r = famfs(['getmap', fSmall, fIl], env());
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const strips = il.fmap.strips.map((x) => `\t\t${x.offset.toString(16)}\t${x.len}\n`).join('');
    expect(r.stdout).toBe(
      `File:     ${fSmall}\n\tsize:    1000\n\textents: 1\n\t\t${e0.offset.toString(16)}\t${e0.len}\nfamfs_getmap: good file ${fSmall}\n` +
        `File:     ${fIl}\n\tsize:    ${9 * MiB}\n\textents: 1\nInterleave_Param chunk_size: ${2 * MiB}\nInterleaved extent has 2 strips:\n${strips}` +
        `famfs_getmap: good file ${fIl}\n`,
    );

    const j = famfs(['getmap', '--json', fBig, fIl], env());
    expect(j.code).toBe(0);
    expect(JSON.parse(j.stdout)).toEqual([
      {
        path: fBig,
        size: 5 * MiB + 7,
        kind: 'simple',
        extents: [{ devIndex: 0, offset: b0.offset, length: b0.len }],
        log: 'match',
      },
      {
        path: fIl,
        size: 9 * MiB,
        kind: 'interleaved',
        nstrips: 2,
        chunkSize: 2 * MiB,
        strips: il.fmap.strips.map((x) => ({ devIndex: 0, offset: x.offset, length: x.len })),
        log: 'match',
      },
    ]);
    // The .meta files are served from the same kind of map.
    const meta = famfs(['getmap', path.join(mpt, '.meta/.log')], env());
    expect(meta.code).toBe(0);
    expect(meta.stdout).toMatch(/\t\t200000\t8388608\n/);

    const outside = path.join(tmp(), 'plain');
    fs.writeFileSync(outside, 'not famfs');
    expect(famfs(['getmap', outside], env()).code).toBe(1);
    expect(famfs(['getmap', path.join(mpt, 'dir')], env()).code).toBe(21);
    const missing = famfs(['getmap', path.join(mpt, 'nope')], env());
    expect(missing.code).toBe(9);
    expect(missing.stderr).toMatch(/file not found/);
    // Without -c the first failure ends the run; with -c the rest are still mapped.
    const stop = famfs(['getmap', path.join(mpt, 'nope'), fSmall], env());
    expect(stop.code).toBe(9);
    expect(stop.stdout).toBe('');
    const cont = famfs(['getmap', '-c', path.join(mpt, 'nope'), path.join(mpt, 'dir'), fSmall], env());
    expect(cont.code).toBe(9);
    expect(cont.stdout).toMatch(new RegExp(`good file ${fSmall}\n$`));
    expect(cont.stderr).toMatch(/not a regular file/);
    const quiet = famfs(['getmap', '-q', fSmall], env());
    expect(quiet.stdout).toBe(`famfs_getmap: good file ${fSmall}\n`);
    expect(famfs(['getmap', '--bogus', fSmall], env()).code).toBe(1);
  });

  test('flush counts failing arguments; chkread compares read() with mmap and dumps -s/-l', () => {
    const { mpt, big, il } = mountedFs();
    const fBig = path.join(mpt, 'big');
    const fIl = path.join(mpt, 'il');
    fill(fBig, big.size, 7);
    fill(fIl, il.size, 3);

    const ok = famfs(['flush', '-v', fBig, fIl], env());
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(new RegExp(`${fBig}: ${big.size} bytes`));
    const bad = famfs(['flush', fBig, path.join(mpt, 'dir'), path.join(mpt, 'nope')], env());
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/2 errors were detected/);

    for (const f of [fBig, fIl]) {
      const c = famfs(['chkread', f], env());
      expect(c.stderr).toBe('');
      expect(c.code).toBe(0);
      expect(c.stdout).toMatch(/read tried=\d+ got=\d+\nRead and mmap match\n$/);
    }
    const s = famfs(['chkread', '-s', path.join(mpt, '.meta/.superblock')], env());
    expect(s.code).toBe(0);
    expect(s.stdout).toMatch(
      /superblock by mmap\nfamfs superblock:\n\tmagic:       87b282ff\n\tversion:     48\n\tlog offset:  2097152\n\tlog len:     8388608\n/,
    );
    expect(s.stdout).toMatch(/Superblock by read\nff 82 b2 87 00 00 00 00 30 /);
    const l = famfs(['chkread', '-l', path.join(mpt, '.meta/.log')], env());
    expect(l.code).toBe(0);
    expect(l.stdout).toMatch(
      /Log by read\nfamfs log:\n\tmagic:      badcafef00d\n\tlen:        8388608\n\tlast index: 15419\n\tnext index: 4\n/,
    );
    const missing = famfs(['chkread', path.join(mpt, 'nope')], env());
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/could not stat file/);
    expect(famfs(['chkread', path.join(mpt, 'dir')], env()).code).toBe(1);
  });

  test('clone makes a cross-linked file that fsck by mount path reports; the mounted device is EBUSY', () => {
    const { dev, mpt, small } = mountedFs();
    const clean = famfs(['fsck', path.join(mpt, 'dir')], env());
    expect(clean.code).toBe(0);
    expect(clean.stdout.split('\n').slice(0, 5)).toEqual([
      `famfs_fsck: mount point:    ${mpt}`,
      'famfs_fsck: mount type:     fuse',
      `famfs_fsck: backing device: ${dev}`,
      expect.stringMatching(/^famfs_fsck: shadow path: {4}\//),
      '',
    ]);
    expect(clean.stdout).toMatch(/\nFamfs Superblock:\n/);
    expect(clean.stdout).toMatch(/No allocation errors found/);
    expect(clean.stdout).toMatch(/  3 files\n  1 directories\n/);

    const busy = famfs(['fsck', dev], env());
    expect(busy.code).toBe(16);
    expect(busy.stdout).toBe('');

    const c = famfs(['clone', path.join(mpt, 'dir/small'), path.join(mpt, 'dir/twin')], env());
    expect(c.stderr).toBe('');
    expect(c.code).toBe(0);
    expect(fs.statSync(path.join(mpt, 'dir/twin')).size).toBe(1000);
    const twin = famfs(['getmap', '--json', path.join(mpt, 'dir/twin')], env());
    expect(JSON.parse(twin.stdout)[0].extents[0].offset).toBe(small.fmap.extents[0].offset);

    const f = famfs(['fsck', mpt], env());
    expect(f.code).not.toBe(0);
    expect(f.stdout).toMatch(/ALLOCATION COLLISIONS FOUND/);
    expect(f.stdout).toMatch(/dir\/small \(entry \d+\) and dir\/twin \(entry \d+\)/);

    expect(famfs(['clone', path.join(mpt, 'dir/small'), path.join(mpt, 'dir/twin')], env()).code).toBe(17);
    expect(famfs(['clone', path.join(mpt, 'dir/small'), path.join(mpt, 'nodir/x')], env()).code).toBe(2);
    expect(famfs(['clone', path.join(mpt, 'dir'), path.join(mpt, 'x')], env()).code).toBe(21);
    expect(famfs(['clone', path.join(mpt, '.meta/.log'), path.join(mpt, 'x')], env()).code).toBe(22);
    // Only the master may clone.
    const client = famfs(['clone', path.join(mpt, 'dir/small'), path.join(mpt, 'dir/other')], { ...env(OTHER_UUID) });
    expect(client.code).toBe(1);
    expect(client.stderr).toMatch(/not the famfs master/);

    // Unmounted, the device itself is checked with no mount header, and the collision remains.
    expect(famfs(['umount', mpt], env()).code).toBe(0);
    mounts.forget();
    const byDev = famfs(['fsck', dev], env());
    expect(byDev.code).toBe(1);
    expect(byDev.stdout.startsWith('Famfs Superblock:\n')).toBe(true);
  });

  test('check passes a clean mount and counts a file whose shadow YAML is corrupt', () => {
    const { mpt, shadow } = mountedFs();
    const ok = famfs(['check', mpt], env());
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    // dir/small, big, il, .meta/.superblock, .meta/.log; dir and .meta.
    expect(ok.stdout).toBe('famfs_check: 5 files, 2 directories, 0 errors\n');
    const v = famfs(['check', '-v', mpt], env());
    expect(v.stdout).toMatch(new RegExp(`famfs_check: good file ${path.join(mpt, 'il')}\n`));

    expect(famfs(['check', path.relative(process.cwd(), mpt)], env()).code).toBe(1);
    const notMpt = famfs(['check', path.join(mpt, 'dir')], env());
    expect(notMpt.code).toBe(1);
    expect(notMpt.stderr).toMatch(/not a mount point/);
    expect(famfs(['check', tmp()], env()).code).toBe(1);

    fs.writeFileSync(path.join(shadow, 'root', 'il'), 'garbage: [\n');
    const bad = famfs(['check', mpt], env());
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('famfs_check: 5 files, 2 directories, 1 errors\n');
    expect(bad.stderr).toMatch(new RegExp(`${path.join(mpt, 'il')}: no valid map`));
    expect(famfs(['getmap', path.join(mpt, 'big'), path.join(mpt, 'il')], env()).code).toBe(2);

    // A well-formed shadow file whose map is not the logged one is an error too.
    const bigShadow = path.join(shadow, 'root', 'big');
    const moved = lib.parseShadowYaml(fs.readFileSync(bigShadow));
    moved.fmap.extents[0].offset += 2 * MiB;
    fs.writeFileSync(bigShadow, lib.emitShadowYaml(moved));
    const two = famfs(['check', mpt], env());
    expect(two.code).toBe(1);
    expect(two.stdout).toBe('famfs_check: 5 files, 2 directories, 2 errors\n');
    expect(two.stderr).toMatch(
      new RegExp(`${path.join(mpt, 'big')}: shadow map does not match the log \\(extents differ\\)`),
    );
    const g = famfs(['getmap', '--json', path.join(mpt, 'big')], env());
    expect(g.code).toBe(0);
    expect(JSON.parse(g.stdout)[0].log).toBe('differs');
    expect(g.stderr).toMatch(/does not match its log entry \(extents differ\)/);
  });

  test('mkmeta restores a deleted .meta/.log shadow file; an unmounted device is an error', () => {
    const { dev, mpt, shadow } = mountedFs();
    const logShadow = path.join(shadow, 'root', '.meta', '.log');
    const before = fs.readFileSync(logShadow, 'utf8');
    fs.rmSync(logShadow);
    const m = famfs(['mkmeta', dev], env());
    expect(m.stderr).toBe('');
    expect(m.code).toBe(0);
    expect(m.stdout).toMatch(/wrote \.meta\/\.superblock and \.meta\/\.log for .* \(master\)/);
    expect(fs.readFileSync(logShadow, 'utf8')).toBe(before);
    expect(fs.statSync(path.join(mpt, '.meta/.log')).size).toBe(8 * MiB);
    expect(famfs(['chkread', path.join(mpt, '.meta/.log')], env()).code).toBe(0);

    const other = sparseFile(tmp(), 8 * GiB, 'other.img');
    const un = famfs(['mkmeta', other], env());
    expect(un.code).not.toBe(0);
    expect(un.stderr).toMatch(/is not mounted as famfs/);
    expect(famfs(['mkmeta', path.join(tmp(), 'missing.img')], env()).code).not.toBe(0);
  });
});
