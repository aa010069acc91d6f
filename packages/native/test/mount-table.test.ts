// The mountinfo parser: field order, escapes, optional fields, and the live table of this process.
import { mountsAt, mountsHolding, parseMountInfo, readMountTable } from '../src';

const SAMPLE = [
  '22 1 0:21 / / rw,relatime shared:1 - ext4 /dev/vda rw',
  '36 22 98:0 /sub /mnt/with\\040space rw,noatime master:1 propagate_from:2 - ext3 /dev/my\\134disk rw,errors=continue',
  '40 22 0:45 / /mnt/famfs rw,nosuid,nodev,relatime - fuse.famfs /tmp/dev.img rw,user_id=0,group_id=0',
  '41 40 0:46 / /mnt/famfs rw,nosuid,nodev - fuse.famfs other rw,user_id=0',
  'garbage line',
  '',
].join('\n');

test('every field of a line, escapes undone, optional fields skipped', () => {
  const t = parseMountInfo(SAMPLE);
  expect(t).toHaveLength(4);
  expect(t[1]).toEqual({
    mountId: 36,
    parentId: 22,
    devMajor: 98,
    devMinor: 0,
    root: '/sub',
    mountpoint: '/mnt/with space',
    mountOptions: 'rw,noatime',
    fstype: 'ext3',
    source: '/dev/my\\disk',
    superOptions: 'rw,errors=continue',
  });
  expect(t[2].devMinor).toBe(45);
});

test('stacked mounts at one point, and the mounts holding a path innermost first', () => {
  const t = parseMountInfo(SAMPLE);
  expect(mountsAt('/mnt/famfs', t).map((m) => m.mountId)).toEqual([40, 41]);
  expect(mountsHolding('/mnt/famfs/a/b', t).map((m) => m.mountId)).toEqual([40, 41, 22]);
  expect(mountsHolding('/mnt/famfsx', t).map((m) => m.mountId)).toEqual([22]);
  expect(mountsHolding('/', t).map((m) => m.mountId)).toEqual([22]);
});

test('the live table has the root mount; an unreadable file is an empty table', () => {
  expect(readMountTable().some((m) => m.mountpoint === '/')).toBe(true);
  expect(readMountTable('/nonexistent/mountinfo')).toEqual([]);
});
