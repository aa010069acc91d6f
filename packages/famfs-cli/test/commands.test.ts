import * as fs from 'fs';
import * as path from 'path';
import { famfs, MKFS_BIN, OTHER_UUID, sparseFile, useTempDir } from './run';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const tmp = useTempDir();

describe('dispatch', () => {
  test('no command: a short usage on stderr, exit 1', () => {
    const r = famfs([]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^famfs: missing command\nUsage: famfs \[-h \| -V\] <command>/);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(3);
  });

  test.each([['-h'], ['--help'], ['-?']])('%s prints help, exit 0', (flag) => {
    const r = famfs([flag]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Commands:\n {2}mkfs/);
  });

  test('unknown command: exit 3', () => {
    const r = famfs(['frobnicate']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/unknown command 'frobnicate'/);
  });

  test.each(['mkfs', 'fsck', 'logplay'])('%s --help prints its usage, exit 0', (cmd) => {
    const r = famfs([cmd, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Usage: famfs ${cmd} `));
  });

  test('unknown options are an error pointing to --help (not the C famfs silent exit 0)', () => {
    const r = famfs(['logplay', '-x', 'x']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("famfs logplay: unknown option '-x'\nTry 'famfs logplay --help' for more information.\n");
  });

  test('an extra argument is a usage error', () => {
    const r = famfs(['fsck', 'a', 'b']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/unexpected argument 'b'/);
  });

  test('a missing argument is a usage error', () => {
    const r = famfs(['fsck']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/missing DEVICE\|PATH/);
  });
});

describe('mkfs', () => {
  test('mkfs then fsck: clean report, exit 0; mkfs.famfs is the same command', () => {
    const dev = sparseFile(tmp(), 8 * GiB);
    const r = famfs(['mkfs', dev]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/role of this node: Owner/);
    expect(r.stdout).toMatch(/# of log entries in use: 0 of 15420/);
    const again = famfs([dev], {}, MKFS_BIN);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already has a famfs superblock/);
    expect(famfs(['-f', dev], {}, MKFS_BIN).code).toBe(0);
  });

  test('-h is help for mkfs', () => {
    expect(famfs(['mkfs', '-h']).stdout).toMatch(/^Usage: famfs mkfs/);
  });

  test.each([['1'], ['1m'], ['11m'], ['8mm'], ['lots']])('loglen %s fails with exit 2', (len) => {
    const dev = sparseFile(tmp(), 8 * GiB);
    const r = famfs(['mkfs', '-l', len, dev]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/mkfs.famfs: /);
  });

  test('-l 256m gives a 256 MiB log (fsck -v shows log_len: 268435456)', () => {
    const dev = sparseFile(tmp(), 8 * GiB);
    expect(famfs(['mkfs', '--loglen', '256m', dev]).code).toBe(0);
    expect(famfs(['fsck', '-v', dev]).stdout).toMatch(/log_len: {11}268435456/);
  });

  test('-k needs -f; -f -k kills the superblock and fsck then fails with exit 1', () => {
    const dev = sparseFile(tmp(), 8 * GiB);
    famfs(['mkfs', dev]);
    expect(famfs(['mkfs', '-k', dev]).code).toBe(2);
    expect(famfs(['fsck', dev]).code).toBe(0);
    expect(famfs(['mkfs', '-f', '-k', dev]).code).toBe(0);
    const r = famfs(['fsck', dev]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no valid famfs superblock: bad magic/);
  });

  test("another host's device is refused without -f", () => {
    const dev = sparseFile(tmp(), 8 * GiB);
    famfs(['mkfs', dev], { FAMFS_SYSTEM_UUID: OTHER_UUID });
    const r = famfs(['mkfs', dev]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/owned by another host/);
    expect(famfs(['fsck', dev]).stdout).toMatch(/role of this node: Client/);
  });

  test('a device under 4 GiB is refused; a missing device too', () => {
    const dev = sparseFile(tmp(), 2 * GiB);
    expect(famfs(['mkfs', dev]).stderr).toMatch(/smaller than the 4 GiB famfs minimum/);
    const r = famfs(['mkfs', path.join(tmp(), 'nope')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/device .*nope does not exist/);
  });
});

describe('fsck', () => {
  test('-B prints bucket statistics; a non-famfs file is exit 1', () => {
    const dev = sparseFile(tmp(), 8 * GiB);
    famfs(['mkfs', dev]);
    const r = famfs(['fsck', '-B', '4', dev]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Buckets \(4\):/);
    expect(r.stdout.split('\n').filter((l) => /% used$/.test(l))).toHaveLength(4);
    const junk = sparseFile(tmp(), 8 * MiB, 'junk');
    expect(famfs(['fsck', junk]).code).toBe(1);
  });

  test('collisions: exit code is their count and the files are named', () => {
    const dev = sparseFile(tmp(), 8 * GiB);
    famfs(['mkfs', dev]);
    const lib = path.resolve(__dirname, 'built-libfamfs.js');
    const script = `
      const lib = require(${JSON.stringify(lib)});
      const s = lib.LogSession.open(${JSON.stringify(dev)});
      const a = s.createFile('a', 6 * 1024 * 1024);
      s.appendRaw({ ...a, path: 'b' });
      s.close();`;
    const node = require('child_process').spawnSync(process.execPath, ['-e', script], {
      env: { ...process.env, FAMFS_SYSTEM_UUID: '30313233-3435-3637-3839-3a3b3c3d3e3f' },
    });
    expect(node.status).toBe(0);
    const r = famfs(['fsck', dev]);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/ERROR: 3 ALLOCATION COLLISIONS FOUND/);
    expect(r.stdout).toMatch(/a \(entry 0\) and b \(entry 1\) share 3 allocation unit\(s\)/);
  });
});

describe('logplay', () => {
  test('refuses a shadow path that is a file, missing, or needs arguments', () => {
    const dev = sparseFile(tmp(), 8 * GiB);
    famfs(['mkfs', dev]);
    const file = path.join(tmp(), 'f');
    fs.writeFileSync(file, 'x');
    expect(famfs(['logplay', '--daxdev', dev, '--shadow', file]).stderr).toMatch(/is not a directory/);
    expect(famfs(['logplay', '--daxdev', dev, '--shadow', path.join(tmp(), 'missing')]).stderr).toMatch(
      /does not exist/,
    );
    expect(famfs(['logplay', '--daxdev', dev]).code).toBe(1);
  });

  test('-n creates nothing', () => {
    const dev = sparseFile(tmp(), 8 * GiB);
    famfs(['mkfs', dev]);
    const shadow = path.join(tmp(), 'sh');
    fs.mkdirSync(shadow);
    const r = famfs(['logplay', '-n', '--daxdev', dev, '--shadow', shadow]);
    expect(r.code).toBe(0);
    expect(fs.readdirSync(shadow)).toEqual([]);
  });
});
