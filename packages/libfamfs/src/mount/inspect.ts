/**
 * Inspection of a mounted famfs: what the mount serves (the shadow YAML of each file) against
 * what the log says, and whether each map is valid for the device. The CLI's getmap, check,
 * clone and mkmeta use these. Nothing here changes the log; rewriteMetaFiles (mkmeta) rewrites
 * the .meta files of a mount's shadow tree, which mount writes and the log never holds.
 */
import * as fs from 'fs';
import { isUtf8 } from 'buffer';
import * as path from 'path';
import { Device, mapMeta } from '../device/device';
import { withFamfsMeta } from '../device/device-access';
import { mountpointsOf } from './mount-table';
import { FamfsError } from '../errors';
import { Extent, Fmap, FmapGeometry, fmapProblem } from '../format/fmap';
import { FileEntry } from '../format/log-entry';
import { Superblock } from '../format/superblock';
import { uuidToBytes } from '../format/uuid';
import { FamfsMount } from './records';
import { geometryOf, Replay, replayedDir, replayedFile, replayLog } from '../log/replay';
import { LOG_META, META_DIR, SUPERBLOCK_META } from '../format/meta-paths';
import { logMetaEntry, superblockMetaEntry } from '../shadow/meta-files';
import { writeMetaFiles } from '../shadow/logplay';
import { playEntry } from '../shadow/play-entry';
import { readDaemonStatus } from './contract';
import { ShadowEntryRead, ShadowTree, shadowRootOf } from '../shadow/tree';
import { Role, roleOf, tryGetSystemUuid } from '../system-uuid';

/** The log of a mounted famfs, read through the mount's .meta files (no lock: a snapshot). */
export interface MountedLog {
  mount: FamfsMount;
  sb: Superblock;
  replay: Replay;
  geometry: FmapGeometry;
  /** The role of the host that made the mount (its record), else of this process. */
  role: Role;
  /** What the daemon serves: the log (it writes the shadow tree in the background) or the shadow tree. */
  servedFrom: 'log' | 'shadow';
}

/** The role the mount's host has: the system UUID recorded by `famfs mount`, else this process'. */
export function mountRole(mount: FamfsMount, sb: Superblock): Role {
  const recorded = mount.record?.systemUuid;
  let me: Buffer | undefined;
  if (recorded) {
    try {
      me = uuidToBytes(recorded);
    } catch {
      me = undefined;
    }
  }
  return roleOf(sb, me ?? tryGetSystemUuid());
}

/**
 * Reads and replays the log of a mounted famfs through its .meta files, so the device is never
 * opened (it cannot be, on a kernel that needs fsdev_dax). Throws EBADSUPER/EBADLOG.
 */
export function readMountedLog(mount: FamfsMount): MountedLog {
  return withFamfsMeta(
    mount.device,
    (meta) => {
      const replay = replayLog(meta.log, meta.sb, mount.device);
      // Copy the superblock out of the mapping: the device is closed on return.
      const sb: Superblock = {
        ...meta.sb,
        uuid: Buffer.from(meta.sb.uuid),
        devUuid: Buffer.from(meta.sb.devUuid),
        systemUuid: Buffer.from(meta.sb.systemUuid),
        daxdevUuid: Buffer.from(meta.sb.daxdevUuid),
      };
      const servedFrom = readDaemonStatus(mount.shadow)?.source === 'log' ? 'log' : 'shadow';
      return { mount, sb, replay, geometry: geometryOf(sb), role: mountRole(mount, sb), servedFrom };
    },
    { mountsOf: mountpointsOf, mountpoint: mount.mountpoint },
  );
}

/** Whether `rel` is one of the .meta files famfs mount writes (not in the log). */
export function isMetaFile(rel: string): boolean {
  return rel === SUPERBLOCK_META || rel === LOG_META;
}

/**
 * What the log says `rel` should be: its file entry, or for the .meta files the entry famfs mount
 * writes for them. Undefined when the log has no such file.
 */
export function loggedFileEntry(log: MountedLog, rel: string): FileEntry | undefined {
  if (rel === SUPERBLOCK_META) return superblockMetaEntry();
  if (rel === LOG_META) return logMetaEntry(log.sb.logLen, log.role);
  return replayedFile(log.replay, rel);
}

