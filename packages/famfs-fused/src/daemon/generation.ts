/**
 * The log line saying which famfs kernel ABI generation a mount runs with and how it was found:
 * forced with --abi, or what the push generation's DAXDEV_OPEN probe answered after INIT (ENOTTY:
 * the ioctl does not exist, so the pull generation, V10).
 */
import { AUTO_PROFILE } from '@famfs/fuse';
import type { NegotiatedInit } from '@famfs/fuse';

export function describeGeneration(
  init: Pick<NegotiatedInit, 'profile' | 'probes' | 'famfs'>,
  requested: string,
): string {
  const famfs = init.famfs ? '' : '; FUSE_DAX_FMAP not negotiated, so the stock data path serves';
  if (requested !== AUTO_PROFILE) return `famfs kernel ABI ${init.profile} (chosen with --abi)${famfs}`;
  const found = init.probes.map((p) => {
    const what = p.present ? `the ${p.profile} generation` : `no ${p.profile} generation`;
    return `DAXDEV_OPEN (ioctl 0x${p.ioctl.toString(16)}) answered ${p.answer}: ${what}`;
  });
  return `famfs kernel ABI ${init.profile} (${found.join('; ')})${famfs}`;
}
