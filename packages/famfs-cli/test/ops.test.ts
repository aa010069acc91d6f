/**
 * famfs run as a system tool (issue 14, parts 3 and 4), with real mounts: other users read it as
 * its modes say; `mount -t famfs` through the mount.famfs helper; a plain `umount` or
 * `umount -l` makes the daemon remove what the mount left; `famfs mount` lists the mounts; the
 * daemon's log file has levels and time stamps, and its level changes through the socket.
 * Every test unmounts in every outcome and stops only the daemons serving its own temp dir.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { daemonsFor, fuseMountsUnder, mountSuite, TestMounts } from './mounts';
import { C_MASTER_UUID, famfs, FAMFS_BIN, sparseFile, useTempDir } from './run';
import { waitFor } from '../src/wait';

const lib = require('./built-libfamfs');
const GiB = 1024 ** 3;
const MASTER = Buffer.from(C_MASTER_UUID.replace(/-/g, ''), 'hex');
const NOBODY = 65534;
const HELPER = '/sbin/mount.famfs';

const tmp = useTempDir();
const mounts = new TestMounts(tmp);

/** A device holding a 0644 and a 0600 file (owned by root), in a temp dir others may traverse. */
function device(): string {
  fs.chmodSync(tmp(), 0o755);
  const dev = sparseFile(tmp(), 8 * GiB);
  lib.mkfs(dev, { systemUuid: MASTER });
  const s = lib.LogSession.open(dev, { systemUuid: MASTER });
  try {
    s.createFile('public', 4096, { mode: 0o644, uid: 0, gid: 0 });
    s.createFile('private', 4096, { mode: 0o600, uid: 0, gid: 0 });
  } finally {
    s.close();
  }
  return dev;
}

function shadowOf(stdout: string): string {
  return /shadow (\S+);/.exec(stdout)![1];
}

/** After the kernel ended the session: no daemon, no mount, no shadow tree, no record (waits for the daemon to finish). */
function expectNothingLeft(shadow: string): void {
  const gone = () =>
    daemonsFor(tmp()).length === 0 &&
    !fs.existsSync(shadow) &&
    fs.readdirSync(mounts.runDir).filter((n) => n.endsWith('.json')).length === 0;
  waitFor(gone, 15_000);
  expect(fuseMountsUnder(tmp())).toEqual([]);
  expect(daemonsFor(tmp())).toEqual([]);
  expect(fs.existsSync(shadow)).toBe(false);
  expect(fs.readdirSync(mounts.runDir).filter((n) => n.endsWith('.json'))).toEqual([]);
}

function diag(socket: string, method: string, urlPath: string, body = ''): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: socket, method, path: urlPath }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const LINE =
  /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (emerg|alert|crit|err|warning|notice|info|debug) famfs_fused\[\d+\]: \S/;

