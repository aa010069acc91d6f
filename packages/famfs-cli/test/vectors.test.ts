import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { famfs, useTempDir, VECTOR_DIR } from './run';

const VECTORS = ['empty', 'populated', 'empty-log256m', 'populated-log256m', 'logfull-8m'];
const tmp = useTempDir();

function materialize(name: string, dir: string): string {
  const info = JSON.parse(fs.readFileSync(path.join(VECTOR_DIR, `${name}.json`), 'utf8'));
  const p = path.join(dir, `${name}.img`);
  fs.writeFileSync(p, zlib.gunzipSync(fs.readFileSync(path.join(VECTOR_DIR, `${name}.img.meta.gz`))));
  fs.truncateSync(p, info.device_size);
  return p;
}

/** Every path under `root` with its kind, mode, owner and (for files) content. */
function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const name of fs.readdirSync(path.join(root, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const st = fs.lstatSync(path.join(root, r));
      const owner = `${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`;
      if (st.isDirectory()) {
        out[r] = `dir ${owner}`;
        walk(r);
      } else {
        out[r] = `file ${owner}\n${fs.readFileSync(path.join(root, r), 'utf8')}`;
      }
    }
  };
  walk('');
  return out;
}

describe.each(VECTORS)('C famfs image %s', (name) => {
  test.each([
    ['', 'fsck.txt'],
    ['-h', 'fsck-h.txt'],
    ['-v', 'fsck-v.txt'],
  ])('fsck %s prints exactly what the C famfs printed', (flag, file) => {
    const img = materialize(name, tmp());
    const r = famfs(['fsck', ...(flag ? [flag] : []), img]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(fs.readFileSync(path.join(VECTOR_DIR, `${name}.${file}`), 'utf8'));
  });

  test('logplay into a shadow tree gives the C famfs shadow tree', () => {
    const img = materialize(name, tmp());
    const shadow = path.join(tmp(), 'shadow');
    fs.mkdirSync(shadow);
    const r = famfs(['logplay', '--daxdev', img, '--shadow', shadow]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      fs.readFileSync(path.join(VECTOR_DIR, `${name}.logplay.txt`), 'utf8').replace(/exit=\d+\n?$/, ''),
    );
    const tar = path.join(VECTOR_DIR, `${name}.shadow.tar`);
    if (!fs.existsSync(tar)) return; // logfull-8m ships no tree (15,420 files); its counts are checked above
    const expected = path.join(tmp(), 'expected');
    fs.mkdirSync(expected);
    execFileSync('tar', ['xf', tar, '-C', expected, '--same-owner', '--same-permissions']);
    expect(snapshot(path.join(shadow, 'root'))).toEqual(snapshot(path.join(expected, 'root')));
  });

  test('fsck --json carries the same facts', () => {
    const img = materialize(name, tmp());
    const info = JSON.parse(fs.readFileSync(path.join(VECTOR_DIR, `${name}.json`), 'utf8'));
    const r = famfs(['fsck', '--json', img]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.superblock.fsUuid).toBe(info.fs_uuid);
    expect(j.superblock.role).toBe('master');
    expect(j.log.entriesUsed).toBe(info.log_header.next_index);
    expect(j.log.entriesTotal).toBe(info.log_header.last_index + 1);
    expect(j.collisionCount).toBe(0);
  });
});
