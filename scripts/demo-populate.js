// Demo helper for machines without mounts: logs the repo's own docs and sources as famfs files
// (their data written straight to the device), in one log session.
'use strict';
const fs = require('fs');
const path = require('path');
const { DataPath } = require('@famfs/libfamfs/device');
const { LogSession } = require('@famfs/libfamfs/log');

const dev = process.argv[2];
const systemUuid = process.argv[3] ? Buffer.from(process.argv[3].replace(/-/g, ''), 'hex') : undefined;
const repo = path.resolve(__dirname, '..');
let s;
try {
  s = LogSession.open(dev, { systemUuid });
} catch (e) {
  console.error(`refused: ${e.message}`);
  process.exit(1);
}
try {
  const data = new DataPath(s.device);
  s.mkdir('docs');
  s.mkdir('src', { mode: 0o750 });
  const files = [['README.md', 'docs/README.md']];
  for (const f of fs.readdirSync(path.join(repo, 'packages/libfamfs/src')).filter((n) => n.endsWith('.ts'))) {
    files.push([path.join('packages/libfamfs/src', f), `src/${f}`]);
  }
  for (const [src, dst] of files) {
    const size = fs.statSync(path.join(repo, src)).size;
    const e = s.createFile(dst, size, { mode: 0o644 });
    data.write(e, 0, fs.readFileSync(path.join(repo, src)));
    const x = e.fmap.extents[0];
    console.log(`  ${dst.padEnd(28)} ${String(size).padStart(7)} bytes at 0x${x.offset.toString(16)}`);
  }
  s.createFile('big-1g', 1024 ** 3);
  console.log(`  big-1g                       1 GiB; log now holds ${s.nextIndex} entries`);
} finally {
  s.close();
}
