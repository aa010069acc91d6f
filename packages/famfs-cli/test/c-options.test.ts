/**
 * Every option of the C famfs CLI (reference c-famfs-interop.md §2.1), command by command, as a
 * script would write it: each row runs a real process twice, once with the short form (values
 * attached or flags clustered, as getopt allows) and once with the long form (`--opt=value`, or
 * an abbreviation), and checks that the option does what the table says here. Options that only
 * choose how the C famfs reaches a device are checked to be accepted and harmless.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseShadowYaml } from '@famfs/libfamfs/shadow';
import { LogSession } from '@famfs/libfamfs/log';
import { C_MASTER_UUID, famfs as run, MKFS_BIN, Run } from './run';
import { mountSuite, TestMounts } from './mounts';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const MASTER = Buffer.from(C_MASTER_UUID.replace(/-/g, ''), 'hex');
const FUSED_BIN = path.resolve(__dirname, '../../famfs-fused/bin/famfs_fused.js');

let dir = '';
let seq = 0;
const mounts = new TestMounts(() => dir);
const famfs = (args: string[], env: Record<string, string> = {}) => run(args, { ...mounts.env(), ...env });
const unique = (name: string) => path.join(dir, `${name}-${++seq}`);

function sparse(size = 8 * GiB): string {
  const p = unique('dev.img');
  fs.writeFileSync(p, '');
  fs.truncateSync(p, size);
  return p;
}

function made(size = 8 * GiB, args: string[] = []): string {
  const dev = sparse(size);
  const r = famfs(['mkfs', ...args, dev]);
  if (r.code !== 0) throw new Error(r.stderr);
  return dev;
}

/** A device with files a, b and directory d, the files filled with seeds 1 and 2. */
function populated(): string {
  const dev = made();
  const s = LogSession.open(dev, { systemUuid: MASTER });
  s.createFile('a', 2 * MiB);
  s.createFile('b', 4 * MiB);
  s.mkdir('d', { mode: 0o755 });
  s.close();
  return dev;
}

function mountOf(dev: string, extra: string[] = []): { mpt: string; r: Run } {
  const mpt = unique('mnt');
  return { mpt, r: mounts.mount(dev, mpt, C_MASTER_UUID, extra) };
}

/** The main mount the file commands work in. */
let main = '';
function file(name: string): string {
  return path.join(main, `${name}-${++seq}`);
}

function ok(r: Run): Run {
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
  return r;
}

function refused(r: Run, code = 1): Run {
  expect(r.code).toBe(code);
  expect(r.stderr).toMatch(/\S/);
  return r;
}

function mountOptions(mpt: string): string[] {
  const line = fs
    .readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .find((l) => l.split(' ')[1] === mpt);
  if (!line) throw new Error(`${mpt} is not mounted`);
  return line.split(' ')[3].split(',');
}

/** One C option: its forms (each the option words of one run) and what a run shows. */
interface OptionRow {
  option: string;
  forms: string[][];
  check(forms: string[]): void;
}

const row = (option: string, forms: string[][], check: (opts: string[]) => void): OptionRow => ({
  option,
  forms,
  check,
});

