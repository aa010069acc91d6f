/**
 * The famfs v1 ioctls on a real mount, issued with ioctl(2) as the C `famfs getmap` and `famfs
 * check` issue them: NOP, MAP_GET, MAP_GETEXT and MAP_GET_V2 on simple, interleaved and .meta
 * files return each file's map in the C layout; directories, unknown commands and a bad pointer
 * are refused and the daemon keeps serving. The daemon runs with -d, and its log shows what the
 * kernel sent (flags, in_size, out_size), which the tests pin down.
 *
 * Needs root and /dev/fuse; otherwise skipped with a printed reason (FAMFS_REQUIRE_MOUNT=1 makes
 * that a failure). Every test unmounts in finally and stops only the daemon it started, by PID.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as native from '@famfs/native';
import { parseShadowYaml } from '@famfs/libfamfs/shadow';
import type { FileEntry } from '@famfs/libfamfs/format';
import {
  FamfsIoc,
  FamfsIocGetFmapInterleaved,
  FamfsIocGetFmapSimple,
  FamfsIocMap,
  FamfsIocSimpleExtent,
  FamfsExtent,
} from '../src/famfs/ioctl-abi';
import { cleanupTempDirs } from './helpers';
import { cleanup, Daemon, makeWorld, mountUnavailable, startDaemon, waitFor, World } from './mount-world';

afterAll(cleanupTempDirs);

const reason = mountUnavailable();
const required = process.env.FAMFS_REQUIRE_MOUNT === '1';
if (reason && !required) console.log(`famfs-ioctl-mount.test.ts skipped: ${reason}`);
const maybe = reason && !required ? describe.skip : describe;

/** FS_IOC_GETFLAGS = _IOR('f', 1, long): what lsattr asks. */
const FS_IOC_GETFLAGS = 0x80086601;
const TCGETS = 0x5401;
const SIMPLE = ['a/f1', 'top', 'a/b/deep', '.meta/.superblock', '.meta/.log'];

/** The map each file should report: the logged entry, or the shadow YAML for the .meta files. */
function expectedEntry(w: World, p: string): FileEntry {
  return w.entries[p] ?? parseShadowYaml(fs.readFileSync(path.join(w.shadow, 'root', p)), p);
}
const fileType = (p: string): number => (p === '.meta/.superblock' ? 1 : p === '.meta/.log' ? 2 : 0);

/** ioctl(2) on a fresh descriptor of `p`; returns the result or the error code. */
function onFile<T>(p: string, fn: (fd: number) => T): T {
  const fd = fs.openSync(p, 'r');
  try {
    return fn(fd);
  } finally {
    fs.closeSync(fd);
  }
}
function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (native.isNativeError(e)) return e.code;
    throw e;
  }
  return 'ok';
}

