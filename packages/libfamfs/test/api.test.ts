/**
 * The public API as a tool outside famfs-ts uses it: the package root only (`@famfs/libfamfs`),
 * the snapshot facade (readFamfs, readMountedFamfs), and the example program of
 * docs/examples/ run as a separate process against the built package, in JavaScript and in
 * TypeScript (type-checked against the published declarations).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import {
  FamfsError,
  FileEntry,
  fmapExtents,
  isFamfsError,
  LogSession,
  mkfs,
  MiB,
  readFamfs,
  readMountedFamfs,
  SnapshotFile,
  uuidToText,
} from '@famfs/libfamfs';
import { MASTER, OTHER, sparseDevice, useTempDir, writeBytes } from './support';

const REPO = path.resolve(__dirname, '../../..');
const LIB = path.join(REPO, 'packages/libfamfs');
const EXAMPLES = path.join(REPO, 'docs/examples');
const TSC = path.join(REPO, 'node_modules/typescript/bin/tsc');
const FAMFS_BIN = path.join(REPO, 'packages/famfs-cli/bin/famfs.js');

/** The example runs against dist/: build it when it is missing or older than a source file. */
function ensureBuilt(): void {
  const out = path.join(LIB, 'dist/index.js');
  const newest = (dir: string): number =>
    Math.max(
      ...fs
        .readdirSync(dir, { withFileTypes: true })
        .map((d) => (d.isDirectory() ? newest(path.join(dir, d.name)) : fs.statSync(path.join(dir, d.name)).mtimeMs)),
    );
  const stale =
    !fs.existsSync(out) ||
    fs.statSync(out).mtimeMs < newest(path.join(LIB, 'src')) ||
    !/readFamfs/.test(fs.readFileSync(out, 'utf8'));
  // tsc emits even when another package's work in progress has type errors; what matters here is
  // that dist/ has the facade.
  if (stale) spawnSync(process.execPath, [TSC, '-p', path.join(LIB, 'tsconfig.json')], { stdio: 'pipe' });
  if (!/readFamfs/.test(fs.readFileSync(out, 'utf8')))
    throw new Error(`${out} lacks readFamfs: build packages/libfamfs`);
}

interface Built {
  dev: string;
  files: FileEntry[];
  dirs: string[];
  fsUuid: Buffer;
}

/** An 8 GiB sparse device made and populated with the public API only. */
function buildDevice(dir: string): Built {
  const dev = sparseDevice(dir);
  const res = mkfs(dev, { systemUuid: MASTER });
  if (res.action !== 'created') throw new Error('mkfs did not create');
  const s = LogSession.open(dev, { systemUuid: MASTER });
  const files: FileEntry[] = [];
  try {
    s.mkdir('data');
    s.mkdir('data/deep', { mode: 0o750, uid: 1000, gid: 1000 });
    files.push(s.createFile('data/small', 1 * MiB));
    files.push(s.createFile('data/deep/odd', 5 * MiB + 3, { mode: 0o600, uid: 1000, gid: 100 }));
    files.push(s.createFile('striped', 16 * MiB, { interleave: { nbuckets: 4, nstrips: 2, chunkSize: 2 * MiB } }));
    files.push(s.createFile('top', 4096));
  } finally {
    s.close();
  }
  return { dev, files, dirs: ['data', 'data/deep'], fsUuid: res.superblock.uuid };
}

