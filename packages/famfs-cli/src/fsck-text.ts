import {
  FileMetaLayout,
  GiB,
  InterleavedExtLayout,
  LOG_HEADER_SIZE,
  LogEntryLayout,
  LogFmapLayout,
  LogHeaderLayout,
  MkdirLayout,
  SimpleExtentLayout,
  SuperblockLayout,
} from '@famfs/libfamfs/format';
import { FsckReport } from '@famfs/libfamfs/log';

const ROLE_TEXT = { master: 'Owner', client: 'Client', nosuper: 'Invalid superblock' } as const;

function gigs(bytes: number): string {
  return `${(bytes / GiB).toFixed(2)}G`;
}

function fixed(n: number, digits: number): string {
  return Number.isFinite(n) ? n.toFixed(digits) : 'inf';
}

/**
 * The fsck report in the C famfs' layout, line for line, so scripts written against either
 * implementation read both. Lines the C famfs does not have appear only when there is something
 * wrong to name (bad entries, collisions, tree conflicts) or a non-current version.
 */
export function formatFsck(r: FsckReport, opts: { human?: boolean; verbose?: boolean } = {}): string {
  const L: string[] = [];
  const sb = r.superblock;
  L.push('Famfs Superblock:');
  L.push(`  Filesystem UUID:   ${sb.fsUuid}`);
  L.push(`  Device UUID:       ${sb.devUuid}`);
  L.push(`  System UUID:       ${sb.systemUuid}`);
  L.push(`  role of this node: ${ROLE_TEXT[sb.role]}`);
  if (sb.version !== 48) L.push(`  version:           ${sb.version} (read as 48: same layout)`);
  L.push(`  alloc_unit:        0x${sb.allocUnit.toString(16)}`);
  L.push(`  OMF major version: ${sb.omfMajor}`);
  L.push(`  OMF minor version: ${sb.omfMinor}`);
  L.push(`  sizeof superblock: ${SuperblockLayout.size}`);
  L.push(`  log size (bytes):  ${sb.logLen}`);
  L.push(`  primary: ${sb.daxdevName}   ${sb.daxdevSize}`);
  L.push('');
  L.push('Log stats:');
  L.push(`  # of log entries in use: ${r.log.entriesUsed} of ${r.log.entriesTotal}`);
  L.push(`  Log size in use:          ${r.log.bytesInUse}`);
  L.push(`  Log size (total bytes)    ${sb.logLen}`);
  if (r.collisionCount > 0) {
    L.push(`  ERROR: ${r.collisionCount} ALLOCATION COLLISIONS FOUND`);
    for (const c of r.collisions) {
      L.push(
        `    ${c.first} and ${c.second} share ${c.units} allocation unit(s) from offset 0x${c.offset.toString(16)}`,
      );
    }
  } else {
    L.push('  No allocation errors found');
    L.push('');
    const c = r.capacity;
    const size = opts.human ? gigs : (n: number) => String(n);
    L.push('Capacity:');
    L.push(`  Device capacity:        ${size(c.deviceBytes)}`);
    L.push(`  Bitmap capacity:        ${size(c.bitmapBytes)}`);
    L.push(`  Sum of file sizes:      ${size(c.fileBytes)}`);
    L.push(
      opts.human
        ? `  Allocated space:        ${gigs(c.allocatedBytes)}`
        : `  Allocated bytes:        ${c.allocatedBytes}`,
    );
    L.push(`  Free space:             ${size(c.freeBytes)}`);
    L.push(`  Space amplification:     ${fixed(c.amplification, 2)}`);
    L.push(`  Percent used:            ${fixed(c.percentUsed, 1)}%`);
  }
  L.push('');
  L.push('Famfs log:');
  L.push(`  ${r.log.entriesUsed} of ${r.log.entriesTotal} entries used`);
  L.push(`  ${r.badEntries.length} bad log entries detected`);
  for (const b of r.badEntries) L.push(`    ${b.reason}${b.torn ? ' (torn: the last append did not complete)' : ''}`);
  L.push(`  ${r.files} files`);
  L.push(`  ${r.directories} directories`);
  if (r.treeConflicts.length > 0) {
    L.push(`  ${r.treeConflicts.length} entries whose path does not fit the tree:`);
    for (const t of r.treeConflicts) L.push(`    log entry ${t.index}: '${t.path}': ${t.reason}`);
  }
  L.push('');
  if (r.buckets) {
    L.push(`Buckets (${r.buckets.length}):`);
    L.push('  bucket  start            size      used      free      largest free run');
    for (const b of r.buckets) {
      const pct = b.bytes === 0 ? 0 : (100 * b.usedBytes) / b.bytes;
      L.push(
        `  ${String(b.index).padStart(6)}  0x${b.startOffset.toString(16).padEnd(14)} ${gigs(b.bytes).padStart(8)}  ${gigs(b.usedBytes).padStart(8)}  ${gigs(b.freeBytes).padStart(8)}  ${gigs(b.largestFreeRun).padStart(8)}   ${pct.toFixed(1)}% used`,
      );
    }
    L.push('');
  }
  if (opts.verbose) {
    L.push('Verbose:');
    L.push(`  log_offset:        ${sb.logOffset}`);
    L.push(`  log_len:           ${sb.logLen}`);
    L.push('  log_entry components:');
    L.push(`      sizeof(log header) ${LogHeaderLayout.size}`);
    L.push(`      sizeof(log_entry)  ${LogEntryLayout.size}`);
    L.push(`          sizeof(mkdir)     ${MkdirLayout.size}`);
    L.push(`          sizeof(file_meta) ${FileMetaLayout.size}`);
    L.push(`              sizeof(fmap)    ${LogFmapLayout.size}`);
    L.push(`                  sizeof(interleaved_ext[1]): ${InterleavedExtLayout.size}`);
    L.push(`                  sizeof(famfs_simple_ext[16]): ${SimpleExtentLayout.size}`);
    L.push(`  last_log_index:    ${r.log.lastIndex}`);
    // The C famfs prints header + last_index entries here (one slot short of the total).
    L.push(`  usable log size:   ${LOG_HEADER_SIZE + r.log.lastIndex * LogEntryLayout.size}`);
    L.push(`  sizeof(struct famfs_log_file_meta): ${FileMetaLayout.size}`);
    L.push('');
  }
  return L.join('\n') + '\n';
}
