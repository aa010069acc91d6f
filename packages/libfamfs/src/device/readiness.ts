import { deviceLabel, unusableModeProblem } from './dax-error';
import type { KernelFacts } from './kernel-support';
import { describeMode, reconfigureCommand } from './mode-names';
import { mountModeNeed } from './mount-mode';

/**
 * Turns KernelFacts into the problems a `famfs check-system` would list. Pure: the facts are read
 * elsewhere, and rendering (text or JSON) is the caller's job.
 */

/** 'error': famfs cannot mount here; 'warning': something famfs may need is off; 'note': FYI. */
export type ProblemSeverity = 'error' | 'warning' | 'note';

export interface ReadinessProblem {
  /** Stable key for programs and tests, e.g. 'no-famfs-kernel', 'dax-mode'. */
  id: string;
  severity: ProblemSeverity;
  /** One line saying what is wrong. */
  message: string;
  /** One line: the command (or action) that fixes it. */
  fix: string;
  /** The dax device concerned, for per-device problems. */
  device?: string;
}

const FAMFS_KERNEL_FIX = 'boot a kernel with the famfs FUSE patches (CONFIG_FUSE_FAMFS_DAX)';

/** The problems, most fundamental first; empty when the host looks ready. */
export function readinessReport(facts: KernelFacts): ReadinessProblem[] {
  return [...kernelProblems(facts), ...fuseProblems(facts), ...capabilityProblems(facts), ...daxProblems(facts)];
}

/** Ready for famfs mounts on dax memory: nothing of severity 'error'. */
export function isReady(problems: readonly ReadinessProblem[]): boolean {
  return problems.every((p) => p.severity !== 'error');
}

/** The kernel's famfs generation in words, for `famfs mount` and `famfs check-system`. */
export function kernelSummary(facts: KernelFacts): string {
  switch (facts.famfsKernel) {
    case 'v10':
      return (
        `famfs V10 (FUSE famfs ${facts.famfsFuseBuiltIn ? 'built in' : 'in the fuse module'}; ` +
        'daxdevs pulled with GET_DAXDEV)'
      );
    case 'push':
      return 'famfs push generation (daxdevs pushed with an ioctl on /dev/fuse; simple-only fmaps)';
    case 'none':
      return facts.v1Kernel
        ? 'none (only the standalone famfs v1 file system, which famfs-ts does not use)'
        : 'none (a stock kernel: famfs_fused serves file data from the device itself)';
    case 'unknown':
      return facts.kallsymsReadable
        ? 'unknown (the fuse module is not loaded, so its symbols are hidden)'
        : 'unknown (/proc/kallsyms is missing, unreadable or empty)';
  }
}

function kernelProblems(facts: KernelFacts): ReadinessProblem[] {
  if (facts.famfsKernel === 'unknown') {
    if (!facts.kallsymsReadable) {
      return [
        {
          id: 'kallsyms-unreadable',
          severity: 'warning',
          message:
            'cannot tell whether this kernel supports famfs: /proc/kallsyms is missing, unreadable ' + 'or empty',
          fix: 'run the check as root on a kernel built with CONFIG_KALLSYMS',
        },
      ];
    }
    return [
      {
        id: 'fuse-not-loaded',
        severity: 'warning',
        message:
          'cannot tell whether this kernel supports famfs: the fuse module is not loaded, so its ' +
          'symbols are hidden',
        fix: 'modprobe fuse, then run the check again',
      },
    ];
  }
  if (facts.famfsKernel !== 'none') return [];
  if (facts.v1Kernel) {
    return [
      {
        id: 'v1-only',
        severity: 'error',
        message: 'this kernel has only the standalone famfs v1 file system, and famfs-ts mounts through FUSE',
        fix: FAMFS_KERNEL_FIX,
      },
    ];
  }
  return [
    {
      id: 'no-famfs-kernel',
      severity: 'error',
      message: 'this kernel has no famfs support (no famfs_fuse_iomap_begin in /proc/kallsyms)',
      fix: FAMFS_KERNEL_FIX,
    },
  ];
}

function fuseProblems(facts: KernelFacts): ReadinessProblem[] {
  // Every famfs-ts mount is a FUSE mount, with or without famfs in the kernel.
  if (facts.fuseDevicePresent) return [];
  return [
    {
      id: 'no-fuse-device',
      severity: 'error',
      message: '/dev/fuse is missing, so famfs_fused cannot serve a mount',
      fix: 'modprobe fuse (in a container, pass --device /dev/fuse)',
    },
  ];
}

function capabilityProblems(facts: KernelFacts): ReadinessProblem[] {
  if (facts.capSysRawio !== false || facts.famfsKernel === 'none') return [];
  return [
    {
      id: 'no-cap-sys-rawio',
      severity: facts.famfsKernel === 'unknown' ? 'warning' : 'error',
      message: 'this process lacks CAP_SYS_RAWIO, and the kernel offers famfs DAX only to a mount made with it',
      fix: 'run famfs mount as root with CAP_SYS_RAWIO (not in a container that drops it)',
    },
  ];
}

function daxProblems(facts: KernelFacts): ReadinessProblem[] {
  const problems: ReadinessProblem[] = [];
  const famfsFuse = facts.famfsKernel === 'v10' || facts.famfsKernel === 'push';
  if (famfsFuse && !facts.fsdevDaxDriverPresent) {
    // The FUSE famfs series claims a device with fs_dax_get, which only an fsdev_dax-bound device allows.
    problems.push({
      id: 'fsdev-dax-missing',
      severity: 'warning',
      message: 'the fsdev_dax driver is not loaded, and the famfs FUSE kernel can only use devices ' + 'bound to it',
      fix: 'modprobe fsdev_dax',
    });
  }
  if (facts.daxDevices.length === 0) {
    problems.push({
      id: 'no-dax-devices',
      severity: 'warning',
      message: 'there are no dax devices (nothing under /sys/bus/dax/devices); only regular files can ' + 'hold famfs',
      fix: 'configure the shared memory as devdax (daxctl create-device, or ndctl create-namespace ' + '--mode=devdax)',
    });
  }
  const need = mountModeNeed(facts);
  for (const dev of facts.daxDevices) {
    const unusable = unusableModeProblem(dev, need);
    const label = `${deviceLabel(dev.device, dev.name)} is in ${describeMode(dev.mode, dev.driver)}`;
    if (unusable !== null) {
      const { problem: message, fix } = unusable;
      problems.push({ id: 'dax-mode', severity: 'warning', message, fix, device: dev.device });
    } else if (need === 'fsdev_dax' && dev.mode === 'device_dax') {
      problems.push({
        id: 'dax-needs-fsdev',
        severity: 'note',
        message:
          `${label}; mkfs can use it as it is, but a famfs mount on this kernel needs fsdev_dax ` +
          '(famfs mount --set-daxmode switches it)',
        fix: reconfigureCommand(dev.name, 'fsdev_dax', dev.mode),
        device: dev.device,
      });
    } else if (need === 'device_dax' && dev.mode === 'fsdev_dax') {
      problems.push({
        id: 'dax-needs-devdax',
        severity: 'warning',
        message:
          `${label}, but without famfs in the kernel famfs_fused must map the device itself, which ` +
          'only device_dax allows',
        fix: reconfigureCommand(dev.name, 'device_dax', dev.mode),
        device: dev.device,
      });
    }
  }
  return problems;
}
