/**
 * The famfs file system served from the log, through a Session over a QueueTransport (no mount):
 * attributes and inode numbers from the entries, listings in log order with offsets that stay
 * put as directories grow, following (a new name found at once, invalidations for what the
 * kernel may cache, the main thread told of new slots), LOGPLAY_XATTR, and bad input: a bad new
 * entry reported once and skipped, a header going backwards or a new superblock stopping the
 * following (one log line, the mount keeps serving), a slot rewritten after it was placed never
 * served. And the index holds exactly what replay holds, for logs full of conflicts.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Device, mapMeta } from '@famfs/libfamfs/device';
import { LogHeaderLayout, LOG_OFFSET } from '@famfs/libfamfs/format';
import type { FileEntry, LogEntry } from '@famfs/libfamfs/format';
import { entryOffset, LogSession, mkfs, replayLog } from '@famfs/libfamfs/log';
import { LOGPLAY_XATTR } from '@famfs/libfamfs/mount';
import type { LogplayReply } from '@famfs/libfamfs/mount';
import * as abi from '@famfs/fuse';
import { Errno, Opcode } from '@famfs/fuse';
import { FamfsFileSystem, FamfsFsOptions } from '../src/famfs/famfs-fs';
import { isPlacedMessage } from '../src/famfs/log-messages';
import type { PlacedMessage } from '../src/famfs/log-messages';
import { SLOT_INO_BASE } from '../src/famfs/log-namespace';
import { cleanupTempDirs, msg, readMsg, tempDir, writeDevice } from './helpers';
import { sessionHarness } from './session-harness';

afterAll(cleanupTempDirs);

const MiB = 1 << 20;
const GiB = 1 << 30;
const MASTER = Buffer.from('303132333435363738393a3b3c3d3e3f', 'hex');
const OTHER = Buffer.from('aaaaaaaabbbbccccddddeeeeeeeeeeee', 'hex');

/** A device with a small tree: a (0), a/b (1), a/f1 (2), top (3). */
function device(): string {
  const dir = tempDir('famfs-log-');
  const dev = path.join(dir, 'dev.img');
  fs.writeFileSync(dev, '');
  fs.truncateSync(dev, 8 * GiB);
  mkfs(dev, { systemUuid: MASTER });
  withSession(dev, (s) => {
    s.mkdir('a', { mode: 0o750, uid: 1000, gid: 1000 });
    s.mkdir('a/b');
    s.createFile('a/f1', MiB, { mode: 0o640, uid: 1000, gid: 1001 });
    s.createFile('top', 3_000_000);
  });
  fs.mkdirSync(path.join(dir, 'shadow', 'root'), { recursive: true });
  return dev;
}

function withSession<T>(dev: string, fn: (s: LogSession) => T): T {
  const s = LogSession.open(dev, { systemUuid: MASTER });
  try {
    return fn(s);
  } finally {
    s.close();
  }
}

/** Sets the log header's next_index (and next_seqnum) as a writer would. */
function setNextIndex(dev: string, n: number): void {
  const d = Device.open(dev, { writable: true });
  try {
    const meta = mapMeta(d);
    LogHeaderLayout.set(meta.log, 'nextIndex', n);
    LogHeaderLayout.set(meta.log, 'nextSeqnum', n);
  } finally {
    d.close();
  }
}

const opened: FamfsFileSystem[] = [];
afterEach(() => {
  for (const f of opened.splice(0)) f.close();
});

