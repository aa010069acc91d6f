import { DaxModeError } from '../device/dax-error';
import { withFamfsMeta } from '../device/device-access';
import { hostIo, HostIo } from '../device/host-io';
import { applyPushProbe, detectKernelSupport, KernelFacts } from '../device/kernel-support';
import { applyMountMode, MountModePlan, planMountMode, restoreMountMode } from '../device/mount-mode';
import { parseLogHeader } from '../format/log-header';
import { replayLog } from '../log/replay';
import { LogplayResult, playIntoShadow, writeMetaFiles } from '../shadow/logplay';
import { ShadowTree } from '../shadow/tree';
import { Role, roleOf, tryGetSystemUuid } from '../system-uuid';
import { DaemonStatus } from './contract';
import { mountpointsOf } from './mount-table';

/**
 * What `famfs mount` does with the device before it starts famfs_fused: find out what the kernel
 * offers famfs, check (and with setDaxMode, change) the dax device's mode for a mount on it, and
 * check its superblock and log header. famfs_fused reads the log itself and serves the tree from
 * it, except on a device the mount leaves in fsdev_dax mode, which no process can map: then the
 * log is replayed into the new shadow tree here, as the C famfs does, and the daemon serves that.
 * The device is read through another famfs mount of it when one exists (another host's, on this
 * machine), else directly, switching it out of fsdev_dax for the read (device/device-access.ts).
 * Any failure puts the mode back.
 */

export interface PrepareMountOptions {
  /** C famfs `--set-daxmode`: switch the device to the mode this kernel's mounts need. */
  setDaxMode?: boolean;
  /** The command that retries with setDaxMode, offered as the fix of a mode mismatch. */
  retryCommand?: string;
  /** A dummy mount (C famfs mount -D): the shadow tree gets the .meta files only, and is served. */
  metaOnly?: boolean;
  /** Where to look at the host (default: the real one; see device/host-io.ts). */
  host?: Partial<HostIo>;
  systemUuid?: Buffer;
}

export interface PreparedMount {
  role: Role;
  /** What famfs_fused serves: the device's log, or the shadow tree replayed here (`replay`). */
  serve: 'log' | 'shadow';
  replay?: LogplayResult;
  /** What the kernel offers, read from files (the push generation is known only after INIT: kernelAfterMount). */
  kernel: KernelFacts;
  plan: MountModePlan;
  /** This call switched the device to plan.need. */
  modeChanged: boolean;
  /** The mount whose .meta files the log was read through; null when read from the device. */
  readThrough: string | null;
  /**
   * Puts the device back in the mode it was found in, for a mount that fails after this call;
   * `failure` is why. If the restore fails too, its error is thrown, with `failure` as its cause.
   */
  restoreMode(failure: unknown): void;
}

export function prepareMountDevice(device: string, shadowRoot: string, opts: PrepareMountOptions = {}): PreparedMount {
  const host = hostIo(opts.host);
  const kernel = detectKernelSupport(host);
  const isMounted = (d: string): boolean => mountpointsOf(d).length > 0;
  const plan = planMountMode(device, kernel, {
    ...host,
    setMode: opts.setDaxMode,
    retryCommand: opts.retryCommand,
    isMounted,
  });
  let modeChanged = false;
  const restoreMode = (failure: unknown): void => {
    if (!modeChanged) return;
    modeChanged = false;
    restoreOrExplain(() => restoreMountMode(plan, host), failure);
  };
  try {
    if (plan.switchFirst) modeChanged = applyMountMode(plan, host);
    const me = opts.systemUuid ?? tryGetSystemUuid();
    const serve: PreparedMount['serve'] = plan.need === 'fsdev_dax' || opts.metaOnly ? 'shadow' : 'log';
    const replayed = withFamfsMeta(
      device,
      (meta) => {
        const role = roleOf(meta.sb, me);
        if (opts.metaOnly) {
          writeMetaFiles(new ShadowTree(shadowRoot), meta.sb, role);
          return { role, serve, readThrough: meta.mountpoint };
        }
        if (serve === 'log') {
          parseLogHeader(meta.log, meta.sb.logLen, device); // EBADLOG before anything is started
          return { role, serve, readThrough: meta.mountpoint };
        }
        const replay = playIntoShadow(replayLog(meta.log, meta.sb, device), meta.sb, shadowRoot, { systemUuid: me });
        return { role, serve, replay, readThrough: meta.mountpoint };
      },
      { ...host, mountsOf: mountpointsOf },
    );
    if (plan.switchLast) modeChanged = applyMountMode(plan, host) || modeChanged;
    return { ...replayed, kernel, plan, modeChanged, restoreMode };
  } catch (e) {
    restoreMode(e);
    throw e;
  }
}

/**
 * What famfs_fused's DAXDEV_OPEN probe found (reference §4.5): only a FUSE session can tell the
 * push generation from V10, by that ioctl on /dev/fuse after INIT; the daemon records the outcome
 * in its status record. Undefined when it did not probe (--abi given, or no famfs kernel): the
 * generation is then what detectKernelSupport read from files (none, V10, unknown).
 */
export function daemonPushProbe(status: DaemonStatus | undefined): 'push' | 'no-push' | undefined {
  return status?.pushProbe;
}

/** The kernel facts with the daemon's push probe folded in, once the mount is up. */
export function kernelAfterMount(kernel: KernelFacts, status: DaemonStatus | undefined): KernelFacts {
  const probe = daemonPushProbe(status);
  return probe === undefined ? kernel : applyPushProbe(kernel, probe);
}

/** Runs restore after `failure`; a restore that fails too is thrown instead, with `failure` as its cause. */
function restoreOrExplain(restore: () => void, failure: unknown): void {
  try {
    restore();
  } catch (r) {
    if (!(r instanceof DaxModeError)) throw r;
    const problem = r.message.slice(0, r.message.lastIndexOf('; fix: '));
    const driver = (r.details.driver as string | null | undefined) ?? null;
    const facts = { device: r.device, name: r.daxName, mode: r.mode, driver };
    const after = failure instanceof Error ? failure.message : String(failure);
    throw new DaxModeError(r.reason, `${problem} (after: ${after})`, r.fix, facts, failure);
  }
}
