#!/usr/bin/env node
// A fake dax host, to try the real-hardware steps of docs/getting-started.md on a machine without
// dax memory (the fake of @famfs/libfamfs/testing, which the tests use; see docs/architecture.md,
// "Testing dax device modes without hardware"). Needs a build (npm ci).
//
//   eval "$(node scripts/fake-host.js create DIR [v10|stock])"   make one; prints the exports
//   node scripts/fake-host.js daxctl DIR daxX.Y devdax|famfs       what daxctl reconfigure-device does
//
// `create` makes DIR (which must not exist) with a kernel of that generation (default v10: famfs in
// the fuse module, the fsdev_dax driver loaded) and one 8 GiB device, dax0.0, in device_dax mode,
// and prints FAMFS_SYSFS_ROOT, NODE_OPTIONS (the preload that points famfs at the fake) and
// DAX=<the node standing for /dev/dax0.0>. `rm -rf DIR` removes it.
'use strict';
const fs = require('fs');
const path = require('path');
const { FakeSysfs, fakeHostEnv } = require('../packages/libfamfs/dist/testing');

function usage() {
  process.stderr.write('usage: fake-host.js create DIR [v10|stock] | daxctl DIR daxX.Y devdax|famfs\n');
  process.exit(1);
}

function create(dir, kernel) {
  const f = FakeSysfs.create(undefined, path.resolve(dir));
  f.setOsRelease(kernel === 'stock' ? '7.1.0' : '7.1.0-famfs');
  f.setKallsyms(kernel === 'stock' ? [] : [['famfs_fuse_iomap_begin', 'fuse']]);
  f.setFilesystems(['sysfs', 'proc', 'fuse']);
  f.addModule('fuse');
  f.addFuseDevice();
  f.setCapEff(0x1ffffffffffn);
  const dax = f.addDevice('dax0.0');
  const env = { ...fakeHostEnv(f, {}), DAX: dax };
  for (const [k, v] of Object.entries(env)) process.stdout.write(`export ${k}='${v}'\n`);
}

function daxctl(dir, name, mode) {
  const f = FakeSysfs.open(fs.realpathSync(dir));
  const target = { devdax: 'device_dax', famfs: 'fsdev_dax' }[mode];
  if (!target) usage();
  f.reconfigure(name, target);
  process.stdout.write(`${name}: ${f.modeOf(name)}\n`);
}

const [cmd, dir, ...rest] = process.argv.slice(2);
if (!dir) usage();
if (cmd === 'create') create(dir, rest[0] ?? 'v10');
else if (cmd === 'daxctl' && rest.length === 2) daxctl(dir, rest[0], rest[1]);
else usage();
