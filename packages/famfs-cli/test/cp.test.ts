/**
 * famfs cp on real FUSE mounts, run as a user would: spawned binaries, file-backed devices in
 * /dev/shm, every test in a fresh temporary directory that holds the device, the mount point,
 * the shadow tree and the sources. Needs root and /dev/fuse; skipped with a printed reason
 * otherwise, unless FAMFS_REQUIRE_MOUNT=1. Whatever a test does, afterEach unmounts, stops the
 * daemons it started (found by the temp dir in their command line) and removes the directory.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { daemonsFor, fuseMountsUnder, mountSuite, mountUnavailable } from './mounts';
import { C_MASTER_UUID, FAMFS_BIN, OTHER_UUID } from './run';
import { formatProgress, Progress } from '../src/copy/progress';
import { CopyEngine, CopyReport, isContentsForm, sourceBasename } from '../src/copy/engine';
import { FamfsMaster } from '@famfs/libfamfs/mount';

const lib = require('./built-libfamfs');
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const MASTER = Buffer.from(C_MASTER_UUID.replace(/-/g, ''), 'hex');

const why = mountUnavailable;
const suite = mountSuite('famfs cp tests');

/** Devices and sources live in memory when /dev/shm exists (the out-of-space test writes 3 GiB). */
const TMP_BASE = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let tmp = '';
const mounted: string[] = [];

function env(uuid: string): Record<string, string> {
  return { FAMFS_SYSTEM_UUID: uuid, FAMFS_RUN_DIR: path.join(tmp, 'run') };
}

function famfs(args: string[], opts: { uuid?: string; cwd?: string; env?: Record<string, string> } = {}): Run {
  const r = spawnSync(process.execPath, [FAMFS_BIN, ...args], {
    encoding: 'utf8',
    cwd: opts.cwd ?? tmp,
    env: { ...process.env, ...env(opts.uuid ?? C_MASTER_UUID), ...opts.env },
    maxBuffer: 64 * MiB,
  });
  if (r.error) throw r.error;
  return { code: r.status ?? 128, stdout: r.stdout, stderr: r.stderr };
}

function cp(args: string[], opts: { uuid?: string; cwd?: string; env?: Record<string, string> } = {}): Run {
  return famfs(['cp', ...args], opts);
}

function sparse(p: string, size: number): string {
  fs.writeFileSync(p, '');
  fs.truncateSync(p, size);
  return p;
}

/** A fresh famfs on a sparse device file: made with libfamfs, optionally pre-filled, then mounted. */
function newFamfs(opts: { size?: number; uuid?: string; prepare?: (dev: string) => void } = {}): {
  dev: string;
  mpt: string;
} {
  const dev = sparse(path.join(tmp, 'dev.img'), opts.size ?? 8 * GiB);
  lib.mkfs(dev, { systemUuid: MASTER });
  opts.prepare?.(dev);
  const mpt = path.join(tmp, 'mnt');
  const shadow = path.join(tmp, 'shadow');
  fs.mkdirSync(mpt);
  fs.mkdirSync(shadow);
  const r = famfs(['mount', '-S', shadow, dev, mpt], { uuid: opts.uuid ?? C_MASTER_UUID });
  if (r.code !== 0) throw new Error(`mount failed: ${r.stderr}`);
  mounted.push(mpt);
  return { dev, mpt };
}

/** The log, replayed read-only (no lock: only read between commands). */
function readLog(dev: string) {
  const d = lib.Device.open(dev);
  try {
    const meta = lib.mapMeta(d);
    return lib.replayLog(meta.log, meta.sb, dev);
  } finally {
    d.close();
  }
}

function logFile(dev: string, rel: string) {
  return lib.replayedFile(readLog(dev), rel);
}

/** A file's bytes (all, or [offset, offset + len)) read straight from the device, through its fmap. */
function deviceBytes(dev: string, rel: string, offset = 0, len?: number): Buffer {
  const entry = logFile(dev, rel);
  if (!entry) throw new Error(`${rel} is not in the log`);
  const fd = fs.openSync(dev, 'r');
  try {
    const parts = lib
      .resolveRange(entry.fmap, entry.size, offset, len ?? entry.size)
      .map((r: { offset: number; len: number }) => {
        const b = Buffer.alloc(r.len);
        fs.readSync(fd, b, 0, r.len, r.offset);
        return b;
      });
    return Buffer.concat(parts);
  } finally {
    fs.closeSync(fd);
  }
}

function logBytes(dev: string): Buffer {
  const fd = fs.openSync(dev, 'r');
  try {
    const b = Buffer.alloc(10 * MiB);
    fs.readSync(fd, b, 0, b.length, 0);
    return b;
  } finally {
    fs.closeSync(fd);
  }
}