/** Checks MAP_GET, MAP_GETEXT and MAP_GET_V2 of one file against its entry. */
function checkMaps(fd: number, p: string, e: FileEntry): void {
  expect({ p, nop: native.ioctl(fd, FamfsIoc.NOP) }).toEqual({ p, nop: 0 });
  // Buffers start as 0xaa so that any byte the daemon did not send shows.
  const m = Buffer.alloc(FamfsIocMap.size, 0xaa);
  expect(native.ioctl(fd, FamfsIoc.MAP_GET, m)).toBe(0);
  const v2 = Buffer.alloc(FamfsIocGetFmapSimple.size, 0xaa);
  expect(native.ioctl(fd, FamfsIoc.MAP_GET_V2, v2)).toBe(0);
  const f = e.fmap;
  const head = { fiocFileSize: e.size, fiocFileType: fileType(p), kse: 0 };
  if (f.kind === 'simple') {
    const n = f.extents.length;
    expect({ p, ...FamfsIocMap.decode(m), extList: undefined }).toEqual({
      p,
      extentType: 0,
      fileType: fileType(p),
      fileSize: e.size,
      extListCount: n,
      extList: undefined,
    });
    expect(FamfsExtent.decodeArray(m, 24, n)).toEqual(f.extents.map((x) => ({ offset: x.offset, len: x.len })));
    const ext = Buffer.alloc(FamfsExtent.size, 0xaa);
    expect(native.ioctl(fd, FamfsIoc.MAP_GETEXT, ext)).toBe(0);
    expect(FamfsExtent.decode(ext)).toEqual({ offset: f.extents[0].offset, len: f.extents[0].len });

    expect(FamfsIocGetFmapSimple.decode(v2).iocmap).toEqual({ ...head, fiocExtType: 0, fiocNextents: n });
    const got = FamfsIocSimpleExtent.decodeArray(v2, 32, n);
    expect(got).toEqual(f.extents.map((x) => ({ devindex: x.devIndex, offset: x.offset, len: x.len })));
    expect(v2.subarray(32 + n * FamfsIocSimpleExtent.size).every((b) => b === 0)).toBe(true);
  } else {
    const ns = f.strips.length;
    expect(FamfsIocMap.decode(m)).toMatchObject({ extentType: 1, fileType: 0, fileSize: e.size, extListCount: 1 });
    expect(m.subarray(24).every((b) => b === 0)).toBe(true);
    expect(code(() => native.ioctl(fd, FamfsIoc.MAP_GETEXT, Buffer.alloc(FamfsExtent.size)))).toBe('EINVAL');

    const v = FamfsIocGetFmapInterleaved.decode(v2);
    expect(v.iocmap).toEqual({ ...head, fiocExtType: 1, fiocNextents: 1 });
    expect(v.ikie).toEqual({ ieNstrips: ns, ieChunkSize: f.chunkSize, ieNbytes: e.size, ieStrips: 0 });
    const strips = FamfsIocSimpleExtent.decodeArray(v2, 64, ns);
    expect(strips).toEqual(f.strips.map((x) => ({ devindex: x.devIndex, offset: x.offset, len: x.len })));
    expect(v2.subarray(64 + ns * FamfsIocSimpleExtent.size).every((b) => b === 0)).toBe(true);
  }
}

/** Mounts a fresh world with -d and `opts`, runs `body`, shows the daemon's log on failure, cleans up. */
async function withMount(opts: string, body: (w: World, d: Daemon) => Promise<void>): Promise<void> {
  const w = makeWorld();
  let d: Daemon | null = null;
  try {
    d = startDaemon(['-f', '-d', '-o', `shadow=${w.shadow},daxdev=${w.dev}${opts}`, w.mnt]);
    const started = d;
    await waitFor(
      'the mount',
      () => fs.existsSync(path.join(w.shadow, 'famfs_fused.pid')) || started.child.exitCode !== null,
    );
    expect(d.child.exitCode).toBeNull();
    await body(w, d);
  } catch (e) {
    if (d) console.log(`daemon output:\n${d.stderr()}`);
    throw e;
  } finally {
    await cleanup(w, d);
  }
}

/** Waits until the daemon has logged `re` (its log reaches stderr through its main thread). */
async function logged(d: Daemon, re: RegExp): Promise<void> {
  await waitFor(`the daemon to log ${re}`, () => re.test(d.stderr()), 5000);
}

