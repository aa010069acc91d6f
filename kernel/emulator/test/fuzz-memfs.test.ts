/**
 * 10,000 seeded random and malformed requests against a Session serving the toy memfs, then
 * normal requests through the emulator (stock path: READ, since memfs does not do famfs).
 */
import { Errno } from '@famfs/fuse';
import { MemFs, patternBytes } from '@famfs/fuse/testing';
import { emulateMount, errnoOf, fuzzSession } from '../src';

const FILES = {
  '/hello.txt': 'hello world\n',
  '/d/a.bin': { size: 300_000, seed: 3 },
  '/d/e/deep.txt': 'deep',
  '/d/e/f/g/h.bin': { size: 5000, seed: 9 },
};

function mount() {
  const fs = new MemFs({ files: FILES, dirs: ['/empty'], rootXattrs: { 'user.famfs.shadow': '/tmp/shadow' } });
  const m = emulateMount(fs, { kernel: { offerFamfs: false } });
  m.kernel.init();
  return { ...m, fs };
}

function checkNormal(kernel: ReturnType<typeof mount>['kernel']): void {
  const h = kernel.open('/hello.txt');
  expect(kernel.read(h, 0, 100).toString()).toBe('hello world\n');
  kernel.release(h);
  const a = kernel.open('/d/a.bin');
  expect(kernel.read(a, 0, 300_000).equals(patternBytes(300_000, 3))).toBe(true);
  expect(kernel.read(a, 299_990, 100).equals(patternBytes(300_000, 3).subarray(299_990))).toBe(true);
  kernel.release(a);
  expect(kernel.getattr('/d/e/f/g/h.bin').size).toBe(5000);
  expect(kernel.walkFiles('/').sort()).toEqual(['/d/a.bin', '/d/e/deep.txt', '/d/e/f/g/h.bin', '/hello.txt']);
  expect(errnoOf(() => kernel.open('/missing'))).toBe(Errno.ENOENT);
}

test('10,000 fuzz requests against memfs, then normal requests answer correctly', () => {
  const { kernel, session } = mount();
  checkNormal(kernel);
  const r = fuzzSession(session, { count: 10_000, seed: 0x5eed });
  console.log(
    `memfs fuzz: ${JSON.stringify({ outcomes: r.outcomes, probes: r.probes, baseline: r.baseline.entries, errnos: r.errnos })}`,
  );
  expect(r.violations).toEqual([]);
  expect(r.violationCount).toBe(0);
  expect(r.baseline.mismatches).toEqual([]);
  expect(r.sent).toBe(10_000);
  expect(r.outcomes.ok).toBeGreaterThan(500);
  expect(r.outcomes.error).toBeGreaterThan(2000);
  expect(r.outcomes.noReply).toBeGreaterThan(100);
  expect(r.baseline.entries).toBe(9);
  expect(r.probes.sent).toBeGreaterThan(150);
  expect(Object.keys(r.generators).length).toBeGreaterThan(40);
  checkNormal(kernel);
});

test('the same seed gives the same run', () => {
  const a = fuzzSession(mount().session, { count: 500, seed: 42 });
  const b = fuzzSession(mount().session, { count: 500, seed: 42 });
  expect(a.generators).toEqual(b.generators);
  expect(a.outcomes).toEqual(b.outcomes);
});

test('the fuzzer catches a daemon that answers GET_FMAP for a directory and grows files', () => {
  const fs = new MemFs({ files: FILES });
  Object.assign(fs, {
    getFmap: () => Buffer.alloc(40),
    write: () => 10,
  });
  const m = emulateMount(fs);
  const r = fuzzSession(m.session, { count: 2000, seed: 7, offerFamfs: false });
  expect(r.violations.some((v) => /getFmapDir.*succeeded/.test(v))).toBe(true);
  expect(r.violations.some((v) => /files must never grow/.test(v))).toBe(true);
});