export function fmapsEqual(a: Fmap, b: Fmap): boolean {
  const same = (x: Extent[], y: Extent[]) =>
    x.length === y.length &&
    x.every((e, i) => e.devIndex === y[i].devIndex && e.offset === y[i].offset && e.len === y[i].len);
  if (a.kind === 'simple' && b.kind === 'simple') return same(a.extents, b.extents);
  if (a.kind === 'interleaved' && b.kind === 'interleaved')
    return a.nstrips === b.nstrips && a.chunkSize === b.chunkSize && same(a.strips, b.strips);
  return false;
}

/** The fields in which two file entries differ (empty when they agree). */
export function fileEntryDifferences(served: FileEntry, logged: FileEntry): string[] {
  const out: string[] = [];
  if (served.path !== logged.path) out.push(`path '${served.path}' vs '${logged.path}'`);
  if (served.size !== logged.size) out.push(`size ${served.size} vs ${logged.size}`);
  if (served.flags !== logged.flags) out.push(`flags ${served.flags} vs ${logged.flags}`);
  if (served.mode !== logged.mode) out.push(`mode 0${served.mode.toString(8)} vs 0${logged.mode.toString(8)}`);
  if (served.uid !== logged.uid) out.push(`uid ${served.uid} vs ${logged.uid}`);
  if (served.gid !== logged.gid) out.push(`gid ${served.gid} vs ${logged.gid}`);
  if (!fmapsEqual(served.fmap, logged.fmap)) out.push('extents differ');
  return out;
}

/** A file's map as the mount serves it, checked against the log and the device. */
export interface MountedFileMap {
  rel: string;
  /** The shadow YAML file the mount serves `rel` from. */
  shadowFile: string;
  /** The map the mount serves; undefined when the shadow file is missing or unusable (see problem). */
  entry?: FileEntry;
  problem?: string;
  /** The log's entry for the path (the expected entry for .meta files); undefined when not logged. */
  logged?: FileEntry;
  /** How the served entry differs from the logged one (empty: they agree). */
  differences: string[];
  /** Why the served map is not valid for the device, if it is not. */
  invalid?: string;
}

/** Reads the shadow YAML that `rel` is served from and compares it with the log. */
export function mountedFileMap(log: MountedLog, rel: string): MountedFileMap {
  const tree = new ShadowTree(shadowRootOf(log.mount.shadow));
  const shadowFile = tree.resolve(rel);
  const logged = loggedFileEntry(log, rel);
  const result: MountedFileMap = { rel, shadowFile, logged, differences: [] };
  const read = readServedEntry(tree, rel, () => log);
  if (!read.ok) {
    result.problem = `shadow file ${shadowFile}: ${read.problem.message}`;
    return result;
  }
  result.entry = read.entry;
  const entry = result.entry;
  if (logged) result.differences = fileEntryDifferences(entry, logged);
  if (isMetaFile(rel)) {
    // The .meta files map the superblock and log themselves: valid when they are what mount writes.
    if (logged && (entry.size !== logged.size || !fmapsEqual(entry.fmap, logged.fmap)))
      result.invalid = `does not map the ${rel === LOG_META ? 'log' : 'superblock'} area`;
  } else {
    result.invalid = fmapProblem(entry.fmap, entry.size, log.geometry);
  }
  return result;
}

/**
 * The shadow entry the mount serves `rel` from. A daemon that serves the log writes the shadow
 * tree behind it, in the background: a file just created is in the log, and shows in the mount,
 * before its shadow file is written. So when the shadow file is missing and the daemon serves the
 * log, the entry is written from the log, as the daemon would write it, and read again. `log`
 * is called only then (reading the log of a large famfs takes a while); it may answer undefined
 * for a mount whose daemon serves the shadow tree, where a missing file is simply not there.
 */
export function readServedEntry(tree: ShadowTree, rel: string, log: () => MountedLog | undefined): ShadowEntryRead {
  const read = tree.readEntry(rel);
  if (read.ok || read.problem.kind !== 'missing') return read;
  const mounted = log();
  return mounted && writeShadowEntry(mounted, tree, rel) ? tree.readEntry(rel) : read;
}

/**
 * A daemon serving the log writes the shadow tree in the background, so a logged file's YAML may
 * not be there yet: asked for, it is written now (logplay's own step, which another writer of
 * the same tree does not disturb), with the logged directories on the way. True when it wrote.
 */
function writeShadowEntry(log: MountedLog, tree: ShadowTree, rel: string): boolean {
  const entry = log.servedFrom === 'log' ? replayedFile(log.replay, rel) : undefined;
  if (!entry) return false;
  try {
    const parts = rel.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = replayedDir(log.replay, parts.slice(0, i).join('/'));
      if (dir) playEntry(tree, dir);
    }
    playEntry(tree, entry);
    return true;
  } catch {
    return false; // something in the way: reported as the shadow file's problem
  }
}

