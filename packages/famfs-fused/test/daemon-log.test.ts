/**
 * The daemon's log: line format (ISO time stamp, level name, the daemon's tag; `<N>` first under
 * systemd), the size-bounded file and its one old file, and a real famfs_fused process logging to
 * the journal form on stderr when INVOCATION_ID is set.
 */
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { RotatingLogFile } from '../src/daemon/log-file';
import { DaemonLogger, formatLogLines } from '../src/daemon/logger';
import { levelName, parseLogLevel } from '../src/diag/log-levels';
import { cleanupTempDirs, tempDir } from './helpers';
import { BIN } from './mount-world';

afterAll(cleanupTempDirs);

const STAMP = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z';

describe('daemon log lines', () => {
  test('every line of a message gets the time stamp, level and tag; the journal form leads with <N>', () => {
    const at = new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6));
    expect(formatLogLines(5, 'one\ntwo', false, at)).toBe(
      `2026-01-02T03:04:05.006Z notice famfs_fused[${process.pid}]: one\n` +
        `2026-01-02T03:04:05.006Z notice famfs_fused[${process.pid}]: two\n`,
    );
    expect(formatLogLines(3, 'bad', true, at)).toBe(
      `<3>2026-01-02T03:04:05.006Z err famfs_fused[${process.pid}]: bad\n`,
    );
  });

  test('levels by number and by name', () => {
    expect(['0', '7', 'debug', 'ERR', 'error', 'warn', 'notice', 'info'].map(parseLogLevel)).toEqual([
      0, 7, 7, 3, 3, 4, 5, 6,
    ]);
    expect(['8', '-1', '', 'loud', '5x'].map(parseLogLevel)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect(levelName(6)).toBe('info');
  });

  test('the file is kept under its bound: at the bound it becomes .1 (one old file kept)', () => {
    const dir = tempDir('famfs-log-');
    const file = path.join(dir, 'sub', 'mnt-famfs.log');
    const log = new RotatingLogFile(file, 4096);
    const written: string[] = [];
    for (let i = 0; i < 300; i++) {
      const line = `line ${i} ${'x'.repeat(40)}\n`;
      written.push(line);
      log.write(line);
    }
    log.close();
    const now = fs.readFileSync(file, 'utf8');
    const old = fs.readFileSync(`${file}.1`, 'utf8');
    expect(fs.statSync(file).size).toBeLessThanOrEqual(4096);
    expect(fs.statSync(`${file}.1`).size).toBeLessThanOrEqual(4096);
    expect(fs.readdirSync(path.dirname(file)).sort()).toEqual(['mnt-famfs.log', 'mnt-famfs.log.1']);
    // The two files hold the newest lines, in order, with nothing lost between them.
    expect(written.join('').endsWith(old + now)).toBe(true);
    expect(now.endsWith(written[299])).toBe(true);
  });

  test('a logger writes only lines at or above its level; a file it cannot open falls back to stderr', () => {
    const dir = tempDir('famfs-log-');
    const file = path.join(dir, 'a.log');
    let level = 5;
    const logger = new DaemonLogger({ kind: 'file', file, maxBytes: 1 << 20 }, () => level);
    logger.log(7, 'hidden');
    logger.log(4, 'shown');
    level = 7;
    logger.log(7, 'now shown');
    logger.close();
    const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(lines).toEqual([
      expect.stringMatching(new RegExp(`^${STAMP} warning famfs_fused\\[\\d+\\]: shown$`)),
      expect.stringMatching(new RegExp(`^${STAMP} debug famfs_fused\\[\\d+\\]: now shown$`)),
    ]);
    fs.mkdirSync(path.join(dir, 'dir.log'));
    const refused = new DaemonLogger({ kind: 'file', file: path.join(dir, 'dir.log'), maxBytes: 4096 }, () => 5);
    expect(refused.fallbackReason).toMatch(/cannot log to .*dir\.log/);
    expect(refused.destination).toEqual({ kind: 'stderr' });
  });

  test('famfs_fused under systemd (INVOCATION_ID): stderr lines carry <N>, a time stamp and a level', () => {
    const dir = tempDir('famfs-log-');
    fs.mkdirSync(path.join(dir, 'mnt'));
    const r = spawnSync(
      process.execPath,
      [BIN, '-f', '-o', `shadow=${path.join(dir, 'none')}`, path.join(dir, 'mnt')],
      {
        encoding: 'utf8',
        env: { ...process.env, INVOCATION_ID: '0123456789abcdef', JOURNAL_STREAM: '' },
      },
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(`^<3>${STAMP} err famfs_fused\\[\\d+\\]: bad shadow path .* does not exist\\n$`),
    );
  });

  test('famfs_fused with -o logfile: its lines go to the file, not to stderr', () => {
    const dir = tempDir('famfs-log-');
    fs.mkdirSync(path.join(dir, 'mnt'));
    const file = path.join(dir, 'log', 'x.log');
    const r = spawnSync(
      process.execPath,
      [BIN, '-f', '-o', `shadow=${path.join(dir, 'none')},logfile=${file},logmax=4096`, path.join(dir, 'mnt')],
      { encoding: 'utf8', env: { ...process.env, INVOCATION_ID: '', JOURNAL_STREAM: '' } },
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('');
    expect(fs.readFileSync(file, 'utf8')).toMatch(new RegExp(`^${STAMP} err famfs_fused\\[\\d+\\]: bad shadow path`));
  });
});
