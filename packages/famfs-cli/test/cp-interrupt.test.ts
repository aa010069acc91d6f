/**
 * Ctrl-C during famfs cp, on a real mount with real processes: the copy stops between chunks with
 * one line naming the file it left incomplete, what was and was not copied, and how to finish; the
 * exit status is 128 + the signal; the same famfs cp run again completes the file in place (no new
 * log entry) and the mount then reads the source's bytes.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { mountSuite, TestMounts } from './mounts';
import { C_MASTER_UUID, famfs, FAMFS_BIN, useTempDir } from './run';

const lib = require('./built-libfamfs');
const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
const SIZE = GiB;

const tmp = useTempDir();
const mounts = new TestMounts(tmp);

/** Byte `i` of the source: a pattern that differs in every MiB, so a partial copy shows. */
function patternChunk(index: number): Buffer {
  const b = Buffer.alloc(MiB);
  for (let i = 0; i < MiB; i += 4) b.writeUInt32LE((index * 2654435761 + i) >>> 0, i);
  return b;
}

function writeSource(file: string): void {
  const fd = fs.openSync(file, 'w');
  try {
    for (let i = 0; i < SIZE / MiB; i++) fs.writeSync(fd, patternChunk(i));
  } finally {
    fs.closeSync(fd);
  }
}

/** The MiB chunks of `file` that differ from the source pattern. */
function differingChunks(file: string): number[] {
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.alloc(MiB);
  const bad: number[] = [];
  try {
    for (let i = 0; i < SIZE / MiB; i++) {
      fs.readSync(fd, buf, 0, MiB, i * MiB);
      if (!buf.equals(patternChunk(i))) bad.push(i);
    }
  } finally {
    fs.closeSync(fd);
  }
  return bad;
}

mountSuite('famfs cp interrupt tests')('famfs cp stopped by a signal', () => {
  afterEach(() => mounts.cleanup());

  test('SIGINT while a file is being written: one line, exit 130, and the rerun finishes it in place', async () => {
    const dev = path.join(tmp(), 'dev.img');
    fs.writeFileSync(dev, '');
    fs.truncateSync(dev, 8 * GiB);
    expect(famfs(['mkfs', dev], mounts.env()).code).toBe(0);
    const mpt = path.join(tmp(), 'mnt');
    expect(mounts.mount(dev, mpt).code).toBe(0);
    const src = path.join(tmp(), 'big.bin');
    writeSource(src);

    const child = spawn(process.execPath, [FAMFS_BIN, 'cp', src, path.join(mpt, 'big.bin')], {
      env: { ...process.env, ...mounts.env(C_MASTER_UUID) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    // The file is logged right before its bytes are copied: interrupt as soon as the log has it.
    const reader = lib.LogReader.openPath(dev);
    try {
      for (;;) {
        if (reader.header().nextIndex > 0) break;
        await new Promise((r) => setTimeout(r, 2));
      }
    } finally {
      reader.close();
    }
    child.kill('SIGINT');
    const end = await exited;

    expect({ code: end.code, signal: end.signal }).toEqual({ code: 130, signal: null });
    const lines = stderr.split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(
        `^famfs cp: interrupted by SIGINT: '${mpt}/big.bin' is incomplete \\(\\S+ \\S+ of 1\\.00 GiB written ` +
          `from '${src}'; the rest holds old bytes\\); ` +
          'run the same famfs cp again to finish \\(a same-size famfs file is rewritten in place\\)$',
      ),
    );
    expect(differingChunks(path.join(mpt, 'big.bin')).length).toBeGreaterThan(0);

    const again = famfs(['cp', '-v', src, path.join(mpt, 'big.bin')], mounts.env());
    expect({ code: again.code, stderr: again.stderr }).toEqual({ code: 0, stderr: '' });
    expect(again.stdout).toContain('(rewritten in place)');
    expect(differingChunks(path.join(mpt, 'big.bin'))).toEqual([]);
    const check = lib.LogReader.openPath(dev);
    try {
      expect(check.header().nextIndex).toBe(1);
    } finally {
      check.close();
    }
  }, 180_000);
});