maybe('famfs v1 ioctls on a real mount', () => {
  beforeAll(() => {
    if (reason) throw new Error(`FAMFS_REQUIRE_MOUNT=1 but ${reason}`);
  });

  test('NOP, MAP_GET, MAP_GETEXT, MAP_GET_V2 on simple, interleaved and .meta files return their maps', () =>
    withMount('', async (w, d) => {
      for (const p of [...SIMPLE, 'striped']) {
        onFile(path.join(w.mnt, p), (fd) => checkMaps(fd, p, expectedEntry(w, p)));
      }

      // What the kernel sent: the restricted protocol, sizes from _IOC_SIZE/_IOC_DIR of the command.
      await logged(d, /ioctl 0x81c07555 on \/striped /);
      const err = d.stderr();
      expect(err).toMatch(/ioctl 0x7553 on \/a\/f1 fh \d+ flags 0x0 in 0 out 0\n/);
      expect(err).toMatch(/ioctl 0x80387551 on \/a\/f1 fh \d+ flags 0x0 in 0 out 56\n/);
      expect(err).toMatch(/ioctl 0x80107552 on \/a\/f1 fh \d+ flags 0x0 in 0 out 16\n/);
      expect(err).toMatch(/ioctl 0x81c07555 on \/\.meta\/\.log fh \d+ flags 0x0 in 0 out 448\n/);
      // The files were opened with FOPEN_DIRECT_IO (the default stock data path).
      expect(err).toMatch(/open a\/f1 flags 0o\d+ -> fh \d+ open_flags 0x41\n/);
    }));

  test('directories, unknown commands, a bad pointer and lsattr are refused; the daemon keeps serving', () =>
    withMount('', async (w, d) => {
      const top = path.join(w.mnt, 'top');
      const dir = path.join(w.mnt, 'a');
      // A directory: the kernel sends FUSE_IOCTL with FUSE_IOCTL_DIR (0x10); not a famfs file.
      expect(onFile(dir, (fd) => code(() => native.ioctl(fd, FamfsIoc.NOP)))).toBe('ENOTTY');
      expect(onFile(w.mnt, (fd) => code(() => native.ioctl(fd, FamfsIoc.MAP_GET, Buffer.alloc(56))))).toBe('ENOTTY');
      onFile(top, (fd) => {
        expect(code(() => native.ioctl(fd, FamfsIoc.MAP_CREATE, Buffer.alloc(56)))).toBe('ENOTTY');
        expect(code(() => native.ioctl(fd, FamfsIoc.MAP_CREATE_V2, Buffer.alloc(32)))).toBe('ENOTTY');
        expect(code(() => native.ioctl(fd, TCGETS, Buffer.alloc(64)))).toBe('ENOTTY');
        // _IOR('u', 0x51, 48): MAP_GET's number with another size is another command.
        expect(code(() => native.ioctl(fd, 0x80307551, Buffer.alloc(48)))).toBe('ENOTTY');
        // NULL for the struct: the daemon answers, the kernel's copy to the caller faults.
        expect(code(() => native.ioctl(fd, FamfsIoc.MAP_GET_V2, 0))).toBe('EFAULT');
        expect(code(() => native.ioctl(fd, FS_IOC_GETFLAGS, Buffer.alloc(8)))).toBe('ENOTTY');
        expect(native.ioctl(fd, FamfsIoc.NOP)).toBe(0);
      });
      await logged(d, /ioctl 0x80086601 on \/top /);
      const err = d.stderr();
      expect(err).toMatch(/ioctl 0x7553 on \/a fh \d+ flags 0x10 in 0 out 0\n/);
      expect(err).toMatch(/ioctl 0x40387550 on \/top fh \d+ flags 0x0 in 56 out 0\n/);
      expect(err).toMatch(/ioctl 0x5401 on \/top fh \d+ flags 0x0 in 0 out 0\n/);
      expect(err).toMatch(/ioctl 0x81c07555 on \/top fh \d+ flags 0x0 in 0 out 448\n/);
      // The fileattr path (lsattr) sends the kernel's own 4-byte buffer, not _IOC_SIZE (8).
      expect(err).toMatch(/ioctl 0x80086601 on \/top fh \d+ flags 0x0 in 0 out 4\n/);

      // Still serving, and still right.
      expect(fs.readFileSync(top).equals(w.content['top'])).toBe(true);
      onFile(path.join(w.mnt, 'striped'), (fd) => checkMaps(fd, 'striped', expectedEntry(w, 'striped')));
      expect(d.child.exitCode).toBeNull();
    }));

  test('files opened without FOPEN_DIRECT_IO (cached I/O) get the same answers', () =>
    withMount(',no_direct_io', async (w, d) => {
      for (const p of ['top', 'striped', '.meta/.log']) {
        onFile(path.join(w.mnt, p), (fd) => checkMaps(fd, p, expectedEntry(w, p)));
      }
      await logged(d, /ioctl 0x81c07555 on \/\.meta\/\.log /);
      expect(d.stderr()).toMatch(/open top flags 0o\d+ -> fh \d+ open_flags 0x0\n/);
    }));
});
