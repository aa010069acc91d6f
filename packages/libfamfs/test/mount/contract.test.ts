// The CLI-daemon contract: file names in the shadow path and the daemon status record.
import * as fs from 'fs';
import * as path from 'path';
import { DaemonStatus, daemonPaths, readDaemonStatus, writeDaemonStatus } from '../../src/mount/contract';
import { kernelAfterMount } from '../../src/mount/mount-device';
import type { KernelFacts } from '../../src/device/kernel-support';
import { useTempDir } from '../support';

const tmp = useTempDir();
const STATUS: DaemonStatus = {
  schema: 1,
  pid: 1234,
  device: '/dev/dax0.0',
  mountpoint: '/mnt/famfs',
  shadow: '/run/famfs_shadow_x',
  role: 'master',
  famfs: false,
  profile: 'v10',
  dataPath: 'stock',
  startedAt: '2025-01-01T00:00:00.000Z',
};

test('the names, under the shadow path', () => {
  expect(daemonPaths('/s')).toEqual({
    pid: '/s/famfs_fused.pid',
    status: '/s/famfs_fused.status.json',
    socket: '/s/sock',
  });
});

test('a status record round-trips and is replaced whole, leaving no temporary file', () => {
  expect(readDaemonStatus(tmp())).toBeUndefined();
  writeDaemonStatus(tmp(), STATUS);
  expect(readDaemonStatus(tmp())).toEqual(STATUS);
  const next: DaemonStatus = { ...STATUS, famfs: true, dataPath: 'dax', initAt: '2025-01-01T00:00:01.000Z' };
  writeDaemonStatus(tmp(), next);
  expect(readDaemonStatus(tmp())).toEqual(next);
  expect(fs.readdirSync(tmp())).toEqual(['famfs_fused.status.json']);
});

test('a record that is not JSON, or not a status, reads as none', () => {
  const file = daemonPaths(tmp()).status;
  fs.writeFileSync(file, '{"pid": 1');
  expect(readDaemonStatus(tmp())).toBeUndefined();
  for (const bad of [
    { ...STATUS, schema: 2 },
    { ...STATUS, dataPath: 'fast' },
    { ...STATUS, pid: '1' },
    { ...STATUS, device: 3 },
    null,
    [1],
  ]) {
    fs.writeFileSync(file, JSON.stringify(bad));
    expect(readDaemonStatus(tmp())).toBeUndefined();
  }
  fs.writeFileSync(file, JSON.stringify({ ...STATUS, device: null, role: undefined }));
  expect(readDaemonStatus(path.join(tmp()))).toEqual({ ...STATUS, device: null, role: undefined });
});

test("the push probe's outcome round-trips; any other value makes the record unreadable", () => {
  const probed: DaemonStatus = { ...STATUS, famfs: true, dataPath: 'dax', profile: 'push', pushProbe: 'push' };
  writeDaemonStatus(tmp(), probed);
  expect(readDaemonStatus(tmp())).toEqual(probed);
  const file = daemonPaths(tmp()).status;
  fs.writeFileSync(file, JSON.stringify({ ...probed, pushProbe: 'maybe' }));
  expect(readDaemonStatus(tmp())).toBeUndefined();
});

test("famfs mount's kernel line takes the daemon's probe over what the files said", () => {
  const facts = { famfsKernel: 'v10' } as KernelFacts;
  expect(kernelAfterMount(facts, { ...STATUS, pushProbe: 'push' }).famfsKernel).toBe('push');
  expect(kernelAfterMount(facts, { ...STATUS, pushProbe: 'no-push' }).famfsKernel).toBe('v10');
  expect(kernelAfterMount(facts, { ...STATUS, pushProbe: 'no-push' }).pushProbe).toBe('no-push');
  expect(kernelAfterMount(facts, STATUS)).toBe(facts);
  expect(kernelAfterMount(facts, undefined)).toBe(facts);
});
