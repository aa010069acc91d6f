/**
 * How the programs behave as tools: versions, help, short usage errors that point to --help,
 * quiet closed pipes, size suffixes, numbers echoed as typed, and a bad daemon option refused by
 * the mount before anything starts. Real processes throughout.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { allCommands } from '../src/command-index';
import { C_MASTER_UUID, famfs, FAMFS_BIN, MKFS_BIN, sparseFile, useTempDir } from './run';
import { daemonsFor, mountSuite, TestMounts } from './mounts';

const COMMANDS = allCommands();

const GiB = 1024 ** 3;
const FUSED_BIN = path.resolve(__dirname, '../../famfs-fused/bin/famfs_fused.js');
const VERSION = (JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version: string })
  .version;
const tmp = useTempDir();

describe('--version and -V', () => {
  test.each([
    [FAMFS_BIN, ['--version'], 'famfs'],
    [FAMFS_BIN, ['-V'], 'famfs'],
    [MKFS_BIN, ['--version'], 'mkfs.famfs'],
    [MKFS_BIN, ['-V'], 'mkfs.famfs'],
    [FUSED_BIN, ['--version'], 'famfs_fused'],
    [FUSED_BIN, ['-V'], 'famfs_fused'],
  ])('%s %j', (bin, args, prog) => {
    const r = famfs(args, {}, bin);
    expect(r).toEqual({ code: 0, stdout: `${prog} (famfs-ts) ${VERSION}\n`, stderr: '' });
  });
});

describe('help', () => {
  test('mkfs.famfs --help names itself and its argument', () => {
    const r = famfs(['--help'], {}, MKFS_BIN);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('Usage: mkfs.famfs [options] DEVICE');
    expect(r.stdout).toMatch(/-V, --version/);
  });

  test.each(COMMANDS.map((c) => c.name))('famfs %s -? and --help print its usage', (name) => {
    for (const flag of ['-?', '--help']) {
      const r = famfs([name, flag]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: famfs ${name} \\[options\\]`));
    }
  });
});

describe('usage errors: the problem and a pointer to --help, in at most three lines, exit 1', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ...COMMANDS.map((c): [string, string[], RegExp] => [
      c.name,
      [c.name, '--no-such-option'],
      /unknown option '--no-such-option'/,
    ]),
    ['creat', ['creat', '-s'], /option '-s' needs a value/],
    ['creat', ['creat', '-s', '1MB', 'f'], /--size '1MB' is not a size/],
    ['fsck', ['fsck', '-B', 'x', 'd'], /--nbuckets 'x' is not an integer/],
    ['mkdir', ['mkdir', '-m', '999', 'd'], /--mode '999' is not an octal mode/],
    ['mount', ['mount', 'dev'], /missing MOUNTPOINT/],
    ['mount', ['mount', '-t', 'soon', 'dev', 'mpt'], /--timeout 'soon'/],
    ['fsck', ['fsck', 'a', 'b'], /unexpected argument 'b'/],
    ['fsck', ['fsck', '--no'], /option '--no' is ambiguous \(--nofuse, --nodax\)/],
    ['verify', ['verify', '-f', 'x'], /needs -S SEED and -f FILE/],
  ];
  test.each(cases)('famfs %s: %j', (name, args, msg) => {
    const r = famfs(args);
    expect(r.code).toBe(1);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines.length).toBeLessThanOrEqual(3);
    expect(lines[0]).toMatch(new RegExp(`^famfs ${name}: `));
    expect(lines[0]).toMatch(msg);
    expect(lines[lines.length - 1]).toBe(`Try 'famfs ${name} --help' for more information.`);
    expect(r.stdout).toBe('');
  });

  test('mkfs.famfs and famfs without a command too', () => {
    const m = famfs(['--bogus'], {}, MKFS_BIN);
    expect(m.code).toBe(1);
    expect(m.stderr).toBe("mkfs.famfs: unknown option '--bogus'\nTry 'mkfs.famfs --help' for more information.\n");
    const none = famfs([]);
    expect(none.code).toBe(1);
    expect(none.stderr.trimEnd().split('\n')).toHaveLength(3);
    expect(famfs(['frobnicate']).stderr.trimEnd().split('\n')).toHaveLength(2);
  });
});

describe('numbers echoed as typed, sizes exact', () => {
  test.each([
    [['creat', '-s', '9223372036854775808', 'f'], "famfs creat: --size '9223372036854775808' is too large"],
    [['creat', '--size=18446744073709551616', 'f'], "famfs creat: --size '18446744073709551616' is too large"],
    [['creat', '-s', '9007199254740992', 'f'], "famfs creat: --size '9007199254740992' is too large"],
    [['creat', '-M', 'a,99999999999999999999k'], "famfs creat: -M size '99999999999999999999k' is too large"],
    [
      ['creat', '-s', '-1', 'f'],
      "famfs creat: --size '-1' is not a size (a number with an optional K, M, G or KiB, MiB, GiB suffix)",
    ],
    [['verify', '-S', '123456789012345678901', '-f', 'f'], "famfs verify: --seed '123456789012345678901' is too large"],
  ])('%j', (args, line) => {
    const r = famfs(args);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toBe(line);
  });

  test('mkfs -l: the value as typed, exit 2 as mkfs.famfs', () => {
    const dev = sparseFile(tmp(), 8 * GiB);
    const r = famfs(['mkfs', '-l', '99999999999999999999', dev]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--loglen '99999999999999999999' is too large/);
  });

  test.each([['256m'], ['256M'], ['256MiB'], ['256mib'], ['0x10000000'], ['02000000000'], ['262144k'], ['262144KiB']])(
    'mkfs -l %s is 256 MiB',
    (len) => {
      const dev = sparseFile(tmp(), 8 * GiB);
      const r = famfs(['mkfs', '-l', len, dev]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/# of log entries in use: 0 of 493447/);
    },
  );
});

describe('a closed pipe', () => {
  test('famfs ... | head: no error, no stack trace, the command exit code', () => {
    const dev = sparseFile(tmp(), 8 * GiB);
    expect(famfs(['mkfs', dev]).code).toBe(0);
    // Far more than a pipe holds: 4,096 lines of bucket statistics.
    const script = `set -o pipefail; "${process.execPath}" "${FAMFS_BIN}" fsck -B 4096 "${dev}" | head -n 1`;
    const r = spawnSync('bash', ['-c', script], {
      encoding: 'utf8',
      env: { ...process.env, FAMFS_SYSTEM_UUID: C_MASTER_UUID },
    });
    expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({
      status: 0,
      stdout: 'Famfs Superblock:\n',
      stderr: '',
    });
  });
});

mountSuite('manners with a mount')('with a mount', () => {
  const mounts = new TestMounts(tmp);
  afterEach(() => mounts.cleanup());

  test('size suffixes: K, M, G, KiB, MiB, GiB and k, m, g are binary', () => {
    const dev = sparseFile(tmp(), 8 * GiB);
    expect(famfs(['mkfs', dev]).code).toBe(0);
    const mpt = path.join(tmp(), 'mnt');
    expect(mounts.mount(dev, mpt).code).toBe(0);
    const sizes: Array<[string, number]> = [
      ['3K', 3 << 10],
      ['3KiB', 3 << 10],
      ['3k', 3 << 10],
      ['5M', 5 << 20],
      ['5MiB', 5 << 20],
      ['5m', 5 << 20],
      ['1G', 1 << 30],
      ['1GiB', 1 << 30],
      ['1g', 1 << 30],
      ['0x3000', 0x3000],
    ];
    for (const [text, bytes] of sizes) {
      const f = path.join(mpt, `f-${text}`);
      const r = famfs(['creat', '-s', text, f], mounts.env());
      expect({ text, code: r.code, stderr: r.stderr }).toEqual({ text, code: 0, stderr: '' });
      expect(fs.statSync(f).size).toBe(bytes);
    }
  });

  test("mount --abi bogus: exit 1 with the mount's own message; no daemon, no mount, no shadow", () => {
    const dev = sparseFile(tmp(), 8 * GiB);
    expect(famfs(['mkfs', dev]).code).toBe(0);
    const mpt = path.join(tmp(), 'mnt');
    fs.mkdirSync(mpt);
    const shadowDir = path.join(tmp(), 'shadows');
    fs.mkdirSync(shadowDir);
    const r = famfs(['mount', '--abi', 'bogus', dev, mpt], { ...mounts.env(), FAMFS_SHADOW_DIR: shadowDir });
    expect(r.code).toBe(1);
    const [problem, pointer] = r.stderr.split('\n');
    expect(problem).toMatch(/^famfs mount: unknown famfs ABI profile "bogus" \(known: [^)]+\)$/);
    expect(`${pointer}\n`).toBe(r.stderr.slice(problem.length + 1));
    expect(pointer).toBe("Try 'famfs mount --help' for more information.");
    expect(daemonsFor(tmp())).toEqual([]);
    expect(fs.readdirSync(shadowDir)).toEqual([]);
  });
});
