import { spawnSync } from 'child_process';
import { ADDON_PATH } from './helpers';

/**
 * Minor page faults taken by a child process that allocates, fills and frees a buffer 40 times
 * (with a collection between), after keepFreedMemory() when `keep`. Each buffer is 64 KiB larger
 * than the one before (1 MiB to 3.5 MiB): without the call glibc maps each one by itself, since
 * it only lifts its mmap threshold to the size of a block already freed, so every round faults
 * all of its pages in afresh; with it, each round reuses the memory of the one before.
 */
function faultsOfChurn(keep: boolean): number {
  const script = `
    const addon = require(${JSON.stringify(ADDON_PATH)});
    if (${keep} && addon.keepFreedMemory() !== true) throw new Error('malloc refused');
    const before = process.resourceUsage().minorPageFault;
    for (let i = 0; i < 40; i++) {
      let b = Buffer.allocUnsafeSlow((1 << 20) + i * 65536).fill(i);
      b = undefined;
      globalThis.gc();
    }
    process.stdout.write(String(process.resourceUsage().minorPageFault - before));
  `;
  const r = spawnSync(process.execPath, ['--expose-gc', '-e', script], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`child failed: ${r.stderr}`);
  return Number(r.stdout);
}

const glibc = Boolean(
  (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } })?.header?.glibcVersionRuntime,
);

(glibc ? test : test.skip)(
  'keepFreedMemory: freed blocks of a few MiB are reused, not mapped and faulted in afresh each time',
  () => {
    const without = faultsOfChurn(false);
    const kept = faultsOfChurn(true);
    // Without it: 40 blocks of 256 pages and more, 22,700 in all; with it about one block's worth.
    expect(without).toBeGreaterThan(40 * 256);
    expect(kept).toBeLessThan(without / 4);
  },
);
