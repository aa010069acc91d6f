/**
 * The famfs file system driven through a Session over a QueueTransport (no mount): a device made
 * with libfamfs (mkfs, files and directories logged, one interleaved file appended raw), replayed
 * into a shadow tree, then served request by request.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as native from '@famfs/native';
import { LogSession, mkfs } from '@famfs/libfamfs/log';
import { emitShadowYaml, logplayDevice } from '@famfs/libfamfs/shadow';
import type { FileEntry } from '@famfs/libfamfs/format';
import * as abi from '@famfs/fuse';
import { Opcode } from '@famfs/fuse';
import { Errno } from '@famfs/fuse';
import { v10 } from '@famfs/fuse';
import { FamfsFileSystem, FamfsFsOptions } from '../src/famfs/famfs-fs';
import { encodeFmapReply } from '../src/famfs/fmap-reply';
import { patternBytes } from '@famfs/fuse/testing';
import { cleanupTempDirs, cstr, msg, readDevice, readMsg, STOCK_OFFER, tempDir, writeDevice } from './helpers';
import { sessionHarness } from './session-harness';

afterAll(cleanupTempDirs);

const MiB = 1 << 20;
const GiB = 1 << 30;
const MASTER = Buffer.from('303132333435363738393a3b3c3d3e3f', 'hex');

interface World {
  dir: string;
  dev: string;
  shadow: string;
  files: Record<string, FileEntry>;
}

/** mkfs an 8 GiB sparse device, log a small tree, logplay it into <dir>/shadow. */
function makeWorld(): World {
  const dir = tempDir('famfs-fs-');
  const dev = path.join(dir, 'dev.img');
  fs.writeFileSync(dev, '');
  fs.truncateSync(dev, 8 * GiB);
  mkfs(dev, { systemUuid: MASTER });
  const s = LogSession.open(dev, { systemUuid: MASTER });
  const files: Record<string, FileEntry> = {};
  try {
    s.mkdir('a', { mode: 0o750, uid: 1000, gid: 1000 });
    s.mkdir('a/b');
    files['a/f1'] = s.createFile('a/f1', MiB, { mode: 0o640, uid: 1000, gid: 1001 });
    files['top'] = s.createFile('top', 3_000_000);
    files['a/b/big'] = s.createFile('a/b/big', 5 * MiB + 7);
    const striped: FileEntry = {
      type: 'file',
      path: 'striped',
      size: 7 * MiB,
      flags: 2,
      mode: 0o644,
      uid: 0,
      gid: 0,
      fmap: {
        kind: 'interleaved',
        nstrips: 2,
        chunkSize: 2 * MiB,
        strips: [
          { devIndex: 0, offset: 5 * GiB, len: 4 * MiB },
          { devIndex: 0, offset: 4 * GiB, len: 4 * MiB },
        ],
      },
    };
    s.appendRaw(striped);
    files['striped'] = striped;
  } finally {
    s.close();
  }
  const shadow = path.join(dir, 'shadow');
  fs.mkdirSync(shadow);
  const r = logplayDevice(dev, shadow, { systemUuid: MASTER });
  expect(r.problems).toEqual([]);
  return { dir, dev, shadow, files };
}

const opened: FamfsFileSystem[] = [];
afterEach(() => {
  for (const f of opened.splice(0)) f.close();
});

