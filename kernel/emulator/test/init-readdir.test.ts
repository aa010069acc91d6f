/**
 * The INIT and READDIR client code the emulated kernel and the fuzzer share: the kernel's strict
 * reading of a directory page against the fuzzer's lenient one, and what an INIT reply negotiates.
 */
import { Dirent, direntSize, FUSE_INIT_EXT, initFlag, InitOut, profileByName } from '@famfs/fuse';
import { direntsOf, initOffer, pageDirectory, readInitReply } from '../src';

/** One fuse_dirent record (padded to 8 bytes) with a raw name. */
function dirent(name: string, off: number, namelen = Buffer.byteLength(name)): Buffer {
  const b = Buffer.alloc(direntSize(Buffer.byteLength(name)));
  Dirent.encodeInto({ ino: 7, off, namelen, type: 8 }, b, 0);
  b.write(name, Dirent.size);
  return b;
}

describe('READDIR pages', () => {
  test('both modes list the names and leave out "." and ".."', () => {
    const pages = [Buffer.concat([dirent('.', 1), dirent('..', 2), dirent('a', 3)]), Buffer.concat([dirent('b', 4)])];
    for (const strict of [true, false]) {
      const read = (offset: number): Buffer | null => pages[offset === 0 ? 0 : offset === 3 ? 1 : 2] ?? null;
      const r = pageDirectory({ strict, maxRounds: 10, read });
      expect(r).toEqual({
        entries: [
          { name: 'a', ino: 7, type: 8, off: 3 },
          { name: 'b', ino: 7, type: 8, off: 4 },
        ],
      });
    }
  });

  test("a slash in a name or a namelen of 0 is the kernel's EIO, the baseline reads on or stops", () => {
    const slash = Buffer.concat([dirent('a/b', 1), dirent('c', 2)]);
    expect(direntsOf(slash, true).problem).toBe("READDIR name contains '/'");
    expect(direntsOf(slash, false).records.map((r) => r.name)).toEqual(['a/b', 'c']);
    const empty = Buffer.concat([dirent('a', 1), dirent('x', 2, 0)]);
    const strict = direntsOf(empty, true);
    expect(strict.problem).toBe('READDIR record with namelen 0');
    expect(strict.records.map((r) => r.name)).toEqual(['a']);
    expect(direntsOf(empty, false).records.map((r) => r.name)).toEqual(['a']);
  });

  test('a cookie that does not advance fails the strict listing and ends the lenient one', () => {
    const stuck = Buffer.concat([dirent('a', 0)]);
    const strict = pageDirectory({ strict: true, maxRounds: 10, read: () => stuck });
    expect(strict.problem).toBe('READDIR cookie does not advance (0)');
    const rounds: number[] = [];
    const lenient = pageDirectory({ strict: false, maxRounds: 10, read: (offset) => (rounds.push(offset), stuck) });
    expect(lenient.entries.map((e) => e.name)).toEqual(['a']);
    expect(rounds).toEqual([0]);
  });
});

describe('INIT replies', () => {
  const profile = profileByName('v10');
  const famfsBit = initFlag(profile.initFlagBit);
  const reply = (flags: bigint, bytes = InitOut.size): Buffer =>
    InitOut.encode({
      major: 7,
      minor: 45,
      maxReadahead: 0,
      flags: Number(flags & 0xffffffffn),
      maxBackground: 0,
      congestionThreshold: 0,
      maxWrite: 1 << 20,
      timeGran: 1,
      maxPages: 256,
      mapAlignment: 0,
      flags2: Number(flags >> 32n),
      maxStackDepth: 0,
      requestTimeout: 0,
      unused: Buffer.alloc(0),
    }).subarray(0, bytes);

  test('famfs only when offered and echoed with FUSE_INIT_EXT', () => {
    const offered = initOffer(profile);
    const on = readInitReply(reply(famfsBit | FUSE_INIT_EXT), offered);
    expect(typeof on !== 'string' && on.conn.famfs).toBe(true);
    const noExt = readInitReply(reply(famfsBit), offered);
    expect(typeof noExt !== 'string' && noExt.conn.famfs).toBe(false);
    expect(typeof noExt !== 'string' && noExt.notes[0]).toMatch(/without FUSE_INIT_EXT/);
    const notOffered = readInitReply(reply(famfsBit | FUSE_INIT_EXT), initOffer(profile, { offerFamfs: false }));
    expect(typeof notOffered !== 'string' && notOffered.conn.famfs).toBe(false);
  });

  test('a reply under 24 bytes is malformed; a shorter one than init_out reads as zeros past its end', () => {
    expect(readInitReply(reply(FUSE_INIT_EXT, 20), initOffer(profile))).toBe('init_out of 20 bytes (at least 24)');
    const short = readInitReply(reply(famfsBit | FUSE_INIT_EXT, 24), initOffer(profile));
    expect(typeof short !== 'string' && short.conn).toMatchObject({ famfs: false, maxWrite: 1 << 20, maxPages: 32 });
  });
});
