/**
 * docs/cli.md's exit-code table, held to the code: every row of the table has a scenario here
 * that makes the command end that way (a real process, on real devices and mounts), and every
 * scenario has its row. A row whose exit is "N" (a count) is shown with a count above 1, so that
 * it cannot pass as a plain failure.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LogSession } from '@famfs/libfamfs/log';
import { C_MASTER_UUID, famfs as run, FAMFS_BIN, MKFS_BIN, OTHER_UUID, Run } from './run';
import { mountUnavailable, TestMounts } from './mounts';
import { fakeEnv, FakeSysfs, setKernel } from './fake-host';

/** Runs `fn` on a fresh fake sysfs (fake-host.ts), removed afterwards. */
function onFakeHost<T>(fn: (f: FakeSysfs) => T): T {
  const f = FakeSysfs.create();
  try {
    return fn(f);
  } finally {
    f.cleanup();
  }
}

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const MASTER = Buffer.from(C_MASTER_UUID.replace(/-/g, ''), 'hex');
const CLI_MD = fs.readFileSync(path.resolve(__dirname, '../../../docs/cli.md'), 'utf8');

interface Row {
  command: string;
  exit: string;
}

/** The rows of the "## Exit codes" table. */
function exitTable(): Row[] {
  const section = CLI_MD.split('\n## Exit codes\n')[1].split('\n## ')[0];
  return section
    .split('\n')
    .filter((l) => /^\| [a-z]/.test(l) && !l.startsWith('| command'))
    .map((l) => {
      const [command, exit] = l.split(' | ').map((c) => c.replace(/^\| /, '').trim());
      return { command, exit };
    });
}

let dir = '';
const mounts = new TestMounts(() => dir);
const env = () => mounts.env();
const famfs = (args: string[], extra: Record<string, string> = {}) => run(args, { ...env(), ...extra });
/** mount.famfs, as mount(8) runs it: bin/famfs.js called by that name. */
const mountHelper = (args: string[]) => {
  const bin = path.join(dir, 'mount.famfs');
  if (!fs.existsSync(bin)) fs.symlinkSync(FAMFS_BIN, bin);
  return run(args, env(), bin);
};

function sparse(name: string, size = 8 * GiB): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, '');
  fs.truncateSync(p, size);
  return p;
}

function made(name: string, size = 8 * GiB): string {
  const dev = sparse(name, size);
  const r = famfs(['mkfs', dev]);
  if (r.code !== 0) throw new Error(`mkfs ${dev}: ${r.stderr}`);
  return dev;
}

/** A mounted famfs at DIR/<name>; throws with the mount's message when it fails. */
function mounted(name: string, dev = made(`${name}.img`), extra: string[] = []): { dev: string; mpt: string } {
  const mpt = path.join(dir, name);
  const r = mounts.mount(dev, mpt, C_MASTER_UUID, extra);
  if (r.code !== 0) throw new Error(`mount ${dev}: ${r.stderr}`);
  return { dev, mpt };
}

/** The main mount, with a file filled with seed 1 and a directory; made once, on first use. */
let main: { dev: string; mpt: string; file: string } | undefined;
function mainMount() {
  if (!main) {
    const m = mounted('main');
    const file = path.join(m.mpt, 'f');
    const r = famfs(['creat', '-r', '-S', '1', '-s', '2m', file]);
    if (r.code !== 0) throw new Error(r.stderr);
    famfs(['mkdir', path.join(m.mpt, 'd')]);
    main = { ...m, file };
  }
  return main;
}

/** What a scenario shows: its run, and the code expected when the row's exit is "N". */
type Outcome = Run | { run: Run; n: number };
interface Scenario {
  mount?: boolean;
  show(): Outcome;
}

/** `famfs <args>`, run where the command needs no mount. */
const plain = (show: () => Outcome): Scenario => ({ show });
const onMount = (show: () => Outcome): Scenario => ({ mount: true, show });

