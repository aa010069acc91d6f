import { Device, mapMeta } from '@famfs/libfamfs/device';
import { replayLog } from '@famfs/libfamfs/log';
import { fileEntryDifferences } from '@famfs/libfamfs/mount';
import { shadowRootOf, ShadowTree } from '@famfs/libfamfs/shadow';
import { FileEntry } from '@famfs/libfamfs/format';

/**
 * `famfs logplay --shadowtest`: after a replay, read back every logged file's shadow YAML (the
 * one hardened reader the daemon uses) and compare it with its log entry. Returns one line per
 * file that is missing, unreadable or different; the C famfs counts these in its exit code.
 */
export function shadowTest(device: string, shadowPath: string): string[] {
  const dev = Device.open(device, { writable: false });
  try {
    const meta = mapMeta(dev);
    dev.invalidate(meta.log, 0, meta.log.length);
    const replay = replayLog(meta.log, meta.sb, device);
    const tree = new ShadowTree(shadowRootOf(shadowPath));
    const problems: string[] = [];
    for (const [rel, index] of replay.files) {
      const logged = replay.entries[index] as FileEntry;
      const read = tree.readEntry(rel);
      if (!read.ok) problems.push(`${rel}: shadow file ${read.problem.message}`);
      else {
        const diffs = fileEntryDifferences(read.entry, logged);
        if (diffs.length > 0) problems.push(`${rel}: shadow file differs from the log (${diffs.join('; ')})`);
      }
    }
    return problems;
  } finally {
    dev.close();
  }
}