function setup(dev: string, extra: Partial<FamfsFsOptions> = {}) {
  const logs: string[] = [];
  const posted: PlacedMessage[] = [];
  const shadow = path.join(path.dirname(dev), 'shadow');
  const fsys = new FamfsFileSystem({
    shadow,
    daxdev: dev,
    systemUuid: MASTER,
    log: (m) => logs.push(m),
    post: (v) => {
      if (isPlacedMessage(v)) posted.push(v);
    },
    ...extra,
  });
  opened.push(fsys);
  const h = sessionHarness(fsys);
  const { t, one, u, getxattr } = h;
  const getattr = (nodeid: number) =>
    abi.AttrOut.decode(
      one(msg(Opcode.GETATTR, u(), nodeid, abi.GetattrIn.encode({ getattrFlags: 0, dummy: 0, fh: 0 }))).payload,
    ).attr;
  const opendir = (nodeid: number) =>
    abi.OpenOut.decode(one(msg(Opcode.OPENDIR, u(), nodeid, abi.OpenIn.encode({ flags: 0, openFlags: 0 }))).payload).fh;
  const readdir = (nodeid: number, offset: number, fh: number) => {
    const r = one(readMsg(Opcode.READDIR, u(), nodeid, offset, 4096, fh));
    const out: { name: string; off: number; ino: number }[] = [];
    for (let at = 0; at < r.payload.length;) {
      const d = abi.Dirent.decode(r.payload, at);
      out.push({
        name: r.payload.toString('utf8', at + abi.Dirent.size, at + abi.Dirent.size + d.namelen),
        off: d.off,
        ino: d.ino,
      });
      at += abi.direntSize(d.namelen);
    }
    return out;
  };
  const logplay = (): LogplayReply => {
    const probe = getxattr(1, LOGPLAY_XATTR, 0);
    const size = abi.GetxattrOut.decode(probe.payload).size;
    return JSON.parse(getxattr(1, LOGPLAY_XATTR, size + 64).payload.toString()) as LogplayReply;
  };
  /** Notifications written so far, decoded. */
  const notes = () =>
    t.takeNotifications().map((b) => {
      const code = abi.OutHeader.get(b, 'error');
      if (code === abi.NotifyCode.INVAL_ENTRY) {
        const e = abi.NotifyInvalEntryOut.decode(b, abi.OutHeader.size);
        return `entry ${e.parent} ${b.toString('utf8', 32, 32 + e.namelen)}`;
      }
      return `inode ${abi.NotifyInvalInodeOut.decode(b, abi.OutHeader.size).ino}`;
    });
  return { ...h, fsys, logs, posted, getattr, opendir, readdir, logplay, notes };
}