function setup(w: World, extra: Partial<FamfsFsOptions> = {}, offer: bigint = STOCK_OFFER) {
  const logs: string[] = [];
  const fsys = new FamfsFileSystem({
    shadow: w.shadow,
    daxdev: w.dev,
    systemUuid: MASTER,
    log: (m) => logs.push(m),
    ...extra,
  });
  opened.push(fsys);
  const h = sessionHarness(fsys, offer);
  const { one, u } = h;
  const open = (nodeid: number, flags = 0) =>
    one(msg(Opcode.OPEN, u(), nodeid, abi.OpenIn.encode({ flags, openFlags: 0 })));
  const read = (nodeid: number, offset: number, size: number, fh = 0) =>
    one(readMsg(Opcode.READ, u(), nodeid, offset, size, fh));
  const write = (nodeid: number, offset: number, data: Buffer, fh = 0) =>
    one(
      msg(
        Opcode.WRITE,
        u(),
        nodeid,
        Buffer.concat([
          abi.WriteIn.encode({ fh, offset, size: data.length, writeFlags: 0, lockOwner: 0n, flags: 0, padding: 0 }),
          data,
        ]),
      ),
    );
  const lk = (op: number, nodeid: number, owner: bigint, type: number) =>
    one(
      msg(
        op,
        u(),
        nodeid,
        abi.LkIn.encode({
          fh: 0,
          owner,
          lk: { start: 0n, end: 0x7fffffffffffffffn, type, pid: 1 },
          lkFlags: abi.FUSE_LK_FLOCK,
          padding: 0,
        }),
      ),
    );
  return { ...h, fsys, logs, open, read, write, lk };
}