function fsckJson(target: string) {
  const r = famfs(['fsck', '--json', target]);
  if (r.code !== 0) throw new Error(`fsck ${target} exit ${r.code}: ${r.stderr}${r.stdout.slice(0, 400)}`);
  return JSON.parse(r.stdout);
}

function entriesUsed(mpt: string): number {
  return fsckJson(mpt).log.entriesUsed;
}

let seed = 1;
function randomBytes(n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  let x = seed++ * 0x9e3779b1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

function write(p: string, data: Buffer | string, mode = 0o644): string {
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, data);
  fs.chmodSync(p, mode);
  return p;
}

/** Every regular file under `dir`, as paths relative to it. */
function filesUnder(dir: string, rel = ''): string[] {
  return fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap((d) => {
    const r = rel ? `${rel}/${d.name}` : d.name;
    return d.isDirectory() ? filesUnder(dir, r) : d.isFile() ? [r] : [];
  });
}

/** The file's bytes agree in the source, through the mount, and on the device. */
function expectCopied(src: string, mpt: string, dev: string, rel: string): void {
  const want = fs.readFileSync(src);
  const viaMount = fs.readFileSync(path.join(mpt, rel));
  expect(viaMount.equals(want)).toBe(true);
  expect(deviceBytes(dev, rel).equals(want)).toBe(true);
}