describe('served from the log', () => {
  test('LOOKUP and GETATTR take everything from the entries; inode numbers are the slots', () => {
    const x = setup(device());
    const a = x.entry(1, 'a');
    expect(a.attr).toMatchObject({ ino: SLOT_INO_BASE + 0, mode: abi.S_IFDIR | 0o750, uid: 1000, gid: 1000, nlink: 3 });
    const f1 = x.entry(a.nodeid, 'f1');
    expect(f1.attr).toMatchObject({
      ino: SLOT_INO_BASE + 2,
      size: MiB,
      mode: abi.S_IFREG | 0o640,
      uid: 1000,
      gid: 1001,
      nlink: 1,
      blocks: (2 * MiB) / 512,
    });
    expect(x.getattr(1)).toMatchObject({ ino: 1, mode: abi.S_IFDIR | 0o755, nlink: 4 });
    const meta = x.entry(1, '.meta');
    expect(meta.attr.ino).toBe(2);
    expect(x.entry(meta.nodeid, '.log').attr).toMatchObject({ ino: 4, size: 8 * MiB, mode: abi.S_IFREG | 0o644 });
    expect(x.entry(meta.nodeid, '.superblock').attr).toMatchObject({
      ino: 3,
      size: 2 * MiB,
      mode: abi.S_IFREG | 0o444,
    });
    expect(x.lookup(1, 'nope').error).toBe(-Errno.ENOENT);
    expect(x.lookup(f1.nodeid, 'x').error).toBe(-Errno.ENOTDIR);
    // The whole log at start went to the main thread (the shadow writer), in log order.
    expect(x.posted.map((p) => [p.initial, [...p.slots]])).toEqual([[true, [0, 1, 2, 3]]]);
    expect(x.posted[0].summary).toMatchObject({
      entries: 4,
      files: 2,
      directories: 2,
      badCount: 0,
      conflictCount: 0,
      follow: 'following',
    });
  });

  test('the master-less view: on a client .meta/.log is read-only', () => {
    const x = setup(device(), { systemUuid: OTHER });
    const meta = x.entry(1, '.meta');
    expect(x.entry(meta.nodeid, '.log').attr.mode).toBe(abi.S_IFREG | 0o444);
  });

  test('READDIR lists in log order; offsets keep naming the same children as the directory grows', () => {
    const dev = device();
    const x = setup(dev);
    const fh = x.opendir(1);
    const first = x.readdir(1, 0, fh);
    expect(first.map((e) => e.name)).toEqual(['.', '..', '.meta', 'a', 'top']);
    expect(first.map((e) => e.off)).toEqual([1, 2, 3, 4, 5]);
    expect(first.find((e) => e.name === 'top')!.ino).toBe(SLOT_INO_BASE + 3);
    withSession(dev, (s) => s.createFile('later', MiB));
    expect(x.lookup(1, 'later').error).toBe(0);
    // The same handle, read on from offset 4: 'top' is still there, the new name after it.
    expect(x.readdir(1, 4, fh).map((e) => e.name)).toEqual(['top', 'later']);
  });

  test('following: a name logged after the mount is found at once; the kernel is told; the main thread gets the slot', () => {
    const dev = device();
    const x = setup(dev);
    const a = x.entry(1, 'a');
    const before = x.getattr(a.nodeid);
    x.notes();
    withSession(dev, (s) => {
      s.mkdir('a/new-dir');
      s.createFile('a/new-dir/f', MiB);
      s.createFile('a/g', 2 * MiB);
    });
    // A LOOKUP that finds nothing reads the log again before it answers.
    const g = x.entry(a.nodeid, 'g');
    expect(g.attr).toMatchObject({ ino: SLOT_INO_BASE + 6, size: 2 * MiB });
    expect(x.notes().sort()).toEqual([`entry ${a.nodeid} g`, `entry ${a.nodeid} new-dir`, `inode ${a.nodeid}`].sort());
    expect(x.posted.slice(1).map((p) => [p.initial, [...p.slots]])).toEqual([[false, [4, 5, 6]]]);
    const after = x.getattr(a.nodeid);
    expect(after.nlink).toBe(before.nlink + 1);
    expect(after.mtime * 1e3 + after.mtimensec / 1e6).toBeGreaterThanOrEqual(
      before.mtime * 1e3 + before.mtimensec / 1e6,
    );
    const nd = x.entry(a.nodeid, 'new-dir');
    expect(x.entry(nd.nodeid, 'f').attr.size).toBe(MiB);
  });

  test('follow=0: the log is read at start and when LOGPLAY_XATTR asks; its answer counts what is new since the last', () => {
    const dev = device();
    const x = setup(dev, { followMs: 0 });
    withSession(dev, (s) => s.createFile('late', MiB));
    expect(x.lookup(1, 'late').error).toBe(-Errno.ENOENT);
    const r = x.logplay();
    expect(r).toMatchObject({
      entries: 5,
      newFiles: 1,
      newDirs: 0,
      files: 3,
      directories: 2,
      follow: 'off',
      problems: [],
    });
    expect(x.entry(1, 'late').attr.size).toBe(MiB);
    expect(x.logplay()).toMatchObject({ entries: 5, newFiles: 0 });
    // Not listed: it is a command, not an attribute of the files.
    const l = x.one(msg(Opcode.LISTXATTR, x.u(), 1, abi.GetxattrIn.encode({ size: 4096, padding: 0 })));
    expect(l.payload.toString()).toBe('user.famfs.shadow\0');
  });

  test('the main thread asks for a read between requests (its log watch) even without a lookup miss', () => {
    const dev = device();
    const shared = new SharedArrayBuffer(8 * 64);
    const x = setup(dev, { shared, followMs: 60_000 });
    withSession(dev, (s) => s.createFile('woken', MiB));
    // A STATFS (the watch's wake-up) after the request: the log is read in afterRequest.
    const { DaemonSharedState } = jest.requireActual(
      '../src/famfs/shared-state',
    ) as typeof import('../src/famfs/shared-state');
    new DaemonSharedState(shared).requestFollow();
    x.one(msg(Opcode.STATFS, x.u(), 1));
    expect(x.posted.at(-1)!.slots[0]).toBe(4);
    expect(new DaemonSharedState(shared).logStatus).toMatchObject({
      applied: 5,
      logNext: 5,
      files: 3,
      directories: 2,
      followState: 1,
    });
  });
});