export interface TreeCheckProblem {
  /** famfs-relative path ('' is the mount point). */
  path: string;
  reason: string;
}

export interface TreeCheckReport {
  mountpoint: string;
  files: number;
  directories: number;
  errors: TreeCheckProblem[];
  /** Files checked and found good, in walk order. */
  good: string[];
  /** Logged files the mount does not show (not errors: a client may not have replayed yet). */
  notShown: string[];
}

/**
 * Walks the mounted tree (through the mount) and checks every file: it must be served, its shadow
 * YAML must parse, agree with the log entry for its path, and map valid space on the device.
 * Directories are counted below the mount point (the mount point itself is not counted).
 */
export function checkMountedTree(log: MountedLog): TreeCheckReport {
  const mpt = log.mount.mountpoint;
  const report: TreeCheckReport = { mountpoint: mpt, files: 0, directories: 0, errors: [], good: [], notShown: [] };
  const seen = new Set<string>();
  const walk = (rel: string): void => {
    let raw: Buffer[];
    try {
      raw = fs.readdirSync(rel === '' ? mpt : path.join(mpt, rel), { encoding: 'buffer' });
    } catch (e) {
      report.errors.push({ path: rel, reason: `cannot read directory: ${(e as Error).message}` });
      return;
    }
    // A name that is not UTF-8 is no famfs name; read lossily it would be checked as another one.
    const names: string[] = [];
    for (const b of raw) {
      if (isUtf8(b)) names.push(b.toString('utf8'));
      else report.errors.push({ path: rel, reason: `lists a name that is not valid UTF-8 (hex ${b.toString('hex')})` });
    }
    names.sort();
    for (const name of names) {
      const child = rel === '' ? name : `${rel}/${name}`;
      let st: fs.Stats;
      try {
        st = fs.lstatSync(path.join(mpt, child));
      } catch (e) {
        // Listed (the shadow tree has it) but not served: the daemon refused its shadow entry.
        report.files++;
        report.errors.push({
          path: child,
          reason: `listed but not served by the mount (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})${describeShadow(log, child)}`,
        });
        continue;
      }
      if (st.isDirectory()) {
        report.directories++;
        walk(child);
        continue;
      }
      report.files++;
      seen.add(child);
      if (!st.isFile()) {
        report.errors.push({ path: child, reason: 'not a regular file' });
        continue;
      }
      const m = mountedFileMap(log, child);
      const reasons: string[] = [];
      if (m.problem) reasons.push(`no valid map: ${m.problem}`);
      else {
        if (!m.logged) reasons.push('not in the log');
        else if (m.differences.length) reasons.push(`shadow map does not match the log (${m.differences.join('; ')})`);
        if (m.invalid) reasons.push(`invalid map: ${m.invalid}`);
        if (m.entry && st.size !== m.entry.size)
          reasons.push(`size ${st.size} through the mount, ${m.entry.size} in its map`);
      }
      if (reasons.length) report.errors.push({ path: child, reason: reasons.join('; ') });
      else report.good.push(child);
    }
  };
  walk('');
  for (const rel of log.replay.files.keys())
    if (!seen.has(rel) && !report.errors.some((e) => e.path === rel)) report.notShown.push(rel);
  return report;
}

function describeShadow(log: MountedLog, rel: string): string {
  const m = mountedFileMap(log, rel);
  return m.problem ? `: ${m.problem}` : '';
}

/**
 * (Re)writes .meta/.superblock and .meta/.log in the shadow tree of every famfs mount given, as
 * famfs mount writes them (the log's mode follows the role of the host that made the mount).
 */
export function rewriteMetaFiles(mount: FamfsMount): { role: Role; shadowRoot: string } {
  const dev = Device.open(mount.device, { writable: false });
  try {
    const meta = mapMeta(dev);
    const role = mountRole(mount, meta.sb);
    const shadowRoot = shadowRootOf(mount.shadow);
    const tree = new ShadowTree(shadowRoot);
    if (tree.kind('') !== 'dir')
      throw new FamfsError('ENOENT', `shadow root ${shadowRoot} of ${mount.mountpoint} is missing`);
    if (tree.kind(META_DIR) === 'file') throw new FamfsError('EEXIST', `${path.join(shadowRoot, META_DIR)} is a file`);
    writeMetaFiles(tree, meta.sb, role);
    return { role, shadowRoot };
  } finally {
    dev.close();
  }
}