suite('famfs cp', () => {
  beforeEach(() => {
    if (why) throw new Error(`FAMFS_REQUIRE_MOUNT=1 but ${why}`);
    tmp = fs.mkdtempSync(path.join(TMP_BASE, 'famfs-cp-test-'));
  });

  afterEach(() => {
    for (const m of mounted.splice(0)) {
      if (fuseMountsUnder(tmp).includes(m)) famfs(['umount', m]);
    }
    for (const m of fuseMountsUnder(tmp)) {
      try {
        execFileSync('umount', ['-l', m]);
      } catch {
        // already gone
      }
    }
    for (const pid of daemonsFor(tmp)) process.kill(pid, 'SIGKILL');
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('a file to a new name, into a directory, and with relative paths; mode, owner and data are right', () => {
    const { dev, mpt } = newFamfs();
    const a = write(path.join(tmp, 'src', 'a.bin'), randomBytes(5 * MiB + 123), 0o640);
    const b = write(path.join(tmp, 'src', 'b.txt'), 'hello famfs\n', 0o600);

    let r = cp([a, path.join(mpt, 'a-copy.bin')]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('');
    expect(r.code).toBe(0);
    expectCopied(a, mpt, dev, 'a-copy.bin');
    const st = fs.statSync(path.join(mpt, 'a-copy.bin'));
    expect(st.mode & 0o777).toBe(0o640);
    expect(st.uid).toBe(process.getuid!());
    expect(logFile(dev, 'a-copy.bin').mode & 0o777).toBe(0o640);

    expect(famfs(['mkdir', path.join(mpt, 'dir')]).code).toBe(0);
    r = cp([b, path.join(mpt, 'dir')]);
    expect(r.code).toBe(0);
    expectCopied(b, mpt, dev, 'dir/b.txt');
    // A trailing slash on an existing directory is the same directory.
    r = cp(['-m', '0604', a, path.join(mpt, 'dir') + '/']);
    expect(r.code).toBe(0);
    expectCopied(a, mpt, dev, 'dir/a.bin');
    expect(logFile(dev, 'dir/a.bin').mode & 0o777).toBe(0o604 & ~process.umask());

    // Relative paths: from the sources' directory, and from inside the mount.
    r = cp(['a.bin', path.relative(path.join(tmp, 'src'), path.join(mpt, 'rel1.bin'))], { cwd: path.join(tmp, 'src') });
    expect(r.code).toBe(0);
    expectCopied(a, mpt, dev, 'rel1.bin');
    r = cp(['../../src/b.txt', 'b2.txt'], { cwd: path.join(mpt, 'dir') });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expectCopied(b, mpt, dev, 'dir/b2.txt');
    // -u/-g set the owner.
    r = cp(['-u', '1234', '-g', '4321', b, path.join(mpt, 'owned.txt')]);
    expect(r.code).toBe(0);
    expect(fs.statSync(path.join(mpt, 'owned.txt'))).toMatchObject({ uid: 1234, gid: 4321 });

    // -v names each copy; -q silences everything but errors.
    r = cp(['-v', b, path.join(mpt, 'v.txt')]);
    expect(r.stdout).toMatch(/'.*b\.txt' -> '.*\/mnt\/v\.txt'/);
    expect(r.stdout).toMatch(/1 files copied/);
    r = cp(['-q', '-v', b, path.join(mpt, 'q.txt')]);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.code).toBe(0);

    // Into a missing directory, or over a directory: errors.
    r = cp([b, path.join(mpt, 'nodir', 'x')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/does not exist/);
    r = cp([b, path.join(mpt, 'new') + '/']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not a directory/);
    // Not in famfs at all.
    r = cp([b, path.join(tmp, 'elsewhere')]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/not in a mounted famfs/);
    expect(fsckJson(mpt)).toMatchObject({ collisionCount: 0, badEntries: [] });
  });

  test('several sources (a shell wildcard) go into a directory; empty files and directories without -r are skipped and counted', () => {
    const { dev, mpt } = newFamfs();
    const src = path.join(tmp, 'src');
    const names = ['f0', 'f1', 'f2', 'f3'];
    for (const [i, n] of names.entries()) write(path.join(src, n), randomBytes(100 * 1024 * (i + 1)));
    write(path.join(src, 'empty'), '');
    fs.mkdirSync(path.join(src, 'subdir'));
    write(path.join(src, 'subdir', 'inner'), 'x');
    expect(famfs(['mkdir', path.join(mpt, 'dst')]).code).toBe(0);
    const before = entriesUsed(mpt);

    const wildcard = fs
      .readdirSync(src)
      .sort()
      .map((n) => path.join(src, n));
    const r = cp([...wildcard, path.join(mpt, 'dst')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/skipping empty file '.*empty'/);
    expect(r.stderr).toMatch(/-r not specified; omitting directory '.*subdir'/);
    for (const n of names) expectCopied(path.join(src, n), mpt, dev, `dst/${n}`);
    expect(logFile(dev, 'dst/empty')).toBeUndefined();
    expect(lib.replayedDir(readLog(dev), 'dst/subdir')).toBeUndefined();
    expect(entriesUsed(mpt)).toBe(before + names.length);

    // Several sources need an existing directory: a file or a missing path is refused up front.
    let bad = cp([path.join(src, 'f0'), path.join(src, 'f1'), path.join(mpt, 'dst', 'f0')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/is not a directory/);
    bad = cp([path.join(src, 'f0'), path.join(src, 'f1'), path.join(mpt, 'missing')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/does not exist/);
    // A lone directory source without -r is skipped.
    bad = cp([path.join(src, 'subdir'), path.join(mpt, 'dst')]);
    expect(bad.code).toBe(1);
    expect(entriesUsed(mpt)).toBe(before + names.length);
  });

  test('-r of a real source tree: every file matches through the mount and on the device; modes kept; forms SRC, SRC/, SRC/.', () => {
    const { dev, mpt } = newFamfs();
    // A snapshot of the repository's libfamfs sources (other work may change the live tree).
    const tree = path.join(tmp, 'tree');
    fs.cpSync(path.resolve(__dirname, '../../libfamfs/src'), tree, { recursive: true });
    write(path.join(tree, 'shadow', 'script.sh'), '#!/bin/sh\necho hi\n', 0o750);
    fs.chmodSync(path.join(tree, 'format'), 0o750);
    fs.symlinkSync('index.ts', path.join(tree, 'link.ts'));
    const files = filesUnder(tree);
    expect(files.length).toBeGreaterThan(20);

    // DEST missing: it becomes the copy of the tree (relative paths).
    let r = cp(['-r', 'tree', 'mnt/lib'], { cwd: tmp });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning: skipping symlink '.*link\.ts'/);
    for (const f of files) expectCopied(path.join(tree, f), mpt, dev, `lib/${f}`);
    expect(fs.existsSync(path.join(mpt, 'lib', 'link.ts'))).toBe(false);
    expect(fs.statSync(path.join(mpt, 'lib', 'shadow', 'script.sh')).mode & 0o777).toBe(0o750);
    expect(fs.statSync(path.join(mpt, 'lib', 'format')).mode & 0o777).toBe(0o750);
    expect(execFileSync('sh', [path.join(mpt, 'lib', 'shadow', 'script.sh')], { encoding: 'utf8' })).toBe('hi\n');
    expect(filesUnder(path.join(mpt, 'lib')).sort()).toEqual([...files].sort());

    // DEST exists: SRC and SRC/ go to DEST/basename, SRC/. merges the contents into DEST.
    expect(cp(['-r', tree + '/', path.join(mpt, 'lib')]).code).toBe(0);
    for (const f of files) expectCopied(path.join(tree, f), mpt, dev, `lib/tree/${f}`);
    expect(famfs(['mkdir', path.join(mpt, 'merged')]).code).toBe(0);
    expect(cp(['-rq', tree + '/.', path.join(mpt, 'merged')]).code).toBe(0);
    for (const f of files) expectCopied(path.join(tree, f), mpt, dev, `merged/${f}`);
    // Several sources with -r into a missing directory: it is created, each source inside it.
    expect(cp(['-r', path.join(tree, 'format'), path.join(tree, 'index.ts'), path.join(mpt, 'multi')]).code).toBe(0);
    expectCopied(path.join(tree, 'index.ts'), mpt, dev, 'multi/index.ts');
    expectCopied(path.join(tree, 'format', 'crc.ts'), mpt, dev, 'multi/format/crc.ts');

    // A famfs directory copied within famfs (read through the device, not FUSE).
    r = cp(['-r', path.join(mpt, 'lib', 'format'), path.join(mpt, 'format2')]);
    expect(r.code).toBe(0);
    for (const f of filesUnder(path.join(tree, 'format')))
      expectCopied(path.join(tree, 'format', f), mpt, dev, `format2/${f}`);
    // Into itself: refused.
    r = cp(['-r', path.join(mpt, 'lib'), path.join(mpt, 'lib', 'shadow')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/into itself/);

    // -r onto a file, or under a missing parent: refused.
    expect(cp(['-r', tree, path.join(mpt, 'lib', 'index.ts')]).code).toBe(1);
    expect(cp(['-r', tree, path.join(mpt, 'nope', 'deeper')]).code).toBe(1);
    const report = fsckJson(mpt);
    expect(report).toMatchObject({ collisionCount: 0, badEntries: [], treeConflicts: [] });
  });

  test('restart: a same-size famfs file is rewritten in place with no new log entry; a different size fails', () => {
    const { dev, mpt } = newFamfs();
    const a = write(path.join(tmp, 'a.bin'), randomBytes(3 * MiB + 5));
    expect(cp([a, path.join(mpt, 'a.bin')]).code).toBe(0);
    const offset = logFile(dev, 'a.bin').fmap.extents[0].offset;
    const before = entriesUsed(mpt);

    // New content, same size: rewritten where it is.
    write(a, randomBytes(3 * MiB + 5));
    let r = cp(['-v', a, path.join(mpt, 'a.bin')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/rewritten in place/);
    expect(entriesUsed(mpt)).toBe(before);
    expect(logFile(dev, 'a.bin').fmap.extents[0].offset).toBe(offset);
    expectCopied(a, mpt, dev, 'a.bin');

    // A different size: refused, nothing logged, the famfs file untouched.
    const old = deviceBytes(dev, 'a.bin');
    const c = write(path.join(tmp, 'c.bin'), randomBytes(3 * MiB + 6));
    r = cp([c, path.join(mpt, 'a.bin')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot be resized/);
    expect(entriesUsed(mpt)).toBe(before);
    expect(deviceBytes(dev, 'a.bin').equals(old)).toBe(true);

    // A whole tree again: everything rewritten in place, no new entries.
    const tree = path.join(tmp, 'tree');
    for (let i = 0; i < 5; i++) write(path.join(tree, `d${i % 2}`, `f${i}`), randomBytes(1000 + i));
    expect(cp(['-r', tree + '/.', path.join(mpt)]).code).toBe(0);
    const afterTree = entriesUsed(mpt);
    for (let i = 0; i < 5; i++) write(path.join(tree, `d${i % 2}`, `f${i}`), randomBytes(1000 + i));
    r = cp(['-rv', tree + '/.', path.join(mpt)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/0 files copied, 5 rewritten in place, 0 directories created/);
    expect(entriesUsed(mpt)).toBe(afterTree);
    for (let i = 0; i < 5; i++) expectCopied(path.join(tree, `d${i % 2}`, `f${i}`), mpt, dev, `d${i % 2}/f${i}`);
    // The same file as source and destination is refused.
    r = cp([path.join(mpt, 'a.bin'), path.join(mpt, 'a.bin')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/are the same file/);
  });

  test('-c compares instead of copying: exit 0 when equal, 1 on a difference or a missing file', () => {
    const { mpt } = newFamfs();
    const tree = path.join(tmp, 'tree');
    for (let i = 0; i < 4; i++) write(path.join(tree, `f${i}`), randomBytes(200 * 1024 + i));
    expect(cp(['-r', tree, path.join(mpt, 'set')]).code).toBe(0);
    const before = entriesUsed(mpt);

    let r = cp(['-c', '-r', tree + '/.', path.join(mpt, 'set')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    r = cp(['-c', path.join(tree, 'f1'), path.join(mpt, 'set', 'f1')]);
    expect(r.code).toBe(0);

    // Deface one byte of a famfs file through the mount.
    const fd = fs.openSync(path.join(mpt, 'set', 'f2'), 'r+');
    fs.writeSync(fd, Buffer.from([fs.readFileSync(path.join(tree, 'f2'))[150000] ^ 0xff]), 0, 1, 150000);
    fs.closeSync(fd);
    r = cp(['-c', '-r', tree + '/.', path.join(mpt, 'set')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/'.*f2' and '.*set\/f2' differ at byte 150000/);
    expect(r.stderr).not.toMatch(/\/f[013]'/);
    // Missing, or a different size.
    write(path.join(tree, 'f9'), 'new');
    r = cp(['-c', path.join(tree, 'f9'), path.join(mpt, 'set')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/does not exist/);
    r = cp(['-c', path.join(tree, 'f9'), path.join(mpt, 'set', 'f0')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/differ at byte 3 \(sizes 3 and 204800\)/);
    expect(entriesUsed(mpt)).toBe(before);
  });

  test('a copy that does not fit is refused before anything is written; the part that fits copies whole', () => {
    const { dev, mpt } = newFamfs({ size: 4 * GiB });
    const src = path.join(tmp, 'big');
    fs.mkdirSync(src);
    // Five 1 GiB sparse sources with markers at both ends; 4 GiB minus the log holds three.
    const names = ['b1', 'b2', 'b3', 'b4', 'b5'];
    for (const [i, n] of names.entries()) {
      const p = sparse(path.join(src, n), GiB);
      const fd = fs.openSync(p, 'r+');
      fs.writeSync(fd, Buffer.from(`start of ${n}`), 0, undefined, 0);
      fs.writeSync(fd, Buffer.from(`end of ${n} ${i}`), 0, undefined, GiB - 16);
      fs.closeSync(fd);
    }
    const small = write(path.join(src, 'small'), 'after the abort');
    expect(famfs(['mkdir', path.join(mpt, 'd')]).code).toBe(0);
    const before = logBytes(dev);

    const r = cp([...names.map((n) => path.join(src, n)), small, path.join(mpt, 'd')]);
    expect(r.code).toBe(28);
    expect(r.stderr).toMatch(/aborting: .*no contiguous free space.*; nothing was copied/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(logBytes(dev).equals(before)).toBe(true);
    expect([...readLog(dev).files.keys()]).toEqual([]);
    expect(fs.readdirSync(path.join(mpt, 'd'))).toEqual([]);
    // What fits copies whole.
    const again = cp([...names.slice(0, 3).map((n) => path.join(src, n)), small, path.join(mpt, 'd')]);
    expect(again.code).toBe(0);
    for (const n of ['b1', 'b2', 'b3']) {
      expect(logFile(dev, `d/${n}`).size).toBe(GiB);
      expect(deviceBytes(dev, `d/${n}`, 0, 11).toString()).toBe(`start of ${n}`);
      expect(deviceBytes(dev, `d/${n}`, GiB - 16, 9).toString()).toBe(`end of ${n}`);
      expect(fs.statSync(path.join(mpt, 'd', n)).size).toBe(GiB);
    }
    const report = fsckJson(mpt);
    expect(report).toMatchObject({ collisionCount: 0, badEntries: [], files: 4, directories: 1 });
    expect(report.log.entriesUsed).toBe(5);
    expect(famfs(['umount', mpt]).code).toBe(0);
    mounted.length = 0;
    const offline = famfs(['fsck', '--json', dev]);
    expect(offline.code).toBe(0);
    expect(JSON.parse(offline.stdout)).toMatchObject({ collisionCount: 0, badEntries: [] });
  });

  test('a copy needing more log entries than are free is refused whole; one that fits fills the log', () => {
    const { dev, mpt } = newFamfs({
      prepare: (d) => {
        const s = lib.LogSession.open(d, { systemUuid: MASTER });
        try {
          s.mkdir('fill', { mode: 0o755 });
          for (let i = 0; s.freeSlots > 2; i++) s.mkdir(`fill/${i}`, { mode: 0o755 });
        } finally {
          s.close();
        }
      },
    });
    const srcs = [1, 2, 3, 4].map((i) => write(path.join(tmp, 'src', `s${i}`), randomBytes(64 * 1024 * i)));
    const before = logBytes(dev);
    const r = cp([...srcs, mpt]);
    expect(r.code).toBe(12);
    expect(r.stderr).toMatch(/aborting: .*the log has 2 free entries, 3 are needed.*; nothing was copied/);
    expect(logBytes(dev).equals(before)).toBe(true);
    for (const n of ['s1', 's2', 's3', 's4']) expect(logFile(dev, n)).toBeUndefined();
    expect(cp([srcs[0], srcs[1], mpt]).code).toBe(0);
    expectCopied(srcs[0], mpt, dev, 's1');
    expectCopied(srcs[1], mpt, dev, 's2');
    const report = fsckJson(mpt);
    expect(report.log.entriesUsed).toBe(report.log.entriesTotal);
    expect(report).toMatchObject({ collisionCount: 0, badEntries: [] });
    // A recursive copy that needs a directory entry is refused the same way, creating nothing.
    const tree = path.join(tmp, 'tree');
    write(path.join(tree, 'x'), 'x');
    const full = logBytes(dev);
    const r2 = cp(['-r', tree, path.join(mpt, 'newdir')]);
    expect(r2.code).toBe(12);
    expect(logBytes(dev).equals(full)).toBe(true);
    expect(fs.existsSync(path.join(mpt, 'newdir'))).toBe(false);
  });

  test('-r of many small files: batches copy them; files changed after the walk go the careful way and are reported', () => {
    const { dev, mpt } = newFamfs();
    // 'a' holds more than two batches' worth (started by the walk); 'zz' comes last, so its
    // files are batched only when the copy begins, after the walk.
    const tree = path.join(tmp, 'many');
    const want = new Map<string, Buffer>();
    for (let i = 0; i < 150; i++) want.set(`a/f${i}`, randomBytes(1 + ((i * 7919) % 20000)));
    for (let i = 0; i < 8; i++) want.set(`zz/g${i}`, randomBytes(100 + i));
    for (const [rel, data] of want) write(path.join(tree, rel), data);
    const changed = {
      grown: path.join(tree, 'zz/g1'),
      shrunk: path.join(tree, 'zz/g2'),
      gone: path.join(tree, 'zz/g3'),
      symlink: path.join(tree, 'zz/g4'),
    };
    const err: string[] = [];
    const master = FamfsMaster.open(mpt, { systemUuid: MASTER });
    let report: CopyReport;
    try {
      let calls = 0;
      const engine = new CopyEngine(
        master,
        {
          recursive: true,
          compare: false,
          uid: 0,
          gid: 0,
          verbose: false,
          quiet: true,
          // Asked first when the walk is over and before the copy starts its last batches.
          interruptSignal: () => {
            if (calls++ === 0) {
              fs.appendFileSync(changed.grown, 'more');
              fs.truncateSync(changed.shrunk, 10);
              fs.unlinkSync(changed.gone);
              fs.unlinkSync(changed.symlink);
              fs.symlinkSync(path.join(tree, 'zz/g0'), changed.symlink);
            }
            return 0;
          },
        },
        { out: () => undefined, err: (t) => err.push(t) },
        new Progress(undefined),
      );
      report = engine.run([tree], path.join(mpt, 'many'));
    } finally {
      master.close();
    }
    expect(report.aborted).toBeUndefined();
    expect(report.errors).toBe(4);
    // The grown and the shrunk one are logged, holding partial data, and not counted as copied.
    expect(report.filesCopied).toBe(want.size - 4);
    expect(err.join('')).toMatch(/the source grew beyond 101 bytes/);
    expect(err.join('')).toMatch(/the source shrank while it was copied: it ended at 10 of 102 bytes/);
    expect(err.join('')).toMatch(/cannot open '.*zz\/g3'/);
    expect(err.join('')).toMatch(/cannot open '.*zz\/g4'/);
    expect(err).toHaveLength(4);
    for (const [rel, data] of want) {
      const p = path.join(mpt, 'many', rel);
      if (rel === 'zz/g3' || rel === 'zz/g4') expect(fs.existsSync(p)).toBe(false);
      else if (rel === 'zz/g1' || rel === 'zz/g2') expect(fs.statSync(p).size).toBe(data.length);
      else expectCopied(path.join(tree, rel), mpt, dev, `many/${rel}`);
    }
    const fsck = fsckJson(mpt);
    expect(fsck).toMatchObject({ collisionCount: 0, badEntries: [], treeConflicts: [] });
    // Two directories and every file but the two that could not be opened.
    expect(fsck.log.entriesUsed).toBe(2 + 1 + want.size - 2);
  });

  test('a source that is not a regular file or directory refuses the whole copy (no hang on a fifo)', () => {
    const { dev, mpt } = newFamfs();
    const src = path.join(tmp, 'src');
    const a = write(path.join(src, 'a'), 'first');
    const z = write(path.join(src, 'z'), 'last');
    const fifo = path.join(src, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const before = logBytes(dev);
    let r = cp([a, fifo, z, mpt]);
    expect(r.code).toBe(22);
    expect(r.stderr).toMatch(/'.*fifo' is a FIFO.*; nothing was copied/);
    expect(logFile(dev, 'a')).toBeUndefined();
    expect(logFile(dev, 'z')).toBeUndefined();
    // Inside a tree: found by the walk, before the directory or 'a' is created.
    r = cp(['-r', src, path.join(mpt, 'tree')]);
    expect(r.code).toBe(22);
    expect(logBytes(dev).equals(before)).toBe(true);
    expect(fs.existsSync(path.join(mpt, 'tree'))).toBe(false);
    fs.rmSync(fifo);
    expect(cp(['-r', src, path.join(mpt, 'tree')]).code).toBe(0);
    expectCopied(a, mpt, dev, 'tree/a');
    expectCopied(z, mpt, dev, 'tree/z');
    expect(fsckJson(mpt)).toMatchObject({ collisionCount: 0, badEntries: [] });
  });

  test('on a client host cp is refused and the log stays byte-for-byte unchanged', () => {
    const { dev, mpt } = newFamfs({ uuid: OTHER_UUID });
    const a = write(path.join(tmp, 'a'), randomBytes(10000));
    const before = logBytes(dev);
    const r = cp([a, path.join(mpt, 'a')], { uuid: OTHER_UUID });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/famfs cp: .*is not the famfs master/);
    const r2 = cp(['-r', tmp + '/run', path.join(mpt, 'dir')], { uuid: OTHER_UUID });
    expect(r2.code).not.toBe(0);
    expect(logBytes(dev).equals(before)).toBe(true);
  });

  test('interleave flags make interleaved files that read back right; bad values fail with nothing logged', () => {
    const { dev, mpt } = newFamfs();
    const big = write(path.join(tmp, 'big.bin'), randomBytes(21 * MiB + 17));
    let r = cp(['-N', '4', '-B', '8', '-C', '4m', big, path.join(mpt, 'striped.bin')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const entry = logFile(dev, 'striped.bin');
    expect(entry.fmap).toMatchObject({ kind: 'interleaved', nstrips: 4, chunkSize: 4 * MiB });
    expect(entry.fmap.strips).toHaveLength(4);
    expectCopied(big, mpt, dev, 'striped.bin');
    // -N/-B alone: the chunk defaults to 2 MiB.
    r = cp(['-N', '2', '-B', '4', big, path.join(mpt, 'striped2.bin')]);
    expect(r.code).toBe(0);
    expect(logFile(dev, 'striped2.bin').fmap).toMatchObject({ kind: 'interleaved', nstrips: 2, chunkSize: 2 * MiB });
    expectCopied(big, mpt, dev, 'striped2.bin');
    // A file smaller than a chunk is allocated contiguously.
    const small = write(path.join(tmp, 'small.bin'), randomBytes(1000));
    expect(cp(['-N', '4', '-B', '8', small, path.join(mpt, 'small.bin')]).code).toBe(0);
    expect(logFile(dev, 'small.bin').fmap.kind).toBe('simple');

    const before = entriesUsed(mpt);
    for (const bad of [
      ['-N', '4', '-B', '100'],
      ['-N', '4', '-B', '8', '-C', '2000000'],
      ['-N', '4', '-B', '8', '-C', '1m'],
      ['-N', '5', '-B', '4'],
      ['-N', '17', '-B', '8'],
      ['-N', '4', '-B', '16'], // 16 buckets of an 8 GiB device are smaller than 1 GiB
    ]) {
      const b = cp([...bad, big, path.join(mpt, 'bad.bin')]);
      expect({ bad, code: b.code }).toEqual({ bad, code: 22 });
      expect(b.stderr).toMatch(/invalid interleave parameters/);
    }
    expect(entriesUsed(mpt)).toBe(before);
    expect(fsckJson(mpt)).toMatchObject({ collisionCount: 0 });
  });

  test('.meta/.alloc.cfg gives the interleave defaults for new files', () => {
    const { dev, mpt } = newFamfs();
    const cfg = write(
      path.join(tmp, 'alloc.yaml'),
      '---\ninterleaved_alloc:\n  nbuckets: 8\n  nstrips: 3\n  chunk_size: 2m\n...\n',
    );
    expect(cp([cfg, path.join(mpt, '.meta', '.alloc.cfg')]).code).toBe(0);
    const big = write(path.join(tmp, 'big.bin'), randomBytes(13 * MiB));
    expect(cp([big, path.join(mpt, 'big.bin')]).code).toBe(0);
    expect(logFile(dev, 'big.bin').fmap).toMatchObject({ kind: 'interleaved', nstrips: 3, chunkSize: 2 * MiB });
    expectCopied(big, mpt, dev, 'big.bin');
    // famfs metadata files are never overwritten.
    const r = cp([cfg, path.join(mpt, '.meta', '.log')]);
    expect(r.code).toBe(1);
  });

  test('progress: drawn on a terminal (and erased), never when stderr is not a TTY', () => {
    const { mpt } = newFamfs();
    const big = sparse(path.join(tmp, 'big.bin'), 256 * MiB);
    // Not a TTY: nothing on stderr.
    const r = cp([big, path.join(mpt, 'p1.bin')], { env: { FAMFS_PROGRESS_DELAY_MS: '0' } });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    // A pseudo-terminal (script(1)): the bar appears at once with a zero delay, then is erased.
    const cmd = [process.execPath, FAMFS_BIN, 'cp', big, path.join(mpt, 'p2.bin')].map((s) => `'${s}'`).join(' ');
    const t = spawnSync('script', ['-qefc', cmd, '/dev/null'], {
      encoding: 'utf8',
      cwd: tmp,
      env: { ...process.env, ...env(C_MASTER_UUID), FAMFS_PROGRESS_DELAY_MS: '0', COLUMNS: '120' },
    });
    expect(t.status).toBe(0);
    expect(t.stdout).toMatch(/famfs cp .*\d+%.*MiB\/256 MiB +0\/1 files/);
    // eslint-disable-next-line no-control-regex -- the progress bar ends by erasing its line (ESC [ K)
    expect(t.stdout).toMatch(/\r\x1b\[K$/);
    // -q: no bar even on a terminal.
    const q = spawnSync(
      'script',
      ['-qefc', cmd.replace("'cp'", "'cp' '-q'").replace('p2.bin', 'p3.bin'), '/dev/null'],
      {
        encoding: 'utf8',
        cwd: tmp,
        env: { ...process.env, ...env(C_MASTER_UUID), FAMFS_PROGRESS_DELAY_MS: '0' },
      },
    );
    expect(q.status).toBe(0);
    expect(q.stdout).toBe('');
  });
});

describe('cp helpers (no mount)', () => {
  test('source name forms', () => {
    expect(isContentsForm('a/.')).toBe(true);
    expect(isContentsForm('.')).toBe(true);
    expect(isContentsForm('a/./')).toBe(true);
    expect(isContentsForm('a/')).toBe(false);
    expect(isContentsForm('a/..')).toBe(false);
    expect(sourceBasename('a/b/')).toBe('b');
    expect(sourceBasename('a/b//')).toBe('b');
    expect(sourceBasename('b')).toBe('b');
  });

  test('progress line: bar, percentage, counts, rate and ETA within the width', () => {
    const line = formatProgress({ bytes: 512 * MiB, files: 3, totalBytes: GiB, totalFiles: 10, elapsed: 2 }, 100);
    expect(line).toMatch(/^famfs cp \[=+> *\]  50%  512 MiB\/1.00 GiB  3\/10 files  256 MiB\/s  2 files\/s  ETA 0:02$/);
    expect(line.length).toBeLessThanOrEqual(99);
    const narrow = formatProgress({ bytes: 512 * MiB, files: 3, totalBytes: GiB, totalFiles: 10, elapsed: 2 }, 40);
    expect(narrow.length).toBeLessThanOrEqual(39);
    const unknown = formatProgress(
      { bytes: 5 * MiB, files: 1, elapsed: 1, current: { name: 'big', done: 5 * MiB, size: 20 * MiB } },
      120,
    );
    expect(unknown).toBe('famfs cp 5.00 MiB  1 files  5.00 MiB/s  1 files/s  big 25%');
  });

  test('progress is silent before the delay, throttled, and erased', () => {
    let now = 0;
    const out: string[] = [];
    const p = new Progress(
      { write: (t) => out.push(t), columns: () => 80 },
      { delayMs: 500, intervalMs: 100, now: () => now },
    );
    p.addBytes(10);
    now = 400;
    p.addBytes(10);
    expect(out).toEqual([]);
    now = 600;
    p.addBytes(10);
    now = 650;
    p.addBytes(10);
    expect(out).toHaveLength(1);
    now = 750;
    p.fileDone();
    expect(out).toHaveLength(2);
    p.clear();
    expect(out[2]).toBe('\r\x1b[K');
    const silent = new Progress(undefined);
    silent.addBytes(1);
    silent.clear();
    expect(silent.enabled).toBe(false);
  });
});