describe('famfs file system over a session', () => {
  let w: World;
  beforeAll(() => {
    w = makeWorld();
  });

  test('INIT on a stock kernel: flock locks, readdirplus, direct-io mmap; no famfs bit', () => {
    const x = setup(w);
    const flags = BigInt(x.init.flags) | (BigInt(x.init.flags2) << 32n);
    expect(flags & abi.initFlag(abi.InitBit.FLOCK_LOCKS)).not.toBe(0n);
    expect(flags & abi.initFlag(abi.InitBit.DO_READDIRPLUS)).not.toBe(0n);
    expect(flags & abi.FUSE_DIRECT_IO_ALLOW_MMAP).not.toBe(0n);
    expect(flags & abi.initFlag(abi.InitBit.WRITEBACK_CACHE)).toBe(0n);
    expect(flags & abi.initFlag(v10.initFlagBit)).toBe(0n);
    expect(x.fsys.famfsMode).toBe(false);
  });

  test('INIT on a famfs kernel asks for FUSE_DAX_FMAP (with a daxdev), not without', () => {
    const offer = STOCK_OFFER | abi.initFlag(v10.initFlagBit);
    const x = setup(w, {}, offer);
    expect((BigInt(x.init.flags2) << 32n) & abi.initFlag(v10.initFlagBit)).not.toBe(0n);
    expect(x.fsys.famfsMode).toBe(true);
    const y = setup(w, { daxdev: undefined }, offer);
    expect((BigInt(y.init.flags2) << 32n) & abi.initFlag(v10.initFlagBit)).toBe(0n);
  });

  test('shadow source: LOOKUP and GETATTR: directories pass through, files take their attributes from the YAML', () => {
    const x = setup(w, { serve: 'shadow' });
    const a = x.entry(1, 'a');
    const ast = fs.statSync(path.join(w.shadow, 'root/a'));
    expect(a.attr.mode).toBe(ast.mode);
    expect(a.attr.ino).toBe(ast.ino);
    expect([a.attr.uid, a.attr.gid]).toEqual([1000, 1000]);
    expect(a.attr.mode & 0o7777).toBe(0o750);

    const f1 = x.entry(a.nodeid, 'f1');
    const fst = fs.statSync(path.join(w.shadow, 'root/a/f1'));
    expect(f1.attr).toMatchObject({
      ino: fst.ino,
      size: MiB,
      mode: abi.S_IFREG | 0o640,
      uid: 1000,
      gid: 1001,
      nlink: 1,
      blocks: (2 * MiB) / 512,
    });
    expect(f1.attr.mtime).toBe(Math.floor(fst.mtimeMs / 1000));
    expect(f1.entryValid + f1.entryValidNsec / 1e9).toBe(1);

    const odd = x.entry(1, 'top');
    expect(odd.attr.size).toBe(3_000_000);
    const st = x.entry(1, 'striped');
    expect(st.attr.size).toBe(7 * MiB);
    expect(st.attr.blocks).toBe((8 * MiB) / 512);

    const ga = x.one(msg(Opcode.GETATTR, x.u(), f1.nodeid, abi.GetattrIn.encode({ getattrFlags: 0, dummy: 0, fh: 0 })));
    expect(abi.AttrOut.decode(ga.payload).attr.size).toBe(MiB);
    const root = x.one(msg(Opcode.GETATTR, x.u(), 1, abi.GetattrIn.encode({ getattrFlags: 0, dummy: 0, fh: 0 })));
    expect(abi.AttrOut.decode(root.payload).attr.ino).toBe(fs.statSync(path.join(w.shadow, 'root')).ino);

    expect(x.lookup(1, 'nope').error).toBe(-Errno.ENOENT);
    expect(x.lookup(f1.nodeid, 'x').error).toBe(-Errno.ENOTDIR);
    // The same file looked up twice is the same node with two references.
    expect(x.entry(a.nodeid, 'f1').nodeid).toBe(f1.nodeid);
    expect(x.fsys.inodes.get(f1.nodeid)!.nlookup).toBe(2);
    x.exchange(msg(Opcode.FORGET, 0, f1.nodeid, abi.ForgetIn.encode({ nlookup: 1 })));
    expect(x.fsys.inodes.get(f1.nodeid)!.nlookup).toBe(1);
    x.exchange(
      msg(
        Opcode.BATCH_FORGET,
        0,
        0,
        Buffer.concat([
          abi.BatchForgetIn.encode({ count: 1, dummy: 0 }),
          abi.ForgetOne.encode({ nodeid: f1.nodeid, nlookup: 1 }),
        ]),
      ),
    );
    expect(x.fsys.inodes.get(f1.nodeid)).toBeUndefined();
  });

  test('shadow source: READDIRPLUS and READDIR list the shadow directory by name with stable offsets', () => {
    const x = setup(w, { serve: 'shadow' });
    const od = x.one(msg(Opcode.OPENDIR, x.u(), 1, abi.OpenIn.encode({ flags: 0, openFlags: 0 })));
    expect(od.error).toBe(0);
    const fh = abi.OpenOut.decode(od.payload).fh;
    const r = x.one(readMsg(Opcode.READDIRPLUS, x.u(), 1, 0, 4096, fh));
    expect(r.error).toBe(0);
    const names: string[] = [];
    const offs: number[] = [];
    for (let at = 0; at < r.payload.length;) {
      const e = abi.Direntplus.decode(r.payload, at);
      const name = r.payload.toString('utf8', at + abi.Direntplus.size, at + abi.Direntplus.size + e.dirent.namelen);
      names.push(name);
      offs.push(e.dirent.off);
      if (name !== '.' && name !== '..') {
        expect(e.entryOut.nodeid).toBeGreaterThan(1);
        expect(x.fsys.inodes.get(e.entryOut.nodeid)!.nlookup).toBe(1);
      }
      if (name === 'top') expect(e.entryOut.attr.size).toBe(3_000_000);
      at += abi.direntplusSize(e.dirent.namelen);
    }
    expect(names).toEqual(['.', '..', '.meta', 'a', 'striped', 'top']);
    expect(offs).toEqual([1, 2, 3, 4, 5, 6]);
    // Continue from offset 4: the rest, same cookies.
    const r2 = x.one(readMsg(Opcode.READDIR, x.u(), 1, 4, 4096, fh));
    const rest: string[] = [];
    for (let at = 0; at < r2.payload.length;) {
      const d = abi.Dirent.decode(r2.payload, at);
      rest.push(r2.payload.toString('utf8', at + abi.Dirent.size, at + abi.Dirent.size + d.namelen));
      at += abi.direntSize(d.namelen);
    }
    expect(rest).toEqual(['striped', 'top']);
    expect(x.one(readMsg(Opcode.READDIR, x.u(), 1, 6, 4096, fh)).payload.length).toBe(0);
    expect(
      x.one(msg(Opcode.RELEASEDIR, x.u(), 1, abi.ReleaseIn.encode({ fh, flags: 0, releaseFlags: 0, lockOwner: 0n })))
        .error,
    ).toBe(0);
  });

  test('GETXATTR user.famfs.shadow: the shadow path, size probe, ERANGE, ENODATA; LISTXATTR', () => {
    const x = setup(w);
    const r = x.getxattr(1, 'user.famfs.shadow', 4096);
    expect(r.payload.toString()).toBe(w.shadow);
    const probe = x.getxattr(1, 'user.famfs.shadow', 0);
    expect(abi.GetxattrOut.decode(probe.payload).size).toBe(Buffer.byteLength(w.shadow));
    expect(x.getxattr(1, 'user.famfs.shadow', 3).error).toBe(-Errno.ERANGE);
    expect(x.getxattr(1, 'user.other', 100).error).toBe(-Errno.ENODATA);
    const l = x.one(msg(Opcode.LISTXATTR, x.u(), 1, abi.GetxattrIn.encode({ size: 100, padding: 0 })));
    expect(l.payload.toString()).toBe('user.famfs.shadow\0');
  });

  test('STATFS: numbers of the famfs device', () => {
    const x = setup(w);
    const r = x.one(msg(Opcode.STATFS, x.u(), 1));
    const st = abi.StatfsOut.decode(r.payload).st;
    expect(st.bsize).toBe(4096);
    expect(st.blocks).toBe((8 * GiB) / 4096);
    // Used: superblock + log (10 MiB) + 2 + 4 + 6 MiB of simple files + 8 MiB of strips.
    expect(st.bfree).toBe((8 * GiB - (10 + 2 + 4 + 6 + 8) * MiB) / 4096);
    expect(st.bavail).toBe(st.bfree);
    expect(st.files).toBeGreaterThan(10000);
    expect(st.files - st.ffree).toBe(6);
  });

  test('GET_FMAP and GET_DAXDEV (famfs kernel)', () => {
    const x = setup(w, {}, STOCK_OFFER | abi.initFlag(v10.initFlagBit));
    const st = x.entry(1, 'striped');
    const r = x.one(msg(v10.getFmapOpcode, x.u(), st.nodeid));
    expect(r.error).toBe(0);
    expect(r.payload).toEqual(encodeFmapReply(w.files['striped'], v10));
    expect(r.payload.readUInt32LE(4)).toBe(abi.FamfsExtType.INTERLEAVE);
    const f1 = x.entry(x.entry(1, 'a').nodeid, 'f1');
    const r1 = x.one(msg(v10.getFmapOpcode, x.u(), f1.nodeid));
    expect(abi.FamfsFmapHeader.decode(r1.payload, 0)).toMatchObject({
      extType: 0,
      nextents: 1,
      fileSize: MiB,
      fmapVersion: 1,
      fileType: 0,
    });
    expect(abi.FamfsSimpleExt.decode(r1.payload, 32).seOffset).toBe(
      w.files['a/f1'].fmap.kind === 'simple' ? w.files['a/f1'].fmap.extents[0].offset : -1,
    );
    expect(x.one(msg(v10.getFmapOpcode, x.u(), 1)).error).toBe(-Errno.ENOENT);
    expect(x.one(msg(v10.getFmapOpcode, x.u(), 424242)).error).toBe(-Errno.EINVAL);

    const d = x.one(msg(v10.getDaxdevOpcode, x.u(), 0));
    expect(d.error).toBe(0);
    expect(d.payload.length).toBe(280);
    expect(abi.DaxdevOut.decode(d.payload).name).toBe(w.dev);
    expect(x.one(msg(v10.getDaxdevOpcode, x.u(), 1)).error).toBe(-Errno.EINVAL);
  });

  test('refused operations get the errno the C famfs gives', () => {
    const x = setup(w);
    const a = x.entry(1, 'a');
    const f1 = x.entry(a.nodeid, 'f1');
    const create = x.one(
      msg(
        Opcode.CREATE,
        x.u(),
        1,
        Buffer.concat([abi.CreateIn.encode({ flags: 0o101, mode: 0o100644, umask: 0o22, openFlags: 0 }), cstr('new')]),
      ),
    );
    expect(create.error).toBe(-Errno.ENOTSUP);
    expect(
      x.one(msg(Opcode.MKDIR, x.u(), 1, Buffer.concat([abi.MkdirIn.encode({ mode: 0o755, umask: 0 }), cstr('d')])))
        .error,
    ).toBe(-Errno.ENOSYS);
    expect(
      x.one(
        msg(
          Opcode.MKNOD,
          x.u(),
          1,
          Buffer.concat([abi.MknodIn.encode({ mode: 0o100644, rdev: 0, umask: 0, padding: 0 }), cstr('n')]),
        ),
      ).error,
    ).toBe(-Errno.ENOSYS);
    expect(x.one(msg(Opcode.UNLINK, x.u(), 1, cstr('top'))).error).toBe(-Errno.ENOSYS);
    expect(x.one(msg(Opcode.RMDIR, x.u(), 1, cstr('a'))).error).toBe(-Errno.ENOSYS);
    expect(
      x.one(
        msg(Opcode.RENAME, x.u(), 1, Buffer.concat([abi.RenameIn.encode({ newdir: 1 }), cstr('top'), cstr('top2')])),
      ).error,
    ).toBe(-Errno.ENOSYS);
    expect(
      x.one(msg(Opcode.LINK, x.u(), 1, Buffer.concat([abi.LinkIn.encode({ oldnodeid: f1.nodeid }), cstr('l')]))).error,
    ).toBe(-Errno.ENOSYS);
    expect(x.one(msg(Opcode.SYMLINK, x.u(), 1, Buffer.concat([cstr('s'), cstr('top')]))).error).toBe(-Errno.ENOSYS);
    // Size changes are EINVAL; mode/uid/times are kept in memory.
    const setattr = (valid: number, v: Partial<ReturnType<typeof abi.SetattrIn.decode>>) =>
      x.one(
        msg(
          Opcode.SETATTR,
          x.u(),
          f1.nodeid,
          abi.SetattrIn.encode({
            valid,
            padding: 0,
            fh: 0,
            size: 0,
            lockOwner: 0n,
            atime: 0,
            mtime: 0,
            ctime: 0,
            atimensec: 0,
            mtimensec: 0,
            ctimensec: 0,
            mode: 0,
            unused4: 0,
            uid: 0,
            gid: 0,
            unused5: 0,
            ...v,
          }),
        ),
      );
    expect(setattr(abi.FATTR_SIZE, { size: 0 }).error).toBe(-Errno.EINVAL);
    expect(setattr(abi.FATTR_SIZE, { size: MiB }).error).toBe(0);
    const chmod = setattr(abi.FATTR_MODE | abi.FATTR_MTIME, { mode: 0o600, mtime: 12345 });
    expect(chmod.error).toBe(0);
    expect(abi.AttrOut.decode(chmod.payload).attr).toMatchObject({
      mode: abi.S_IFREG | 0o600,
      mtime: 12345,
      size: MiB,
    });
    expect(x.entry(a.nodeid, 'f1').attr.mode).toBe(abi.S_IFREG | 0o600);
    // O_TRUNC would shrink the file.
    expect(x.open(f1.nodeid, fs.constants.O_RDWR | fs.constants.O_TRUNC).error).toBe(-Errno.EINVAL);
    expect(x.open(a.nodeid).error).toBe(-Errno.EISDIR);
  });

  test('shadow source: a malformed shadow YAML file is ENOENT (logged) while the rest serves', () => {
    const bad = makeWorld();
    fs.writeFileSync(path.join(bad.shadow, 'root/broken'), '---\nfile:\n  path: broken\n  size: lots\n...\n');
    fs.writeFileSync(path.join(bad.shadow, 'root/toolarge'), 'x'.repeat(20000));
    const shortFmap: FileEntry = { ...bad.files['top'], path: 'short', size: 100 * MiB };
    fs.writeFileSync(path.join(bad.shadow, 'root/short'), emitShadowYaml(shortFmap));
    fs.symlinkSync('top', path.join(bad.shadow, 'root/link'));
    const x = setup(bad, { serve: 'shadow' });
    for (const name of ['broken', 'toolarge', 'short', 'link']) expect(x.lookup(1, name).error).toBe(-Errno.ENOENT);
    expect(x.logs.some((l) => l.includes('broken'))).toBe(true);
    expect(x.logs.some((l) => l.includes('short') && l.includes('bytes its extents hold'))).toBe(true);
    expect(x.entry(1, 'top').attr.size).toBe(3_000_000);
    // READDIRPLUS lists the bad files name-only (no node), and skips the symlink.
    const r = x.one(readMsg(Opcode.READDIRPLUS, x.u(), 1, 0, 8192));
    const seen: Record<string, number> = {};
    for (let at = 0; at < r.payload.length;) {
      const e = abi.Direntplus.decode(r.payload, at);
      seen[r.payload.toString('utf8', at + abi.Direntplus.size, at + abi.Direntplus.size + e.dirent.namelen)] =
        e.entryOut.nodeid;
      at += abi.direntplusSize(e.dirent.namelen);
    }
    expect(seen.broken).toBe(0);
    expect(seen.short).toBe(0);
    expect(seen.top).toBeGreaterThan(1);
    expect('link' in seen).toBe(false);
    expect(x.s.stats.fsExceptions).toBe(0);
  });

  test('READ and WRITE serve the device bytes (simple and interleaved), clipped at EOF', () => {
    const rw = makeWorld();
    const x = setup(rw);
    const topExt = rw.files['top'].fmap.kind === 'simple' ? rw.files['top'].fmap.extents[0] : null;
    const topData = patternBytes(3_000_000, 7);
    writeDevice(rw.dev, topExt!.offset, topData);
    const top = x.entry(1, 'top');
    const o = x.open(top.nodeid, fs.constants.O_RDWR);
    expect(o.error).toBe(0);
    const out = abi.OpenOut.decode(o.payload);
    expect(out.openFlags & abi.FOPEN_DIRECT_IO).not.toBe(0);
    const r = x.read(top.nodeid, 2_999_000, 4096, out.fh);
    expect(r.payload).toEqual(topData.subarray(2_999_000));
    expect(x.read(top.nodeid, 3_000_000, 4096, out.fh).payload.length).toBe(0);

    // Interleaved: chunk 0 at strip 0 (5 GiB), chunk 1 at strip 1 (4 GiB), chunk 2 at strip 0 + 2 MiB.
    const st = x.entry(1, 'striped');
    const c0 = patternBytes(2 * MiB, 1);
    const c1 = patternBytes(2 * MiB, 2);
    const c2 = patternBytes(2 * MiB, 3);
    writeDevice(rw.dev, 5 * GiB, c0);
    writeDevice(rw.dev, 4 * GiB, c1);
    writeDevice(rw.dev, 5 * GiB + 2 * MiB, c2);
    const span = x.read(st.nodeid, 2 * MiB - 100, 200 + 2 * MiB);
    expect(span.payload.equals(Buffer.concat([c0.subarray(2 * MiB - 100), c1, c2.subarray(0, 100)]))).toBe(true);

    // Write across the chunk boundary through the file system: lands in both strips.
    const data = patternBytes(1000, 9);
    const wr = x.write(st.nodeid, 4 * MiB - 500, data);
    expect(abi.WriteOut.decode(wr.payload).size).toBe(1000);
    expect(readDevice(rw.dev, 4 * GiB + 2 * MiB - 500, 500)).toEqual(data.subarray(0, 500));
    expect(readDevice(rw.dev, 5 * GiB + 2 * MiB, 500)).toEqual(data.subarray(500));
    // Past EOF: short write, then EFBIG.
    expect(abi.WriteOut.decode(x.write(st.nodeid, 7 * MiB - 10, data).payload).size).toBe(10);
    expect(x.write(st.nodeid, 7 * MiB, data).error).toBe(-Errno.EFBIG);
    expect(x.s.stats.fsExceptions).toBe(0);
    x.fsys.close();
  });

  test('.meta/.log and .meta/.superblock read back the log and superblock', () => {
    const x = setup(w);
    const meta = x.entry(1, '.meta');
    const log = x.entry(meta.nodeid, '.log');
    expect(log.attr.mode).toBe(abi.S_IFREG | 0o644);
    expect(x.read(log.nodeid, 0, 4096).payload).toEqual(readDevice(w.dev, 2 * MiB, 4096));
    const sb = x.entry(meta.nodeid, '.superblock');
    expect(sb.attr.size).toBe(2 * MiB);
    expect(sb.attr.mode).toBe(abi.S_IFREG | 0o444);
    expect(x.read(sb.nodeid, 0, 512).payload).toEqual(readDevice(w.dev, 0, 512));
  });

  test('flock: one exclusive holder, EWOULDBLOCK for others, serialized with the device lock', () => {
    const x = setup(w, { lockWaitMs: 200 });
    const top = x.entry(1, 'top');
    const A = 0xa1n;
    const B = 0xb2n;
    expect(x.lk(Opcode.SETLK, top.nodeid, A, 1).error).toBe(0);
    expect(x.lk(Opcode.SETLK, top.nodeid, A, 1).error).toBe(0);
    expect(x.lk(Opcode.SETLK, top.nodeid, B, 1).error).toBe(-Errno.EWOULDBLOCK);
    expect(x.lk(Opcode.SETLKW, top.nodeid, B, 1).error).toBe(-Errno.EWOULDBLOCK);
    expect(x.lk(Opcode.SETLK, top.nodeid, B, 0).error).toBe(-Errno.EINVAL);
    // While held through the mount, the device is locked for direct libfamfs users.
    const fd = fs.openSync(w.dev, 'r');
    try {
      expect(() => native.flock(fd, native.LOCK_EX | native.LOCK_NB)).toThrow(
        expect.objectContaining({ code: 'EWOULDBLOCK' }),
      );
      expect(x.lk(Opcode.SETLK, top.nodeid, A, 2).error).toBe(0);
      native.flock(fd, native.LOCK_EX | native.LOCK_NB);
      // Now a direct user holds the device: non-blocking fails at once, blocking gives up after lockWaitMs.
      expect(x.lk(Opcode.SETLK, top.nodeid, B, 1).error).toBe(-Errno.EWOULDBLOCK);
      const t0 = Date.now();
      expect(x.lk(Opcode.SETLKW, top.nodeid, B, 1).error).toBe(-Errno.EWOULDBLOCK);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(150);
      native.flock(fd, native.LOCK_UN);
      expect(x.lk(Opcode.SETLKW, top.nodeid, B, 1).error).toBe(0);
      // Closing B's file releases its flock.
      x.one(
        msg(
          Opcode.RELEASE,
          x.u(),
          top.nodeid,
          abi.ReleaseIn.encode({ fh: 0, flags: 0, releaseFlags: abi.FUSE_RELEASE_FLOCK_UNLOCK, lockOwner: B }),
        ),
      );
      expect(x.fsys.flockHolder).toBeNull();
      native.flock(fd, native.LOCK_EX | native.LOCK_NB);
      native.flock(fd, native.LOCK_UN);
    } finally {
      fs.closeSync(fd);
      x.fsys.close();
    }
  });
});
