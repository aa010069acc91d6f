import { NodeKindProbe, statNodeKind } from './dax-node';
import { defaultSysfsRoot, defaultSysfsWriter, SysfsWriter } from './sysfs';

/**
 * Where famfs looks at the host (sysfs for dax devices and drivers, procfs for kallsyms and the
 * capabilities, /dev for fuse and the dax nodes), how it writes sysfs, and how it tells a
 * character device. Every function that reads or changes the host takes these as options; what a
 * caller leaves out comes from hostIo below.
 *
 * Test seam: setHostIoDefaults replaces the defaults for the whole process. A test that runs the
 * famfs binary as a child process cannot pass options, so the child loads
 * `@famfs/libfamfs/testing/fake-host-preload` (NODE_OPTIONS=--require), which points these at a
 * FakeSysfs tree named by FAMFS_SYSFS_ROOT. Nothing in the product calls it.
 */
export interface HostIo {
  /** Default: FAMFS_SYSFS_ROOT, else /sys (read at call time). */
  sysfsRoot: string;
  /** Default: /proc (kallsyms, filesystems, sys/kernel/osrelease, self/status). */
  procRoot: string;
  /** Default: /dev (fuse, and the daxX.Y nodes listDaxDevices reports). */
  devRoot: string;
  /** Default: an O_WRONLY write of the value (see defaultSysfsWriter). */
  writer: SysfsWriter;
  /** Default: fs.statSync. */
  nodeKind: NodeKindProbe;
}

/**
 * The process defaults live on globalThis under a registered symbol, not in this module: the famfs
 * binary runs a bundle with its own copy of libfamfs (famfs-cli's scripts/bundle.js), and the
 * preload sets them through the copy in dist/. Both copies must see one set.
 */
const DEFAULTS = Symbol.for('@famfs/libfamfs host-io defaults');
const processDefaults = (): Partial<HostIo> => ((globalThis as { [DEFAULTS]?: Partial<HostIo> })[DEFAULTS] ??= {});

/** The options with every missing one filled in from the process defaults, then the real host. */
export function hostIo(opts: Partial<HostIo> = {}): HostIo {
  const d = processDefaults();
  return {
    sysfsRoot: opts.sysfsRoot ?? d.sysfsRoot ?? defaultSysfsRoot(),
    procRoot: opts.procRoot ?? d.procRoot ?? '/proc',
    devRoot: opts.devRoot ?? d.devRoot ?? '/dev',
    writer: opts.writer ?? d.writer ?? defaultSysfsWriter,
    nodeKind: opts.nodeKind ?? d.nodeKind ?? statNodeKind,
  };
}

/** Test seam (see the header): replaces the process-wide defaults; {} puts the real host back. */
export function setHostIoDefaults(defaults: Partial<HostIo>): void {
  (globalThis as { [DEFAULTS]?: Partial<HostIo> })[DEFAULTS] = { ...defaults };
}
