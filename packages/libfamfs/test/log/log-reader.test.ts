/**
 * LogReader: the windowed reader a long-lived process keeps on a device. Whatever the window size,
 * a scan gives exactly what replay gives (the same valid entries, the same bad ones with the same
 * reasons and torn flags), single entries read back the same, the header follows appends, and a
 * re-mkfs shows as a changed superblock.
 */
import { Device } from '../../src/device/device';
import { FamfsError } from '../../src/errors';
import { LOG_OFFSET, MiB } from '../../src/format/constants';
import { LogEntry } from '../../src/format/log-entry';
import { LogHeaderLayout } from '../../src/format/log-header';
import { LogReader } from '../../src/log/log-reader';
import { LogSession } from '../../src/log/log-session';
import { mkfs } from '../../src/log/mkfs';
import { BadEntry, entryOffset } from '../../src/log/replay';
import { MASTER, OTHER, sparseDevice, useTempDir, writeBytes, replayDevice } from '../support';

const tmp = useTempDir();

/** A device with 300 entries (directories and files), slot 100 damaged and the last one torn. */
function device(): string {
  const dev = sparseDevice(tmp());
  mkfs(dev, { systemUuid: MASTER });
  const s = LogSession.open(dev, { systemUuid: MASTER });
  try {
    for (let d = 0; d < 10; d++) {
      s.mkdir(`d${d}`);
      for (let f = 0; f < 29; f++) s.createFile(`d${d}/f${f}`, 4096 * (f + 1));
    }
  } finally {
    s.close();
  }
  writeBytes(dev, LOG_OFFSET + entryOffset(100) + 40, Buffer.from('garbage'));
  writeBytes(dev, LOG_OFFSET + entryOffset(299) + 300, Buffer.alloc(200, 0xee));
  return dev;
}

test.each([
  [8192, 1],
  [4096 * 3, 2],
  [8 << 20, 2],
])('a scan in windows of %i bytes (%i kept) finds what replay finds', (windowBytes, keepWindows) => {
  const dev = device();
  const replay = replayDevice(dev);
  const d = Device.open(dev);
  const r = LogReader.open(d, { windowBytes, keepWindows });
  try {
    const seen: Array<LogEntry | undefined> = [];
    const bad: BadEntry[] = [];
    const n = r.header().nextIndex;
    expect(n).toBe(300);
    // In two pieces, as a follower reads it; torn is judged against the end of each scan.
    r.scan(
      0,
      150,
      (i, e) => (seen[i] = e),
      (b) => bad.push(b),
    );
    r.scan(
      150,
      n,
      (i, e) => (seen[i] = e),
      (b) => bad.push(b),
    );
    seen.length = n;
    expect(seen).toEqual(replay.entries);
    expect(bad).toEqual(replay.bad);
    expect(bad.map((b) => [b.index, b.torn])).toEqual([
      [100, false],
      [299, true],
    ]);
    expect(r.entry(57)).toEqual(replay.entries[57]);
    expect(() => r.entry(100)).toThrow(FamfsError);
    expect(() => r.entry(r.slots)).toThrow(RangeError);
  } finally {
    r.close();
    d.close();
  }
});

test('the header follows appends; a re-mkfs changes the superblock; a broken header is EBADLOG', () => {
  const dev = device();
  const d = Device.open(dev);
  const r = LogReader.open(d);
  try {
    expect(r.superblockChanged()).toBe(false);
    const s = LogSession.open(dev, { systemUuid: MASTER });
    s.createFile('later', MiB);
    s.close();
    expect(r.header().nextIndex).toBe(301);
    expect(r.entry(300)).toMatchObject({ type: 'file', path: 'later' });
    mkfs(dev, { systemUuid: OTHER, force: true });
    expect(r.superblockChanged()).toBe(true);
    expect(r.header().nextIndex).toBe(0);
    const h = Buffer.alloc(8);
    writeBytes(dev, LOG_OFFSET + LogHeaderLayout.offsetOf('magic'), h);
    expect(() => r.header()).toThrow(expect.objectContaining({ code: 'EBADLOG' }));
  } finally {
    r.close();
    d.close();
  }
});
