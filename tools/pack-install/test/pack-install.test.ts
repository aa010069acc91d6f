/**
 * The published packages as a user gets them: `npm pack` of each, the tarballs installed into a
 * fresh directory outside the repository with install scripts off (pnpm's default, and where
 * npm is going), then famfs run from there: mkfs on a sparse file, fsck, a real mount with a file
 * copied in and read back, umount. Nothing may have been compiled: the addon is the prebuild.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { cleanupMounts, daemonsServing, mountsUnder, mountUnavailable } from './mounts';
import { installTarballs, Packed, packAll, publishedPackages, run, userEnv } from './packing';

const UUID = '7e57ab1e-0000-4000-8000-00000000fa35';
const required = process.env.FAMFS_REQUIRE_MOUNT === '1';

let tmp = '';
let app = '';
let packed: Packed[] = [];

beforeAll(() => {
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'famfs-pack-')));
  app = path.join(tmp, 'app');
  packed = packAll(publishedPackages(), path.join(tmp, 'tarballs'));
  installTarballs(
    app,
    packed.map((p) => path.join(tmp, 'tarballs', p.filename)),
  );
});

afterAll(() => {
  if (!tmp) return;
  cleanupMounts(tmp);
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Runs an installed command as a user would: the link npm put in node_modules/.bin. */
function cmd(name: string, args: string[], env: Record<string, string> = {}) {
  const extra = { FAMFS_SYSTEM_UUID: UUID, FAMFS_RUN_DIR: path.join(tmp, 'run'), ...env };
  return run(path.join(app, 'node_modules', '.bin', name), args, app, userEnv(extra));
}

describe('the tarballs', () => {
  test('one per published package (tools/repo-checks holds which those are)', () => {
    expect(packed.map((p) => p.name).sort()).toEqual(
      publishedPackages()
        .map((p) => p.name)
        .sort(),
    );
    expect(packed.map((p) => p.name)).toContain('@famfs/cli');
  });

  test('carry what runs, a README and the LICENSE; no tests, sources, maps or tsconfig', () => {
    for (const p of packed) {
      const files = p.files.map((f) => f.path);
      expect({ name: p.name, has: ['LICENSE', 'README.md', 'package.json'].filter((f) => files.includes(f)) }).toEqual({
        name: p.name,
        has: ['LICENSE', 'README.md', 'package.json'],
      });
      const stray = files.filter((f) => /(^|\/)test\/|\.map$|tsconfig|jest\.config|^src\/|\.test\./.test(f));
      expect({ name: p.name, stray }).toEqual({ name: p.name, stray: [] });
    }
  });

  test('@famfs/native carries the linux-x64 prebuild and the sources of the compile fallback', () => {
    const files = packed.find((p) => p.name === '@famfs/native')!.files.map((f) => f.path);
    expect(files).toContain('prebuilds/linux-x64/@famfs+native.glibc.node');
    expect(files).toEqual(
      expect.arrayContaining(['binding.gyp', 'csrc/addon.cc', 'csrc/common.h', 'scripts/install.js']),
    );
  });
});

describe('installed with --ignore-scripts', () => {
  test('nothing was compiled, and the addon in use is the prebuild', () => {
    const native = path.join(app, 'node_modules', '@famfs', 'native');
    expect(fs.existsSync(path.join(native, 'build'))).toBe(false);
    const r = run(process.execPath, ['-p', "require('@famfs/native').addonFile()"], app);
    expect(r.stdout.trim()).toBe(path.join(native, 'prebuilds', `linux-${os.arch()}`, '@famfs+native.glibc.node'));
  });

  test('`npx @famfs/cli` runs famfs', () => {
    const r = run('npx', ['--offline', '@famfs/cli', '--help'], app);
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    expect(r.stdout).toMatch(/^Usage: famfs \[-h \| -V\] <command>/);
  });

  test('mkfs.famfs on a sparse file, then famfs fsck: both exit 0', () => {
    const dev = path.join(tmp, 'dev.img');
    fs.writeFileSync(dev, '');
    fs.truncateSync(dev, 4 * 1024 ** 3);
    const mkfs = cmd('mkfs.famfs', [dev]);
    expect({ status: mkfs.status, stderr: mkfs.stderr }).toEqual({ status: 0, stderr: '' });
    const fsck = cmd('famfs', ['fsck', dev]);
    expect({ status: fsck.status, stderr: fsck.stderr }).toEqual({ status: 0, stderr: '' });
    expect(fsck.stdout).toMatch(/No allocation errors found/);
  });

  const mountDescribe = mountUnavailable && !required ? describe.skip : describe;
  if (mountUnavailable && !required) console.log(`pack-install mount tests: skipped: ${mountUnavailable}`);

  mountDescribe('a real mount', () => {
    afterAll(() => cleanupMounts(tmp));

    test('famfs mount, cp a file in, read it through the mount, famfs umount: nothing left', () => {
      if (mountUnavailable) throw new Error(`FAMFS_REQUIRE_MOUNT=1 but ${mountUnavailable}`);
      const dev = path.join(tmp, 'dev.img');
      const mpt = path.join(tmp, 'mnt');
      const shadow = path.join(tmp, 'shadow');
      fs.mkdirSync(mpt);
      fs.mkdirSync(shadow);
      const mount = cmd('famfs', ['mount', '-S', shadow, dev, mpt]);
      expect({ status: mount.status, stderr: mount.stderr }).toEqual({ status: 0, stderr: '' });
      expect(mount.stdout).toMatch(/ as master;/);

      const src = path.join(tmp, 'hello.txt');
      fs.writeFileSync(src, 'famfs from the tarballs\n');
      const cp = cmd('famfs', ['cp', src, `${mpt}/`]);
      expect({ status: cp.status, stderr: cp.stderr }).toEqual({ status: 0, stderr: '' });
      expect(fs.readFileSync(path.join(mpt, 'hello.txt'), 'utf8')).toBe('famfs from the tarballs\n');

      const umount = cmd('famfs', ['umount', mpt]);
      expect({ status: umount.status, stderr: umount.stderr }).toEqual({ status: 0, stderr: '' });
      expect(mountsUnder(tmp)).toEqual([]);
      expect(daemonsServing(tmp)).toEqual([]);
    });
  });

  test('without the addon: --help works, and a command fails in one line that names the fix', () => {
    const prebuilds = path.join(app, 'node_modules', '@famfs', 'native', 'prebuilds');
    fs.renameSync(prebuilds, `${prebuilds}.off`);
    try {
      expect(cmd('famfs', ['--help']).status).toBe(0);
      const r = cmd('famfs', ['fsck', path.join(tmp, 'dev.img')]);
      expect(r.status).not.toBe(0);
      expect(r.stdout).toBe('');
      const fix = `npm --prefix ${path.join(app, 'node_modules', '@famfs', 'native')} run install`;
      expect(r.stderr).toContain(`the famfs native addon has no build for linux-${os.arch()}`);
      expect(r.stderr).toContain(fix);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    } finally {
      fs.renameSync(`${prebuilds}.off`, prebuilds);
    }
  });
});