describe('bad input stays contained', () => {
  test('a bad new entry is reported once and skipped as logplay skips it; the entries after it are read', () => {
    const dev = device();
    const x = setup(dev);
    withSession(dev, (s) => s.createFile('victim', MiB));
    writeDevice(dev, LOG_OFFSET + entryOffset(4) + 100, Buffer.from('not what was logged'));
    expect(x.lookup(1, 'victim').error).toBe(-Errno.ENOENT);
    withSession(dev, (s) => s.createFile('after', MiB));
    expect(x.entry(1, 'after').attr.size).toBe(MiB);
    x.lookup(1, 'victim');
    x.logplay();
    const lines = x.logs.filter((l) => l.includes('log entry 4'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/CRC mismatch.*torn last entry, skipped/);
    expect(x.logplay()).toMatchObject({
      entries: 6,
      badCount: 1,
      problems: [expect.stringMatching(/log entry 4: CRC mismatch.*\(torn last entry, ignored\)/)],
    });
  });

  test('an entry that does not fit the tree (duplicate, missing parent) is reported once and skipped', () => {
    const dev = device();
    const x = setup(dev);
    const f: FileEntry = {
      type: 'file',
      path: 'nodir/x',
      size: MiB,
      flags: 2,
      uid: 0,
      gid: 0,
      mode: 0o644,
      fmap: { kind: 'simple', extents: [{ devIndex: 0, offset: 6 * GiB, len: 2 * MiB }] },
    };
    withSession(dev, (s) => {
      s.appendRaw(f);
      s.appendRaw({ ...f, path: 'top' });
    });
    expect(x.lookup(1, 'nodir').error).toBe(-Errno.ENOENT);
    expect(x.logs.filter((l) => /log entry [45]: /.test(l))).toEqual([
      "log entry 4: 'nodir/x': parent directory 'nodir' does not exist (skipped)",
      "log entry 5: 'top': duplicate file path (first logged at entry 3) (skipped)",
    ]);
    expect(x.entry(1, 'top').attr.size).toBe(3_000_000);
  });

  test('a log header going backwards stops following with one log line; the mount keeps serving what it has', () => {
    const dev = device();
    const shared = new SharedArrayBuffer(8 * 64);
    const x = setup(dev, { shared });
    setNextIndex(dev, 2);
    expect(x.lookup(1, 'nothing').error).toBe(-Errno.ENOENT);
    expect(x.lookup(1, 'nothing-either').error).toBe(-Errno.ENOENT);
    const stops = x.logs.filter((l) => l.includes('stopped following'));
    expect(stops).toEqual([
      expect.stringMatching(/the log header went backwards: next_index 2, but 4 entries were already read/),
    ]);
    expect(x.entry(1, 'top').attr.size).toBe(3_000_000);
    // A later append (even one that moves the header past where it was) is not read any more.
    setNextIndex(dev, 4);
    withSession(dev, (s) => s.createFile('too-late', MiB));
    expect(x.lookup(1, 'too-late').error).toBe(-Errno.ENOENT);
    expect(x.logplay()).toMatchObject({ follow: 'stopped', stopReason: expect.stringMatching(/went backwards/) });
    const { DaemonSharedState } = jest.requireActual(
      '../src/famfs/shared-state',
    ) as typeof import('../src/famfs/shared-state');
    expect(new DaemonSharedState(shared).logStatus).toMatchObject({ followState: 2, stopCode: 3, applied: 4 });
  });

  test('a new superblock under the mount (mkfs from another host) stops following', () => {
    const dev = device();
    const x = setup(dev);
    mkfs(dev, { systemUuid: OTHER, force: true });
    withSession2(dev);
    expect(x.lookup(1, 'new-fs-file').error).toBe(-Errno.ENOENT);
    expect(x.logs.filter((l) => l.includes('stopped following'))).toEqual([
      expect.stringMatching(/superblock changed/),
    ]);
    expect(x.entry(1, 'a').attr.mode & 0o7777).toBe(0o750);
  });

  test('a slot rewritten after it was placed is never served (ENOENT and one line)', () => {
    const dev = device();
    const x = setup(dev);
    // Slot 3 ('top') rewritten as a valid entry for another path.
    const d = Device.open(dev, { writable: true });
    try {
      const meta = mapMeta(d);
      const other: LogEntry = {
        type: 'file',
        path: 'elsewhere',
        size: MiB,
        flags: 2,
        uid: 0,
        gid: 0,
        mode: 0o644,
        fmap: { kind: 'simple', extents: [{ devIndex: 0, offset: 7 * GiB, len: 2 * MiB }] },
      };
      const { encodeLogEntry } = jest.requireActual(
        '@famfs/libfamfs/format',
      ) as typeof import('@famfs/libfamfs/format');
      encodeLogEntry(other, 3, meta.log, entryOffset(3));
    } finally {
      d.close();
    }
    expect(x.lookup(1, 'top').error).toBe(-Errno.ENOENT);
    expect(x.lookup(1, 'top').error).toBe(-Errno.ENOENT);
    expect(x.logs.filter((l) => l.includes('log slot 3'))).toEqual([
      expect.stringMatching(/'top' changed after it was read: now holds 'elsewhere'/),
    ]);
    expect(x.lookup(1, 'elsewhere').error).toBe(-Errno.ENOENT);
  });
});

/** A file on the new file system (made by its own master). */
function withSession2(dev: string): void {
  const s = LogSession.open(dev, { systemUuid: OTHER });
  try {
    s.createFile('new-fs-file', MiB);
  } finally {
    s.close();
  }
}

describe('the index holds what replay holds', () => {
  /** Seeded randoms: a 32-bit xorshift (the log only needs to vary with the seed). */
  function randoms(seed: number): () => number {
    let x = (seed * 0x9e3779b9) >>> 0 || 1;
    return () => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return (x >>> 0) / 4294967296;
    };
  }

  test.each([1, 2, 3])('random logs full of conflicts (seed %i), read in one go and followed in pieces', (seed) => {
    const rnd = randoms(seed);
    const dir = tempDir('famfs-log-eq-');
    const dev = path.join(dir, 'dev.img');
    fs.writeFileSync(dev, '');
    fs.truncateSync(dev, 8 * GiB);
    mkfs(dev, { systemUuid: MASTER });
    fs.mkdirSync(path.join(dir, 'shadow', 'root'), { recursive: true });
    const names = ['a', 'b', 'c', '.meta', 'a/a', 'a/b', 'b/a', 'c/c/c', '.meta/.log', '.meta/x', 'a/b/c'];
    let next = 0;
    const append = (n: number) =>
      withSession(dev, (s) => {
        for (let i = 0; i < n; i++) {
          const p = names[Math.floor(rnd() * names.length)];
          const e: LogEntry =
            rnd() < 0.4
              ? { type: 'mkdir', path: p, uid: 0, gid: 0, mode: 0o755 }
              : {
                  type: 'file',
                  path: p,
                  size: 4096,
                  flags: 2,
                  uid: 0,
                  gid: 0,
                  mode: 0o644,
                  fmap: {
                    kind: 'simple',
                    extents: [{ devIndex: 0, offset: 4 * GiB + next++ * 2 * MiB, len: 2 * MiB }],
                  },
                };
          s.appendRaw(e);
        }
      });
    append(40);
    const x = setup(dev);
    append(40);
    x.logplay();
    append(40);
    x.logplay();
    const d = Device.open(dev);
    const replay = (() => {
      try {
        const meta = mapMeta(d);
        return replayLog(meta.log, meta.sb, dev);
      } finally {
        d.close();
      }
    })();
    // Walk the served tree (the index) and compare with replay's files and directories.
    const files: string[] = [];
    const dirs: string[] = [];
    const ns = x.fsys.logNs!;
    const walk = (p: string) => {
      const l = ns.list(p);
      for (let i = 0, e = l.at(0); e; e = l.at(++i)) {
        const child = p === '' ? e.name : `${p}/${e.name}`;
        if (e.ino < 16) continue; // the .meta objects famfs adds
        if (e.kind === 'dir') {
          dirs.push(child);
          walk(child);
        } else files.push(child);
      }
    };
    walk('');
    walk('.meta');
    expect(files.sort()).toEqual([...replay.files.keys()].sort());
    expect(dirs.sort()).toEqual([...replay.dirs.keys()].sort());
    expect(ns.index.conflictCount).toBe(replay.conflicts.length);
  });
});