const TABLE: Record<string, OptionRow[]> = {
  mkfs: [
    row('-f/--force', [['-f'], ['--force']], (o) => {
      const dev = made();
      refused(famfs(['mkfs', dev]), 2);
      ok(famfs(['mkfs', ...o, dev]));
    }),
    row('-k/--kill (with -f)', [['-fk'], ['--force', '--kill']], (o) => {
      const dev = made();
      expect(ok(famfs(['mkfs', ...o, dev])).stdout).toMatch(/invalidated/);
      refused(famfs(['fsck', dev]), 1);
    }),
    row('-l/--loglen', [['-l256m'], ['--loglen=256M']], (o) => {
      expect(ok(famfs(['mkfs', ...o, sparse()])).stdout).toMatch(/# of log entries in use: 0 of 493447/);
    }),
    row('--verbose (and -v)', [['-v'], ['--verbose']], (o) => {
      expect(ok(famfs(['mkfs', ...o, sparse()])).stdout).toMatch(/sizeof\(struct famfs_log_file_meta\)/);
    }),
    row(
      '-D/--nodax, -M/--set-daxmode, -F/--nofuse, --fuse: accepted',
      [['-DMF'], ['--nodax', '--set-daxmode', '--nofuse', '--fuse']],
      (o) => {
        ok(famfs(['mkfs', ...o, sparse()]));
      },
    ),
    row('-h/-? (help) as mkfs.famfs', [['-h'], ['-?']], (o) => {
      expect(ok(run(o, {}, MKFS_BIN)).stdout).toMatch(/^Usage: mkfs\.famfs \[options\] DEVICE\n/);
    }),
  ],

  fsck: [
    row('-h/--human', [['-h'], ['--hum']], (o) => {
      const dev = populated();
      const human = ok(famfs(['fsck', ...o, dev])).stdout;
      expect(human).not.toBe(famfs(['fsck', dev]).stdout);
      expect(human).toMatch(/\d+(\.\d+)?G/);
    }),
    row('-v/--verbose', [['-vh'], ['--verbose']], (o) => {
      expect(ok(famfs(['fsck', ...o, populated()])).stdout).toMatch(/sizeof\(struct famfs_log_file_meta\)/);
    }),
    row('-B/--nbuckets', [['-B4'], ['--nbuckets=4']], (o) => {
      const out = ok(famfs(['fsck', ...o, populated()])).stdout;
      expect(out.split('\n').filter((l) => /% used$/.test(l))).toHaveLength(4);
    }),
    row('-m/--mmap, -r/--read: accepted; both: refused', [['-m'], ['--read']], (o) => {
      ok(famfs(['fsck', ...o, populated()]));
      refused(famfs(['fsck', '-mr', populated()]));
    }),
    row(
      '-M, -L, -F, --fuse, -D: accepted',
      [['-MLFD'], ['--set-daxmode', '--load-module', '--nofuse', '--fuse', '--nodax']],
      (o) => {
        ok(famfs(['fsck', ...o, populated()]));
      },
    ),
    row('-? is help', [['-?'], ['--help']], (o) => {
      expect(ok(famfs(['fsck', ...o])).stdout).toMatch(/^Usage: famfs fsck/);
    }),
  ],

  logplay: [
    row(
      '-d/--daxdev with -S/--shadow',
      [
        ['-SDIR', '-d'],
        ['--shadow=DIR', '--daxdev'],
      ],
      (o) => {
        const shadow = unique('shadow');
        fs.mkdirSync(shadow);
        const opts = o.map((w) => w.replace('DIR', shadow));
        expect(ok(famfs(['logplay', ...opts, populated()])).stdout).toMatch(
          /3 log entries; 2 new files; 1 new directories/,
        );
        expect(fs.existsSync(path.join(shadow, 'root', 'a'))).toBe(true);
      },
    ),
    row('-n/--dryrun', [['-n'], ['--dry']], (o) => {
      const shadow = unique('shadow');
      fs.mkdirSync(shadow);
      ok(famfs(['logplay', ...o, '-d', populated(), '-S', shadow]));
      expect(fs.existsSync(path.join(shadow, 'root', 'a'))).toBe(false);
    }),
    row('-v/--verbose: every entry that could not be placed', [['-v'], ['--verbose']], (o) => {
      const shadow = unique('shadow');
      fs.mkdirSync(path.join(shadow, 'root', 'a'), { recursive: true });
      fs.mkdirSync(path.join(shadow, 'root', 'b'));
      const r = famfs(['logplay', ...o, '-d', populated(), '-S', shadow]);
      expect(r.code).toBe(2);
      expect(r.stderr.split('\n').filter((l) => /log entry \d+: '[ab]'/.test(l))).toHaveLength(2);
    }),
    row('-c/--client: the .meta/.log file as a client has it', [['-c'], ['--client']], (o) => {
      const shadow = unique('shadow');
      fs.mkdirSync(shadow);
      ok(famfs(['logplay', ...o, '-d', populated(), '-S', shadow]));
      const log = parseShadowYaml(fs.readFileSync(path.join(shadow, 'root', '.meta', '.log')), '.log');
      expect(log.mode).toBe(0o444);
    }),
    row('-s/--shadowtest', [['-s'], ['--shadowtest']], (o) => {
      const shadow = unique('shadow');
      fs.mkdirSync(shadow);
      const dev = populated();
      expect(ok(famfs(['logplay', ...o, '-d', dev, '-S', shadow])).stdout).toMatch(/shadowtest: every shadow file/);
      // A shadow file that disagrees with its log entry is counted.
      const yaml = path.join(shadow, 'root', 'a');
      fs.writeFileSync(yaml, fs.readFileSync(yaml, 'utf8').replace(/size: \d+/, 'size: 4096'));
      const r = famfs(['logplay', ...o, '-d', dev, '-S', shadow]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/shadowtest: a: shadow file differs from the log \(size 4096 vs 2097152\)/);
    }),
    row('-m/--mmap, -r/--read: accepted; both refused', [['-m'], ['--read']], (o) => {
      const shadow = unique('shadow');
      fs.mkdirSync(shadow);
      ok(famfs(['logplay', ...o, '-d', populated(), '-S', shadow]));
      refused(famfs(['logplay', '-rm', '-d', populated(), '-S', shadow]));
    }),
    row('-M/--set-daxmode: accepted', [['-M'], ['--set-daxmode']], (o) => {
      const shadow = unique('shadow');
      fs.mkdirSync(shadow);
      ok(famfs(['logplay', ...o, '-d', populated(), '-S', shadow]));
    }),
    row(
      '--shadow twice: 22',
      [
        ['-Sa', '-Sb'],
        ['--shadow=a', '--shadow', 'b'],
      ],
      (o) => {
        refused(famfs(['logplay', ...o, 'x']), 22);
      },
    ),
  ],
};

const MOUNT_TABLE: OptionRow[] = [
  row('fsck -f/--force: a mounted device is checked', [['-f'], ['--force']], (o) => {
    const dev = populated();
    mountOf(dev);
    refused(famfs(['fsck', dev]), 16);
    expect(ok(famfs(['fsck', ...o, dev])).stdout).toMatch(/No allocation errors found/);
  }),
  row(
    '-t/--timeout',
    [
      ['-vv', '-t0'],
      ['--verbose', '--verbose', '--timeout=0'],
    ],
    (o) => {
      expect(ok(mountOf(populated(), o).r).stdout).toMatch(/timeout=0\b/);
    },
  ),
  row('-c/--cache', [['-vvcnever'], ['-vv', '--cache=always']], (o) => {
    const want = o.includes('--cache=always') ? 'timeout=31536000' : 'timeout=0';
    expect(ok(mountOf(populated(), o).r).stdout).toContain(want);
    refused(mountOf(populated(), ['-c', 'never', '-t', '5']).r);
  }),
  row('-d/--debug', [['-vvd'], ['-vv', '--debug']], (o) => {
    expect(ok(mountOf(populated(), o).r).stdout).toMatch(/famfs_fused -f -d /);
  }),
  row('-v/--verbose (repeatable)', [['-v'], ['--verbose']], (o) => {
    const out = ok(mountOf(populated(), o).r).stdout;
    expect(out).toMatch(/^famfs mount: daxdev=.*, mpt=/);
    expect(out).not.toMatch(/famfs_fused -f/);
  }),
  row('-u/--nouseraccess, -p/--nodefaultperm', [['-up'], ['--nouseraccess', '--nodefaultperm']], (o) => {
    const plain = mountOf(populated());
    expect(mountOptions(plain.mpt)).toEqual(expect.arrayContaining(['allow_other', 'default_permissions']));
    const m = mountOf(populated(), o);
    ok(m.r);
    expect(mountOptions(m.mpt)).not.toContain('allow_other');
    expect(mountOptions(m.mpt)).not.toContain('default_permissions');
  }),
  row('-S/--shadow', [['-SDIR'], ['--shadow=DIR']], (o) => {
    const shadow = unique('shadow');
    fs.mkdirSync(shadow);
    const r = ok(
      mountOf(
        populated(),
        o.map((w) => w.replace('DIR', shadow)),
      ).r,
    );
    expect(r.stdout).toContain(`shadow ${shadow};`);
    expect(fs.existsSync(path.join(shadow, 'root', 'a'))).toBe(true);
  }),
  row('-D/--dummy', [['-D'], ['--dummy']], (o) => {
    const r = ok(famfs(['mount', ...o, populated()]));
    const mpt = /^Successful dummy mount at (\S+)$/m.exec(r.stdout)?.[1] ?? '';
    try {
      expect(fs.readdirSync(mpt)).toEqual(['.meta']);
      expect(fs.statSync(path.join(mpt, '.meta', '.superblock')).size).toBe(2 * MiB);
    } finally {
      ok(famfs(['umount', mpt]));
    }
    expect(fs.existsSync(mpt)).toBe(false);
  }),
  row('-R/--remount', [['-R'], ['--remount']], (o) => {
    const dev = populated();
    const { mpt } = mountOf(dev);
    const s = LogSession.open(dev, { systemUuid: MASTER });
    s.createFile('late', 2 * MiB);
    s.close();
    expect(ok(famfs(['mount', ...o, dev, mpt])).stdout).toMatch(/already serves .*: 4 log entries; 1 new files/);
    expect(fs.existsSync(path.join(mpt, 'late'))).toBe(true);
  }),
  row(
    '--abi',
    [
      ['--abi=rfc', '-vv'],
      ['--ab', 'rfc', '-vv'],
    ],
    (o) => {
      expect(ok(mountOf(populated(), o).r).stdout).toMatch(/--abi rfc/);
      const bad = refused(mountOf(populated(), ['--abi', 'bogus']).r);
      expect(bad.stderr).toMatch(/^famfs mount: unknown famfs ABI profile "bogus"/);
    },
  ),
  row(
    '-f/--fuse, -m, -M, -L, -b: accepted',
    [['-fmMLb'], ['--fuse', '--mmap', '--set-daxmode', '--load-module', '-b']],
    (o) => {
      ok(mountOf(populated(), o).r);
    },
  ),
  row('-r/--read: accepted; with -m refused', [['-r'], ['--read']], (o) => {
    ok(mountOf(populated(), o).r);
    refused(mountOf(populated(), ['-rm']).r);
  }),
  row('-F/--nofuse: no v1 module here, the mount fails', [['-F'], ['--nofuse']], (o) => {
    expect(refused(mountOf(populated(), o).r).stderr).toMatch(/v1 famfs kernel module/);
  }),
  row(
    '-S twice: 22',
    [
      ['-Sa', '-Sb'],
      ['--shadow=a', '--sha', 'b'],
    ],
    (o) => {
      refused(famfs(['mount', ...o, 'dev', 'mpt']), 22);
    },
  ),
];

/** Options of the commands that work in a mount (run in `main`). */
const FILE_TABLE: Record<string, OptionRow[]> = {
  creat: [
    row('-s/--size', [['-s2m'], ['--size=2MiB']], (o) => {
      const f = file('c');
      ok(famfs(['creat', ...o, f]));
      expect(fs.statSync(f).size).toBe(2 * MiB);
    }),
    row(
      '-r/--randomize with -S/--seed',
      [
        ['-rS7', '-s2m'],
        ['--randomize', '--seed=7', '--size', '2m'],
      ],
      (o) => {
        const f = file('c');
        ok(famfs(['creat', ...o, f]));
        ok(famfs(['verify', '-S', '7', '-f', f]));
      },
    ),
    row('-r alone: a seed is chosen and printed', [['-rs2m'], ['--rand', '--size=2m']], (o) => {
      const f = file('c');
      const seed = /filled with seed (\d+)/.exec(ok(famfs(['creat', ...o, f])).stdout)?.[1] ?? '';
      ok(famfs(['verify', '-S', seed, '-f', f]));
    }),
    row(
      '-m/--mode, -u/--uid, -g/--gid',
      [
        ['-m0600', '-u5', '-g6', '-s2m'],
        ['--mode=600', '--uid=5', '--gid', '6', '-s2m'],
      ],
      (o) => {
        const f = file('c');
        ok(famfs(['creat', ...o, f]));
        const st = fs.statSync(f);
        expect([st.mode & 0o777, st.uid, st.gid]).toEqual([0o600, 5, 6]);
      },
    ),
    row(
      '-M/--multi (repeatable), size 0 refills',
      [
        ['-M', '@A,2m,3', '-M@B,2m'],
        ['--multi=@A,2m,3', '--multi', '@B,2m'],
      ],
      (o) => {
        const [a, b] = [file('m'), file('m')];
        ok(famfs(['creat', ...o.map((w) => w.replace('@A', a).replace('@B', b))]));
        ok(famfs(['verify', '-S', '3', '-f', a]));
        expect(fs.statSync(b).size).toBe(2 * MiB);
        ok(famfs(['creat', '-M', `${b},0,9`]));
        ok(famfs(['verify', '-S', '9', '-f', b]));
      },
    ),
    row(
      '-t/--threadct',
      [
        ['-t0', '-s2m'],
        ['--threadct=256', '-s2m'],
      ],
      (o) => {
        ok(famfs(['creat', ...o, file('c')]));
        refused(famfs(['creat', '-t257', '-s2m', file('c')]));
      },
    ),
    row(
      '-N, -B, -C: interleaved',
      [
        ['-N2', '-B4', '-C2m', '-s8m'],
        ['--nstrips=2', '--nbuckets=4', '--chunksize=2m', '-s8m'],
      ],
      (o) => {
        const f = file('il');
        ok(famfs(['creat', ...o, f]));
        expect(ok(famfs(['getmap', f])).stdout).toMatch(/Interleaved extent has 2 strips/);
      },
    ),
    row('-v/--verbose', [['-vs2m'], ['--verbose', '-s2m']], (o) => {
      const f = file('c');
      expect(ok(famfs(['creat', ...o, f])).stdout).toContain(`famfs creat: ${f}: 2097152 bytes`);
    }),
  ],
  verify: [
    row(
      '-f/--filename with -S/--seed',
      [
        ['-S1', '-fF'],
        ['--seed=1', '--filename=F'],
      ],
      (o) => {
        const f = file('v');
        ok(famfs(['creat', '-r', '-S', '1', '-s', '2m', f]));
        expect(ok(famfs(['verify', ...o.map((w) => w.replace('F', f))])).stdout).toMatch(/^Success: verified 2097152/);
        refused(famfs(['verify', '-S2', '-f', f]));
      },
    ),
    row(
      '-m/--multi, -t/--threadct, -q/--quiet',
      [
        ['-q', '-t0', '-m@A,1', '-m@B,2'],
        ['--quiet', '--threadct=2', '--multi=@A,1', '--multi', '@B,2'],
      ],
      (o) => {
        const [a, b] = [file('v'), file('v')];
        ok(famfs(['creat', '-M', `${a},2m,1`, '-M', `${b},2m,2`]));
        const r = ok(famfs(['verify', ...o.map((w) => w.replace('@A', a).replace('@B', b))]));
        expect(r.stdout).toBe('');
      },
    ),
  ],
  mkdir: [
    row('-p/--parents (the mount point too)', [['-p'], ['--parents']], (o) => {
      const d = path.join(file('p'), 'x', 'y');
      ok(famfs(['mkdir', ...o, d]));
      expect(fs.statSync(d).isDirectory()).toBe(true);
      ok(famfs(['mkdir', ...o, main]));
      ok(famfs(['mkdir', ...o, d]));
    }),
    row(
      '-m, -u, -g, -v',
      [
        ['-vm0700', '-u5', '-g6'],
        ['--verbose', '--mode=700', '--uid=5', '--gid=6'],
      ],
      (o) => {
        const d = file('d');
        expect(ok(famfs(['mkdir', ...o, d])).stdout).toMatch(/created/);
        const st = fs.statSync(d);
        expect([st.mode & 0o777, st.uid, st.gid]).toEqual([0o700, 5, 6]);
      },
    ),
  ],
  cp: [
    row('-r/--recursive, -v/--verbose (-vvv)', [['-rvvv'], ['--recursive', '--verbose']], (o) => {
      const src = unique('tree');
      fs.mkdirSync(path.join(src, 'sub'), { recursive: true });
      fs.writeFileSync(path.join(src, 'sub', 'x'), 'x');
      const dest = file('cpdir');
      expect(ok(famfs(['cp', ...o, src, dest])).stdout).toMatch(/1 files copied/);
      expect(fs.readFileSync(path.join(dest, 'sub', 'x'), 'utf8')).toBe('x');
    }),
    row(
      '-m, -u, -g',
      [
        ['-m0640', '-u5', '-g6'],
        ['--mode=640', '--uid=5', '--gid=6'],
      ],
      (o) => {
        const dest = file('cp');
        ok(famfs(['cp', ...o, MKFS_BIN, dest]));
        const st = fs.statSync(dest);
        expect([st.mode & 0o777, st.uid, st.gid]).toEqual([0o640, 5, 6]);
      },
    ),
    row('-t/--threadct: accepted (0..256)', [['-t0'], ['--threadct=8']], (o) => {
      ok(famfs(['cp', ...o, MKFS_BIN, file('cp')]));
    }),
    row('-c/--compare', [['-c'], ['--compare']], (o) => {
      const dest = file('cp');
      ok(famfs(['cp', MKFS_BIN, dest]));
      ok(famfs(['cp', ...o, MKFS_BIN, dest]));
      refused(famfs(['cp', ...o, FUSED_BIN, dest]));
    }),
    row(
      '-N, -B, -C: interleaved',
      [
        ['-N2', '-B4', '-C2m'],
        ['--nstrips=2', '--nbuckets=4', '--chunksize=2m'],
      ],
      (o) => {
        const src = unique('big');
        fs.writeFileSync(src, Buffer.alloc(6 * MiB, 7));
        const dest = file('cp');
        ok(famfs(['cp', ...o, src, dest]));
        expect(ok(famfs(['getmap', dest])).stdout).toMatch(/Interleaved extent has 2 strips/);
      },
    ),
  ],
  getmap: [
    row('-q/--quiet', [['-q'], ['--quiet']], (o) => {
      const f = file('g');
      ok(famfs(['creat', '-s2m', f]));
      expect(ok(famfs(['getmap', ...o, f])).stdout).toBe(`famfs_getmap: good file ${f}\n`);
    }),
    row('-c (continue)', [['-qc'], ['--continue']], (o) => {
      const f = file('g');
      ok(famfs(['creat', '-s2m', f]));
      const r = famfs(['getmap', ...o, path.join(main, 'nope'), f]);
      expect(r.code).toBe(9);
      expect(r.stdout).toContain(`good file ${f}`);
    }),
  ],
  flush: [
    row('-v', [['-v'], ['--verbose']], (o) => {
      const f = file('fl');
      ok(famfs(['creat', '-s2m', f]));
      expect(ok(famfs(['flush', ...o, f])).stdout).toMatch(/2097152 bytes/);
    }),
  ],
  check: [
    row('-v/--verbose, -q (quiet)', [['-vq'], ['--verbose', '--quiet']], (o) => {
      const r = ok(famfs(['check', ...o, main]));
      expect(r.stdout).toMatch(/good file/);
      expect(r.stdout).not.toMatch(/famfs_check: \d+ files/);
    }),
  ],
  chkread: [
    row('-s (superblock), -l (log)', [['-s'], ['-l']], (o) => {
      const meta = o[0] === '-s' ? '.superblock' : '.log';
      expect(ok(famfs(['chkread', ...o, path.join(main, '.meta', meta)])).stdout).toMatch(/Read and mmap match/);
    }),
  ],
  clone: [
    row('-v', [['-v'], ['--verbose']], (o) => {
      const f = file('src');
      ok(famfs(['creat', '-s2m', f]));
      expect(ok(famfs(['clone', ...o, f, file('twin')])).stdout).toMatch(/\t\t[0-9a-f]+\t2097152/);
    }),
  ],
  mkmeta: [
    row('-v', [['-v'], ['--verbose']], (o) => {
      expect(ok(famfs(['mkmeta', ...o, mainDev])).stdout).toMatch(/shadow root/);
    }),
  ],
};

let mainDev = '';

function runRows(rows: OptionRow[]): void {
  test.each(rows.flatMap((r) => r.forms.map((f) => [r.option, f.join(' '), r, f] as const)))(
    '%s: %s',
    (_name, _form, r, f) => {
      r.check(f);
    },
  );
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'famfs-copts-'));
});
afterAll(() => {
  mounts.cleanup();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe.each(Object.entries(TABLE))('famfs %s: every C option', (_cmd, rows) => runRows(rows));

mountSuite('C options with mounts')('with mounts', () => {
  describe('famfs mount: every C option', () => {
    // Each row leaves its mounts; they go before the next row.
    afterEach(() => mounts.cleanup());
    runRows(MOUNT_TABLE);
  });

  describe('commands in a mount', () => {
    beforeAll(() => {
      mainDev = made(16 * GiB);
      main = unique('main');
      const r = mounts.mount(mainDev, main);
      if (r.code !== 0) throw new Error(r.stderr);
      mounts.forget();
    });
    // famfs umount, not the cleanup's lazy umount and SIGKILL: it also removes the shadow tree
    // famfs mount made for it in /dev/shm.
    afterAll(() => {
      if (main !== '') famfs(['umount', main]);
    });
    describe.each(Object.entries(FILE_TABLE))('famfs %s: every C option', (_cmd, rows) => runRows(rows));
  });
});

describe('famfs_fused: libfuse and famfs -o options', () => {
  const fused = (args: string[]) => run(args, {}, FUSED_BIN);
  test.each([
    [['-V'], /famfs_fused \(famfs-ts\)/],
    [['--version'], /famfs_fused \(famfs-ts\)/],
    [['-h'], /^usage: famfs_fused/],
    [['--help'], /^usage: famfs_fused/],
  ])('%j', (args, out) => {
    expect(ok(fused(args)).stdout).toMatch(out);
  });

  // A command line the parser accepts gets as far as the mount point check.
  test.each([
    [['-f', '-s', '-d', '-o', 'shadow=S,daxdev=/dev/null,timeout=5,cache=never', 'M']],
    [['-oshadow=S', '-o', 'allow_other,default_permissions,flock,no_flock,pass_yaml,readdirplus', 'M']],
    [['M', '-o', 'source=S,debug=1,debug,auto_unmount,clone_fd,max_threads=4,max_idle_threads=2,max_write=65536']],
    [['--abi=rfc', '-o', 'shadow=S,no_direct_io,direct_io,no_readdirplus,fsname=x,io_uring,no_io_uring', '--', 'M']],
  ])('%j parses', (args) => {
    const r = fused(args.map((a) => a.replace('S', path.join(dir, 'nos')).replace(/^M$/, path.join(dir, 'nomnt'))));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/nomnt.*(does not exist|ENOENT)/);
    expect(r.stderr).not.toMatch(/Try 'famfs_fused --help'/);
  });

  test.each([
    [['-o', 'shadow=/s,bogus', '/m'], /unknown -o option "bogus"/],
    [['-x', '/m'], /unknown option -x/],
    [['--abi', 'bogus', '-o', 'shadow=/s', '/m'], /unknown famfs ABI profile "bogus"/],
  ])('%j is refused in two lines', (args, msg) => {
    const r = refused(fused(args));
    expect(r.stderr).toMatch(msg);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(2);
  });
});