mountSuite('famfs ops tests')('famfs as a system tool', () => {
  afterEach(() => mounts.cleanup());

  test('mounted by root, read by uid 65534: a 0644 file reads, a 0600 file is refused', () => {
    const dev = device();
    const mpt = path.join(tmp(), 'mnt');
    const r = mounts.mount(dev, mpt);
    expect(r.code).toBe(0);
    const asNobody = (args: string[]) => spawnSync('cat', args, { uid: NOBODY, gid: NOBODY, encoding: 'utf8' });
    const ls = spawnSync('ls', [mpt], { uid: NOBODY, gid: NOBODY, encoding: 'utf8' });
    expect(ls.status).toBe(0);
    expect(ls.stdout.split('\n')).toEqual(expect.arrayContaining(['public', 'private']));
    const pub = asNobody([path.join(mpt, 'public')]);
    expect(pub.status).toBe(0);
    expect(pub.stdout.length).toBe(4096);
    const priv = asNobody([path.join(mpt, 'private')]);
    expect(priv.status).not.toBe(0);
    expect(priv.stderr).toMatch(/Permission denied/);
  });

  test('mount -t famfs through /sbin/mount.famfs with -o options; umount -l leaves nothing behind', () => {
    if (fs.existsSync(HELPER) || isSymlink(HELPER)) {
      console.log(`ops.test.ts: ${HELPER} exists (not ours): the mount(8) helper test is skipped`);
      return;
    }
    const dev = device();
    const mpt = path.join(tmp(), 'mnt');
    fs.mkdirSync(mpt);
    fs.symlinkSync(FAMFS_BIN, HELPER);
    let out;
    try {
      out = spawnSync('mount', ['-t', 'famfs', '-o', 'follow=250,loglevel=info,io_uring,nofail,x-test=1', dev, mpt], {
        encoding: 'utf8',
        env: { ...process.env, ...mounts.env() },
      });
    } finally {
      fs.rmSync(HELPER, { force: true });
    }
    expect({ status: out.status, stderr: out.stderr }).toEqual({ status: 0, stderr: '' });
    expect(fuseMountsUnder(tmp())).toEqual([mpt]);
    const shadow = shadowOf(out.stdout);
    expect(fs.statSync(path.join(mpt, 'public')).size).toBe(4096);
    // The -o options reached the daemon (io_uring too: where the kernel does not offer it, as
    // with the fuse module's enable_uring off, the daemon serves through /dev/fuse).
    const [pid] = daemonsFor(tmp());
    expect(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8')).toMatch(/follow=250,.*loglevel=info,.*io_uring/);
    spawnSync('umount', ['-l', mpt]);
    expectNothingLeft(shadow);
  });

  test('mount.famfs: a bad -o option is refused; -s drops it; -f mounts nothing', () => {
    const dev = device();
    const mpt = path.join(tmp(), 'mnt');
    fs.mkdirSync(mpt);
    // bin/famfs.js runs as mount.famfs when called by that name, as through /sbin/mount.famfs.
    const bin = path.join(tmp(), 'mount.famfs');
    fs.symlinkSync(FAMFS_BIN, bin);
    const helper = (args: string[]) => famfs(args, mounts.env(), bin);
    const bad = helper([dev, mpt, '-o', 'bogus=1']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/unknown -o option 'bogus'/);
    expect(helper([dev, mpt, '-f', '-s', '-o', 'bogus=1,follow=10']).code).toBe(0);
    expect(fuseMountsUnder(tmp())).toEqual([]);
    expect(helper([dev, mpt, '-o', 'ro']).stderr).toMatch(/read-write/);
  });

  test('a plain umount: the daemon removes its shadow tree, pid and status files and mount record, and exits', () => {
    const dev = device();
    const mpt = path.join(tmp(), 'mnt');
    const r = mounts.mount(dev, mpt);
    expect(r.code).toBe(0);
    const shadow = shadowOf(r.stdout);
    expect(fs.existsSync(path.join(shadow, 'famfs_fused.pid'))).toBe(true);
    expect(spawnSync('umount', [mpt]).status).toBe(0);
    expectNothingLeft(shadow);
    expect(fs.readFileSync(mounts.daemonLog(mpt), 'utf8')).toMatch(/unmounted: removed its mount record/);
  });

  test('a shadow path given with -S: a plain umount removes only what the mount put there', () => {
    const dev = device();
    const mpt = path.join(tmp(), 'mnt');
    const shadow = path.join(tmp(), 'shadow');
    fs.mkdirSync(shadow);
    expect(mounts.mount(dev, mpt, undefined, ['-o', `shadow=${shadow}`]).code).toBe(0);
    expect(spawnSync('umount', [mpt]).status).toBe(0);
    waitFor(() => daemonsFor(tmp()).length === 0 && !fs.existsSync(path.join(shadow, 'root')), 15_000);
    expect(daemonsFor(tmp())).toEqual([]);
    expect(fs.readdirSync(shadow).filter((n) => n !== 'sock')).toEqual([]);
    expect(fs.readdirSync(mounts.runDir).filter((n) => n.endsWith('.json'))).toEqual([]);
  });

  test('famfs mount with no arguments lists the mounts: device, mount point, role, data path', () => {
    const dev = device();
    const m1 = path.join(tmp(), 'master');
    const m2 = path.join(tmp(), 'client');
    expect(mounts.mount(dev, m1).code).toBe(0);
    expect(mounts.mount(dev, m2, 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee').code).toBe(0);
    const r = famfs(['mount'], mounts.env());
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^DEVICE +MOUNTPOINT +ROLE +DATA PATH +PID$/);
    const row = (mpt: string) => lines.find((l) => l.split(/ +/)[1] === mpt)?.split(/ +/);
    expect(row(m1)?.slice(0, 4)).toEqual([dev, m1, 'master', 'stock']);
    expect(row(m2)?.slice(0, 4)).toEqual([dev, m2, 'client', 'stock']);
  });

  test('the daemon log: levels and time stamps on every line; the level changed at run time through the socket', async () => {
    const dev = device();
    const mpt = path.join(tmp(), 'mnt');
    const r = mounts.mount(dev, mpt);
    expect(r.code).toBe(0);
    const socket = path.join(shadowOf(r.stdout), 'sock');
    const log = mounts.daemonLog(mpt);
    expect(path.dirname(log)).toBe(mounts.logDir);
    const before = await diag(socket, 'GET', '/log');
    expect(before.body).toBe(
      `log:\n  level: 5\n  level_name: notice\n  destination: file\n  file: ${JSON.stringify(log)}\n`,
    );
    const set = await diag(socket, 'POST', '/log', 'debug');
    expect(set).toEqual({ status: 200, body: 'log level set to 7 debug (from 5 notice)\n' });
    expect((await diag(socket, 'GET', '/log_level')).body).toBe('7\n');
    expect((await diag(socket, 'POST', '/log', 'loud')).status).toBe(400);
    // The C endpoint sets it too.
    expect((await diag(socket, 'POST', '/log_level', '3')).body).toBe('log level set to 3 (from 7)\n');
    const lines = fs
      .readFileSync(log, 'utf8')
      .split('\n')
      .filter((l) => l !== '');
    expect(lines.length).toBeGreaterThan(3);
    for (const l of lines) expect(l).toMatch(LINE);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/ notice famfs_fused\[\d+\]: serving the log of /),
        expect.stringMatching(/ notice famfs_fused\[\d+\]: log level set to 7 \(debug\) from 5 \(notice\)/),
        expect.stringMatching(/ err famfs_fused\[\d+\]: log level set to 3 \(err\) from 7 \(debug\)/),
      ]),
    );
  });

  test('famfs mount quotes the last lines of the daemon log file when the daemon fails', () => {
    const dev = device();
    const mpt = path.join(tmp(), 'mnt');
    fs.mkdirSync(mpt);
    const failing = path.join(tmp(), 'famfs_fused-fails.js');
    fs.writeFileSync(failing, "process.stderr.write('famfs_fused: the last words\\n'); process.exit(1);\n");
    const r = famfs(['mount', dev, mpt], { ...mounts.env(), FAMFS_FUSED: failing });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/famfs_fused did not bring up .* \(it exited\): famfs_fused: the last words/);
    expect(fs.readFileSync(mounts.daemonLog(mpt), 'utf8')).toMatch(/the last words/);
  });
});

function isSymlink(p: string): boolean {
  try {
    return fs.lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}
