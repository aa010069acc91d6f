/**
 * c-idiom.sh, a session in the C famfs' own shell idiom (mkfs, mount -v, creat -t0 -r -S 1 -s2m,
 * cp -vvv, mkdir -p of the mount point, logplay -rc, fsck -m, verify, mount -R, curl of the
 * daemon's /icache_stats, umount), run end to end with `famfs` and `mkfs.famfs` on the PATH as an
 * installed famfs-ts puts them.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { C_MASTER_UUID, famfs, FAMFS_BIN, MKFS_BIN } from './run';
import { daemonsFor, fuseMountsUnder, mountSuite } from './mounts';

const SCRIPT = path.join(__dirname, 'c-idiom.sh');

mountSuite('c-idiom.sh')('a C famfs shell script, unchanged', () => {
  let dir = '';
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'famfs-idiom-'));
  });
  afterAll(() => {
    if (dir === '') return; // no directory was made: nothing of this suite's to unmount or stop
    const env = { FAMFS_SYSTEM_UUID: C_MASTER_UUID, FAMFS_RUN_DIR: path.join(dir, 'run') };
    // The script ends with a plain umount; famfs umount clears what that leaves (record, shadow).
    famfs(['umount', path.join(dir, 'mnt')], env);
    for (const m of fuseMountsUnder(dir)) spawnSync('umount', ['-l', m]);
    for (const pid of daemonsFor(dir)) process.kill(pid, 'SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('runs end to end and every step succeeds', () => {
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(bin);
    fs.symlinkSync(FAMFS_BIN, path.join(bin, 'famfs'));
    fs.symlinkSync(MKFS_BIN, path.join(bin, 'mkfs.famfs'));
    const dev = path.join(dir, 'famfs.img');
    fs.writeFileSync(dev, '');
    fs.truncateSync(dev, 8 * 1024 ** 3);
    const mpt = path.join(dir, 'mnt');
    fs.mkdirSync(mpt);
    const r = spawnSync('bash', [SCRIPT, dev, mpt], {
      encoding: 'utf8',
      timeout: 600_000,
      env: {
        ...process.env,
        PATH: `${bin}:${process.env.PATH}`,
        FAMFS_SYSTEM_UUID: C_MASTER_UUID,
        FAMFS_RUN_DIR: path.join(dir, 'run'),
      },
    });
    const transcript = `${r.stdout}\n${r.stderr}`;
    if (r.status !== 0) throw new Error(`c-idiom.sh exited ${r.status}:\n${transcript.slice(-4000)}`);
    expect({ status: r.status, last: r.stdout.trim().split('\n').pop() }).toEqual({
      status: 0,
      last: 'c-idiom: all good',
    });
    // Each step the script names ran, in the C famfs' spelling.
    for (const step of [
      'famfs mount -v',
      'famfs creat -t0 -r -S 1 -s2m',
      'famfs cp -vvv',
      'famfs logplay -rc',
      'famfs fsck -m',
      'famfs mount -R',
    ]) {
      expect(transcript).toContain(`+ ${step}`);
    }
    if (spawnSync('sh', ['-c', 'command -v curl && command -v getfattr']).status === 0) {
      expect(transcript).toMatch(/curl -s --unix-socket \S+\/sock http:\/\/localhost\/icache_stats/);
    }
    expect(transcript).not.toMatch(/\n\s+at .*:\d+:\d+\)/);
  });
});