const SCENARIOS: Record<string, Scenario> = {
  'famfs 0': plain(() => {
    for (const a of [['--help'], ['-h', 'mount'], ['-?'], ['-V']]) expect(famfs(a).code).toBe(0);
    return famfs(['--version']);
  }),
  'famfs 1': plain(() => famfs([])),
  'famfs 3': plain(() => famfs(['frobnicate'])),

  'mkfs 0': plain(() => famfs(['mkfs', sparse('mkfs0.img')])),
  'mkfs 1': plain(() => run([], {}, MKFS_BIN)),
  'mkfs 2': plain(() => famfs(['mkfs', made('mkfs2.img')])),

  'mount 0': onMount(() => {
    const dev = made('m0.img');
    fs.mkdirSync(path.join(dir, 'm0'));
    const r = famfs(['mount', dev, path.join(dir, 'm0')]);
    expect(famfs(['mount', '-R', dev, path.join(dir, 'm0')]).code).toBe(0);
    const list = famfs(['mount']);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(path.join(dir, 'm0'));
    expect(famfs(['umount', path.join(dir, 'm0')]).code).toBe(0);
    return r;
  }),
  'mount.famfs 0': onMount(() => {
    const dev = made('mh0.img');
    const mpt = path.join(dir, 'mh0');
    fs.mkdirSync(mpt);
    // -f (fake): everything checked, nothing mounted; then the mount itself.
    expect(mountHelper([dev, mpt, '-f', '-o', 'follow=50,nofail']).code).toBe(0);
    const r = mountHelper([dev, mpt, '-o', 'follow=50,nofail']);
    expect(famfs(['umount', mpt]).code).toBe(0);
    return r;
  }),
  'mount.famfs 1': plain(() => mountHelper([made('mh1.img'), dir, '-o', 'bogus'])),
  'mount 1': onMount(() => famfs(['mount', path.join(dir, 'nodev.img'), dir])),
  'mount 22': plain(() => famfs(['mount', '-S', 'a', '-S', 'b', 'dev', 'mpt'])),
  'mount 114': onMount(() => {
    const shadow = path.join(dir, 'used-shadow');
    fs.mkdirSync(path.join(shadow, 'root'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'm114'));
    return famfs(['mount', '-S', shadow, made('m114.img'), path.join(dir, 'm114')]);
  }),

  'umount 0': onMount(() => famfs(['umount', mounted('u0').mpt])),
  'umount 2': plain(() => famfs(['umount', dir])),
  'umount 16': onMount(() => {
    const { mpt } = mounted('u16');
    // A process whose working directory is in the mount keeps it busy.
    const holder = spawn('sleep', ['60'], { cwd: mpt, stdio: 'ignore' });
    try {
      return famfs(['umount', mpt]);
    } finally {
      holder.kill('SIGKILL');
    }
  }),
  'umount 22': onMount(() => famfs(['umount', path.join(mainMount().mpt, 'd')])),

  'fsck N': plain(() => {
    const dev = made('collide.img');
    const s = LogSession.open(dev, { systemUuid: MASTER });
    const a = s.createFile('a', 6 * MiB);
    s.appendRaw({ ...a, path: 'b' });
    s.close();
    return { run: famfs(['fsck', dev]), n: 3 };
  }),
  'fsck 1': plain(() => famfs(['fsck', sparse('blank.img')])),
  'fsck 2': plain(() => famfs(['fsck', path.join(dir, 'missing.img')])),
  'fsck 16': onMount(() => famfs(['fsck', mainMount().dev])),
  'fsck 22': plain(() => famfs(['fsck', dir])),

  'logplay N': plain(() => {
    const dev = made('lp.img');
    const s = LogSession.open(dev, { systemUuid: MASTER });
    s.createFile('x', 2 * MiB);
    s.createFile('y', 2 * MiB);
    s.close();
    // Directories where the log has files: two entries that cannot be placed.
    const shadow = path.join(dir, 'lp-shadow');
    fs.mkdirSync(path.join(shadow, 'root', 'x'), { recursive: true });
    fs.mkdirSync(path.join(shadow, 'root', 'y'));
    return { run: famfs(['logplay', '--daxdev', dev, '--shadow', shadow]), n: 2 };
  }),
  'logplay 1': plain(() => famfs(['logplay', dir])),
  'logplay 22': plain(() => famfs(['logplay', '--shadow', 'a', '--shadow=b', 'mpt'])),

  'creat 0': onMount(() => famfs(['creat', '-s', '2m', path.join(mainMount().mpt, 'c0')])),
  'creat 1': plain(() => famfs(['creat', '-s', '9223372036854775808', 'f'])),
  'creat N': onMount(() => {
    const m = mainMount().mpt;
    const r = famfs(['creat', '-M', `${m}/cn1,0`, '-M', `${m}/cn2,0`, '-M', `${m}/cn3,2m,5`]);
    return { run: r, n: 2 };
  }),

  'verify 0': onMount(() => famfs(['verify', '-S', '1', '-f', mainMount().file])),
  'verify 1': onMount(() => famfs(['verify', '-S', '2', '-f', mainMount().file])),
  'verify N': onMount(() => {
    const f = mainMount().file;
    return { run: famfs(['verify', '-m', `${f},2`, '-m', `${f},3`, '-m', `${f},1`]), n: 2 };
  }),

  'mkdir 0': onMount(() => famfs(['mkdir', '-p', mainMount().mpt])),
  'mkdir 1': onMount(() => famfs(['mkdir', path.join(mainMount().mpt, 'd')])),
  'mkdir 114': onMount(() => famfs(['mkdir', mainMount().mpt])),

  'getmap 0': onMount(() => famfs(['getmap', mainMount().file])),
  'getmap 1': plain(() => famfs(['getmap', MKFS_BIN])),
  'getmap 2': onMount(() => {
    // A long entry timeout keeps the file known to the kernel after its shadow file is spoiled.
    const { mpt } = mounted('gm2', made('gm2.img'), ['-t', '3600']);
    const f = path.join(mpt, 'nomap');
    famfs(['creat', '-s', '2m', f]);
    fs.statSync(f);
    const shadow = JSON.parse(famfs(['fsck', '--json', mpt]).stdout).mount.shadow as string;
    fs.writeFileSync(path.join(shadow, 'root', 'nomap'), 'garbage: [\n');
    return famfs(['getmap', f]);
  }),
  'getmap 9': plain(() => famfs(['getmap', path.join(dir, 'missing')])),
  'getmap 21': plain(() => famfs(['getmap', dir])),
  'getmap 22': plain(() => famfs(['getmap'])),

  'flush N': plain(() => ({ run: famfs(['flush', path.join(dir, 'no1'), path.join(dir, 'no2')]), n: 2 })),
  'flush 1': plain(() => famfs(['flush'])),

  'chkread 0': onMount(() => famfs(['chkread', mainMount().file])),
  'chkread 1': plain(() => famfs(['chkread', path.join(dir, 'missing')])),

  'clone 0': onMount(() => famfs(['clone', mainMount().file, path.join(mainMount().mpt, 'twin')])),
  'clone 1': onMount(() => {
    const { mpt, file } = mainMount();
    return famfs(['clone', file, path.join(mpt, 'twin2')], { FAMFS_SYSTEM_UUID: OTHER_UUID });
  }),
  'clone 2': onMount(() => famfs(['clone', path.join(mainMount().mpt, 'nope'), path.join(mainMount().mpt, 'x')])),
  'clone 17': onMount(() => famfs(['clone', mainMount().file, path.join(mainMount().mpt, 'd')])),
  'clone 21': onMount(() => famfs(['clone', path.join(mainMount().mpt, 'd'), path.join(mainMount().mpt, 'x')])),
  'clone 22': onMount(() =>
    famfs(['clone', path.join(mainMount().mpt, '.meta/.log'), path.join(mainMount().mpt, 'x')]),
  ),

  'check 0': onMount(() => famfs(['check', mounted('chk').mpt])),
  'check 1': onMount(() => famfs(['check', path.relative(process.cwd(), mainMount().mpt)])),
  'check 22': plain(() => famfs(['check'])),

  'mkmeta 0': onMount(() => famfs(['mkmeta', mainMount().dev])),
  'mkmeta 2': plain(() => famfs(['mkmeta', made('mkmeta2.img')])),

  'cp 0': onMount(() => famfs(['cp', MKFS_BIN, path.join(mainMount().mpt, 'cp0')])),
  'cp 1': plain(() => famfs(['cp', MKFS_BIN])),
  'cp 12': onMount(() => {
    const dev = made('full.img');
    const s = LogSession.open(dev, { systemUuid: MASTER });
    for (let i = 0; s.freeSlots > 0; i++) s.mkdir(`d${i}`, { mode: 0o755 });
    s.close();
    return famfs(['cp', MKFS_BIN, path.join(mounted('full', dev).mpt, 'x')]);
  }),
  'cp 22': onMount(() => famfs(['cp', '/dev/null', path.join(mainMount().mpt, 'null')])),
  'cp 28': onMount(() => famfs(['cp', sparse('huge.src', 9 * GiB), path.join(mainMount().mpt, 'huge')])),

  'check-system 0': plain(() =>
    onFakeHost((f) => {
      setKernel(f, 'v10');
      return famfs(['check-system'], fakeEnv(f));
    }),
  ),
  'check-system 1': plain(() =>
    onFakeHost((f) => {
      setKernel(f, 'stock');
      fs.rmSync(path.join(f.devRoot, 'fuse'));
      return famfs(['check-system'], fakeEnv(f));
    }),
  ),
};

