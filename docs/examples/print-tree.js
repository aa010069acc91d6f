#!/usr/bin/env node
// Prints the tree of a famfs device with each file's size and extents, using only the public
// API of @famfs/libfamfs. Read-only: it works on any host and on a mounted device.
//
//   node docs/examples/print-tree.js DEVICE          # a devdax device, pmem device or image file
//   node docs/examples/print-tree.js --mount PATH    # the device of the famfs mounted at PATH
//
// Build the library first (npm run build, or npx tsc -p packages/libfamfs/tsconfig.json).
// print-tree.ts is the same program in TypeScript.
'use strict';
const { readFamfs, readMountedFamfs, fmapExtents, isFamfsError } = require('@famfs/libfamfs');

/** 2097152 -> "2 MiB"; sizes that are not a whole number of units stay in bytes. */
function human(n) {
  for (const [unit, size] of [
    ['GiB', 2 ** 30],
    ['MiB', 2 ** 20],
    ['KiB', 2 ** 10],
  ]) {
    if (n >= size && n % size === 0) return `${n / size} ${unit}`;
  }
  return `${n} B`;
}

const hex = (n) => `0x${n.toString(16)}`;
const octal = (mode) => (mode & 0o7777).toString(8).padStart(4, '0');

/** The directory tree: the root, every logged directory, and any parent the log implies (.meta). */
function buildTree(snap) {
  const root = { name: '', dir: undefined, file: undefined, children: new Map() };
  const nodeAt = (path) => {
    let node = root;
    for (const part of path.split('/')) {
      if (!node.children.has(part))
        node.children.set(part, { name: part, dir: undefined, file: undefined, children: new Map() });
      node = node.children.get(part);
    }
    return node;
  };
  for (const d of snap.directories) nodeAt(d.path).dir = d;
  for (const f of snap.files) nodeAt(f.path).file = f;
  return root;
}

function fileLines(f, pad) {
  const exts = fmapExtents(f.fmap);
  const lines = [];
  if (f.fmap.kind === 'simple') {
    exts.forEach((e, i) =>
      lines.push(`${pad}extent ${i}: offset ${hex(e.offset)} length ${hex(e.len)} (${human(e.len)})`),
    );
  } else {
    lines.push(`${pad}interleaved: ${f.fmap.nstrips} strips, chunk ${human(f.fmap.chunkSize)}`);
    exts.forEach((e, i) =>
      lines.push(`${pad}strip ${i}: offset ${hex(e.offset)} length ${hex(e.len)} (${human(e.len)})`),
    );
  }
  return lines;
}

function printNode(node, prefix, out) {
  const kids = [...node.children.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  kids.forEach((kid, i) => {
    const last = i === kids.length - 1;
    const branch = prefix + (last ? '└── ' : '├── ');
    const below = prefix + (last ? '    ' : '│   ');
    if (kid.file) {
      const f = kid.file;
      out.push(`${branch}${kid.name}  ${f.size} bytes (${human(f.size)})  ${octal(f.mode)} ${f.uid}:${f.gid}`);
      out.push(...fileLines(f, below + '    '));
    } else {
      const d = kid.dir;
      out.push(`${branch}${kid.name}/` + (d ? `  ${octal(d.mode)} ${d.uid}:${d.gid}` : '  (not logged)'));
      printNode(kid, below, out);
    }
  });
}

function main(argv) {
  const byMount = argv[0] === '--mount';
  const target = byMount ? argv[1] : argv[0];
  if (!target || argv.length !== (byMount ? 2 : 1)) {
    process.stderr.write('usage: print-tree.js DEVICE | print-tree.js --mount PATH\n');
    return 2;
  }
  let snap;
  try {
    snap = byMount ? readMountedFamfs(target) : readFamfs(target);
  } catch (e) {
    process.stderr.write(`print-tree: ${isFamfsError(e) ? `${e.message} (${e.code})` : e}\n`);
    return 1;
  }
  const sb = snap.superblock;
  const h = snap.logHeader;
  const out = [
    `famfs on ${snap.device} (${snap.deviceKind}, ${human(snap.deviceSize)})` +
      (snap.mount ? ` mounted at ${snap.mount.mountpoint}` : ''),
    `superblock v${sb.version}, file system ${sb.fsUuid}, master ${sb.systemUuid}; this host is ${snap.role}`,
    `log: ${human(sb.logLen)} at ${hex(sb.logOffset)}, ${h.nextIndex} of ${h.lastIndex + 1} entries in use`,
    '/',
  ];
  printNode(buildTree(snap), '', out);
  out.push(
    `${snap.files.length} files, ${snap.directories.length} directories, ${snap.badEntries.length} bad entries, ${snap.treeConflicts.length} tree conflicts`,
  );
  for (const b of snap.badEntries) out.push(`bad entry: ${b.reason}${b.torn ? ' (torn last entry)' : ''}`);
  process.stdout.write(out.join('\n') + '\n');
  return 0;
}

process.exitCode = main(process.argv.slice(2));
