import { detectKernelSupport, isReady, kernelSummary, mountModeNeed, readinessReport } from '@famfs/libfamfs/device';
import type { KernelFacts, ReadinessProblem } from '@famfs/libfamfs/device';
import { CommandSpec } from '../command';
import { describeError } from '../errors';
import { optCount } from '../options';

/**
 * `famfs check-system`: whether this host can mount famfs on dax memory, read from sysfs, /proc
 * and /dev only (it changes nothing). Exit 0 when ready (no problem of severity error), 1 when not.
 */
export const checkSystemCommand: CommandSpec = {
  name: 'check-system',
  args: '',
  summary: 'Check whether this host is ready for famfs: kernel support, /dev/fuse, CAP_SYS_RAWIO, dax devices',
  options: [{ flags: '--json', help: 'Print the facts and problems as one JSON object' }],
  examples: ['famfs check-system', 'famfs check-system --json'],
  run(_args, o, io) {
    try {
      const facts = detectKernelSupport();
      const problems = readinessReport(facts);
      const ready = isReady(problems);
      if (optCount(o.json) > 0) {
        const { daxDevices, ...kernel } = facts;
        const json = { ready, kernel: { ...kernel, summary: kernelSummary(facts) }, daxDevices, problems };
        io.out(JSON.stringify(json, null, 2) + '\n');
      } else {
        io.out(formatReadiness(facts, problems, ready));
      }
      if (ready) return 0;
      const errors = problems.filter((p) => p.severity === 'error').map((p) => p.id);
      io.err(`famfs check-system: not ready for famfs: ${errors.join(', ')} (each problem is listed with its fix)\n`);
      return 1;
    } catch (e) {
      io.err(`famfs check-system: ${describeError(e)}\n`);
      return 1;
    }
  },
};

function formatReadiness(facts: KernelFacts, problems: ReadinessProblem[], ready: boolean): string {
  const yes = (b: boolean | null, what = 'yes'): string => (b === null ? 'unknown' : b ? what : 'no');
  const lines = [
    `kernel:         ${facts.kernelRelease ?? 'unknown'}`,
    `famfs kernel:   ${kernelSummary(facts)}`,
    `fsdev_dax:      ${facts.fsdevDaxDriverPresent ? 'loaded' : 'not loaded'}`,
    `mounts need:    dax devices in ${mountModeNeed(facts)} mode`,
    `/dev/fuse:      ${yes(facts.fuseDevicePresent, 'present')}`,
    `CAP_SYS_RAWIO:  ${yes(facts.capSysRawio)}`,
    `dax devices:    ${facts.daxDevices.length === 0 ? 'none' : facts.daxDevices.length}`,
    ...facts.daxDevices.map(deviceLine),
  ];
  if (problems.length > 0) {
    lines.push('', 'problems:');
    for (const p of problems) lines.push(`  ${p.severity}: ${p.message}`, `    fix: ${p.fix}`);
  }
  lines.push('', `ready: ${ready ? 'yes' : 'no'}`);
  return lines.join('\n') + '\n';
}

function deviceLine(d: KernelFacts['daxDevices'][number]): string {
  const driver = d.mode === 'unknown' && d.driver !== null ? ` (driver ${d.driver})` : '';
  return `  ${d.device}  ${d.mode}${driver}  ${sizeText(d.size)}`;
}

function sizeText(bytes: number | null): string {
  if (bytes === null) return 'size unknown';
  const gib = bytes / 1024 ** 3;
  return Number.isInteger(gib) ? `${gib} GiB` : `${bytes} bytes`;
}