function runExample(args: string[], script = path.join(EXAMPLES, 'print-tree.js')) {
  const r = spawnSync(process.execPath, [script, ...args], {
    encoding: 'utf8',
    cwd: REPO,
    env: { ...process.env, FAMFS_SYSTEM_UUID: uuidToText(MASTER) },
  });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The lines print-tree prints for one file: its name with size, then one line per extent or strip. */
function expectFileShown(stdout: string, f: { path: string; size: number; fmap: FileEntry['fmap'] }): void {
  const name = path.posix.basename(f.path);
  expect(stdout).toMatch(new RegExp(`[─ ]${name.replace(/\./g, '\\.')}  ${f.size} bytes `));
  const word = f.fmap.kind === 'simple' ? 'extent' : 'strip';
  fmapExtents(f.fmap).forEach((e, i) => {
    expect(stdout).toContain(`${word} ${i}: offset 0x${e.offset.toString(16)} length 0x${e.len.toString(16)}`);
  });
}

beforeAll(ensureBuilt, 180000);

describe('readFamfs', () => {
  const tmp = useTempDir();

  test('returns the superblock, log header, files with fmaps and directories the library created', () => {
    const b = buildDevice(tmp());
    const snap = readFamfs(b.dev, { systemUuid: MASTER });
    expect(snap.device).toBe(b.dev);
    expect(snap.deviceKind).toBe('file');
    expect(snap.deviceSize).toBe(8 * 1024 ** 3);
    expect(snap.role).toBe('master');
    expect(snap.superblock).toMatchObject({
      version: 48,
      fsUuid: uuidToText(b.fsUuid),
      systemUuid: uuidToText(MASTER),
      logOffset: 2 * MiB,
      logLen: 8 * MiB,
      allocUnit: 2 * MiB,
      daxdevSize: 8 * 1024 ** 3,
    });
    expect(snap.superblock.fsUuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(snap.logHeader).toMatchObject({ nextIndex: 6, nextSeqnum: 6, lastIndex: 15419 });
    expect(snap.logBytesInUse).toBe(48 + 6 * 544);
    expect(snap.entries).toHaveLength(6);
    expect(snap.directories).toEqual([
      { path: 'data', mode: 0o755, uid: 0, gid: 0, logIndex: 0 },
      { path: 'data/deep', mode: 0o750, uid: 1000, gid: 1000, logIndex: 1 },
    ]);
    expect(snap.files.map((f) => f.path)).toEqual(b.files.map((f) => f.path));
    snap.files.forEach((f: SnapshotFile, i) => {
      const want = b.files[i];
      expect(f).toEqual({
        path: want.path,
        size: want.size,
        mode: want.mode,
        uid: want.uid,
        gid: want.gid,
        flags: 2,
        fmap: want.fmap,
        logIndex: i + 2,
      });
    });
    const striped = snap.files.find((f) => f.path === 'striped')!;
    expect(striped.fmap).toMatchObject({ kind: 'interleaved', nstrips: 2, chunkSize: 2 * MiB });
    expect(snap.badEntries).toEqual([]);
    expect(snap.treeConflicts).toEqual([]);
  });

  test('the role follows the system UUID; the snapshot outlives the device mapping', () => {
    const b = buildDevice(tmp());
    const snap = readFamfs(b.dev, { systemUuid: OTHER });
    expect(snap.role).toBe('client');
    // Plain data: it can be serialized and compared after the device is gone.
    fs.rmSync(b.dev);
    expect(JSON.parse(JSON.stringify(snap.files))).toEqual(snap.files);
  });

  test('a damaged entry is reported, not thrown, and the rest of the tree is still read', () => {
    const b = buildDevice(tmp());
    // Flip a byte in the body of slot 3 (data/deep/odd): its CRC no longer matches.
    writeBytes(b.dev, 2 * MiB + 48 + 3 * 544 + 100, Buffer.from([0xff]));
    const snap = readFamfs(b.dev, { systemUuid: MASTER });
    expect(snap.badEntries).toHaveLength(1);
    expect(snap.badEntries[0]).toMatchObject({ index: 3, torn: false });
    expect(snap.badEntries[0].reason).toMatch(/CRC mismatch/);
    expect(snap.entries[3]).toBeUndefined();
    expect(snap.files.map((f) => f.path)).toEqual(['data/small', 'striped', 'top']);
  });

  test('typed errors: no device, no superblock', () => {
    const dir = tmp();
    expect(() => readFamfs(path.join(dir, 'missing.img'))).toThrow(FamfsError);
    try {
      readFamfs(path.join(dir, 'missing.img'));
    } catch (e) {
      expect(isFamfsError(e, 'ENOENT')).toBe(true);
    }
    const blank = sparseDevice(dir, 8 * 1024 ** 3, 'blank.img');
    expect(() => readFamfs(blank)).toThrow(expect.objectContaining({ code: 'EBADSUPER' }));
  });

  test('never creates the system UUID file', () => {
    const b = buildDevice(tmp());
    const before = fs.existsSync('/opt/famfs/system_uuid');
    const saved = process.env.FAMFS_SYSTEM_UUID;
    delete process.env.FAMFS_SYSTEM_UUID;
    try {
      const snap = readFamfs(b.dev);
      expect(['master', 'client']).toContain(snap.role);
    } finally {
      if (saved !== undefined) process.env.FAMFS_SYSTEM_UUID = saved;
    }
    expect(fs.existsSync('/opt/famfs/system_uuid')).toBe(before);
  });
});

describe('readMountedFamfs', () => {
  const tmp = useTempDir();

  test('a path outside any famfs mount is ENOENT', () => {
    expect(() => readMountedFamfs(tmp())).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });

  const canMount =
    process.getuid?.() === 0 &&
    fs.existsSync('/dev/fuse') &&
    fs.existsSync(path.join(REPO, 'packages/famfs-cli/dist/main.js'));
  (canMount ? test : test.skip)('reads the device of a famfs mounted with famfs mount, with the mount info', () => {
    const dir = tmp();
    const b = buildDevice(dir);
    const mpt = path.join(dir, 'mnt');
    fs.mkdirSync(mpt);
    const env = { ...process.env, FAMFS_SYSTEM_UUID: uuidToText(OTHER), FAMFS_RUN_DIR: path.join(dir, 'run') };
    const famfs = (...args: string[]) => spawnSync(process.execPath, [FAMFS_BIN, ...args], { encoding: 'utf8', env });
    const m = famfs('mount', b.dev, mpt);
    expect(m.stderr).toBe('');
    expect(m.status).toBe(0);
    const savedRun = process.env.FAMFS_RUN_DIR;
    process.env.FAMFS_RUN_DIR = env.FAMFS_RUN_DIR;
    try {
      const snap = readMountedFamfs(path.join(mpt, 'data', 'small'));
      expect(snap.relpath).toBe('data/small');
      expect(snap.mount).toMatchObject({
        mountpoint: fs.realpathSync(mpt),
        device: fs.realpathSync(b.dev),
        abi: 'auto',
        mountedBy: uuidToText(OTHER),
      });
      expect(snap.mount.fstype).toMatch(/^fuse/);
      expect(snap.mount.shadow).toBeTruthy();
      // Mounted by the client "host" (OTHER), whatever this process's identity.
      expect(snap.role).toBe('client');
      expect(snap.files.map((f) => f.path)).toEqual(b.files.map((f) => f.path));
      expect(readMountedFamfs(mpt, { systemUuid: MASTER }).role).toBe('master');

      const r = runExample(['--mount', mpt]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`mounted at ${fs.realpathSync(mpt)}`);
      for (const f of b.files) expectFileShown(r.stdout, f);
    } finally {
      if (savedRun === undefined) delete process.env.FAMFS_RUN_DIR;
      else process.env.FAMFS_RUN_DIR = savedRun;
      const u = famfs('umount', mpt);
      if (u.status !== 0) spawnSync('umount', ['-l', mpt]);
    }
    expect(fs.readFileSync('/proc/mounts', 'utf8')).not.toContain(` ${fs.realpathSync(mpt)} `);
  });
});

describe('docs/examples/print-tree', () => {
  const tmp = useTempDir();

  test('print-tree.js names every file with its size and extents, and every directory', () => {
    const b = buildDevice(tmp());
    const r = runExample([b.dev]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`famfs on ${b.dev} (file, 8 GiB)`);
    expect(r.stdout).toContain('this host is master');
    expect(r.stdout).toContain('6 of 15420 entries in use');
    for (const f of b.files) expectFileShown(r.stdout, f);
    expect(r.stdout).toContain('interleaved: 2 strips, chunk 2 MiB');
    expect(r.stdout).toMatch(/── data\/  0755 0:0/);
    expect(r.stdout).toMatch(/── deep\/  0750 1000:1000/);
    expect(r.stdout).toContain('4 files, 2 directories, 0 bad entries, 0 tree conflicts');
  });

  test('print-tree.js: usage and a device with no famfs', () => {
    expect(runExample([]).code).toBe(2);
    const blank = sparseDevice(tmp(), 8 * 1024 ** 3, 'blank.img');
    const r = runExample([blank]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no valid famfs superblock.*\(EBADSUPER\)/);
  });

  test('print-tree.ts type-checks against the published declarations (node16 and node10 resolution)', () => {
    const cfg = path.join(EXAMPLES, 'tsconfig.json');
    for (const extra of [[], ['--module', 'commonjs', '--moduleResolution', 'node']]) {
      const r = spawnSync(process.execPath, [TSC, '-p', cfg, '--noEmit', ...extra], { encoding: 'utf8', cwd: REPO });
      expect(r.stdout + r.stderr).toBe('');
      expect(r.status).toBe(0);
    }
  });

  test('print-tree.ts, compiled, prints exactly what print-tree.js prints', () => {
    const b = buildDevice(tmp());
    const out = fs.mkdtempSync(path.join(EXAMPLES, '.build-'));
    try {
      const r = spawnSync(process.execPath, [TSC, '-p', path.join(EXAMPLES, 'tsconfig.json'), '--outDir', out], {
        encoding: 'utf8',
        cwd: REPO,
      });
      expect(r.stdout + r.stderr).toBe('');
      const ts = runExample([b.dev], path.join(out, 'print-tree.js'));
      expect(ts.code).toBe(0);
      expect(ts.stdout).toBe(runExample([b.dev]).stdout);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  test('a CommonJS consumer sees the facade at the package root and nothing internal', () => {
    const r = spawnSync(
      process.execPath,
      [
        '-e',
        "const l = require('@famfs/libfamfs'); console.log(JSON.stringify([typeof l.readFamfs, typeof l.readMountedFamfs, typeof l.mkfs, typeof l.Device, typeof l.replayLog]))",
      ],
      { encoding: 'utf8', cwd: REPO },
    );
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual(['function', 'function', 'function', 'undefined', 'undefined']);
  });
});
