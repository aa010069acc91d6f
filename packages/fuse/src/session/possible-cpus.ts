/**
 * How many CPUs the kernel counts as possible (/sys/devices/system/cpu/possible): FUSE over
 * io_uring has one queue per possible CPU and uses the ring only once every queue has an entry,
 * so this count must be the kernel's exactly (os.cpus() lists the online ones only).
 */
import { readFileSync } from 'fs';

export const POSSIBLE_CPUS_PATH = '/sys/devices/system/cpu/possible';

/**
 * The number of CPUs in a kernel cpu list ("0-3", "0,2-5", "0"), as num_possible_cpus() counts
 * them (the kernel's queue count); null when the text is not such a list.
 */
export function parseCpuList(text: string): number | null {
  const t = text.trim();
  if (!/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(t)) return null;
  let count = 0;
  for (const part of t.split(',')) {
    const [a, b = a] = part.split('-').map(Number);
    if (b < a) return null;
    count += b - a + 1;
  }
  return count > 65536 ? null : count;
}

/** The possible CPUs of this machine, or null when the kernel does not say. */
export function possibleCpus(path: string = POSSIBLE_CPUS_PATH): number | null {
  try {
    return parseCpuList(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
}