const ROWS = exitTable();
const keyOf = (r: Row) => `${r.command} ${r.exit}`;

describe('the exit-code table of docs/cli.md', () => {
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'famfs-exit-'));
  });
  afterAll(() => {
    mounts.cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('has a row for every command and a scenario for every row, and no scenario without a row', () => {
    expect(ROWS.length).toBeGreaterThan(40);
    expect(ROWS.map(keyOf).filter((k) => !(k in SCENARIOS))).toEqual([]);
    expect(Object.keys(SCENARIOS).filter((k) => !ROWS.some((r) => keyOf(r) === k))).toEqual([]);
    const commands = new Set(ROWS.map((r) => r.command));
    for (const c of ['famfs', 'mkfs', 'mount', 'umount', 'fsck', 'logplay', 'creat', 'verify', 'mkdir']) {
      expect(commands).toContain(c);
    }
    for (const c of ['getmap', 'flush', 'chkread', 'clone', 'check', 'mkmeta', 'cp']) expect(commands).toContain(c);
  });

  describe.each(ROWS.map((r) => [keyOf(r), r] as const))('%s', (key, row) => {
    const scenario = SCENARIOS[key];
    const maybe = scenario?.mount && mountUnavailable && process.env.FAMFS_REQUIRE_MOUNT !== '1' ? test.skip : test;
    maybe('the command exits so, with its reason on stderr when it fails', () => {
      if (scenario?.mount && mountUnavailable) throw new Error(`FAMFS_REQUIRE_MOUNT=1 but ${mountUnavailable}`);
      const outcome = scenario.show();
      const r = 'run' in outcome ? outcome.run : outcome;
      const want = row.exit === 'N' ? (outcome as { n: number }).n : Number(row.exit);
      if (row.exit === 'N') expect(want).toBeGreaterThan(1);
      // A failure names its reason (counts of problems report them on stdout or stderr).
      const reason = want === 0 || row.exit === 'N' ? r.stderr : expect.stringMatching(/\S/);
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: want, stderr: reason });
      expect(r.stderr).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/);
    });
  });
});
