import { Device } from '../device/device';
import { requireMappable } from '../device/device-access';
import { FamfsError } from '../errors';
import { FileEntry } from '../format/log-entry';
import { DataPath } from '../device/file-data';
import { FamfsMount, requireFamfsMount } from './records';
import { relpathInMount } from './mount-path';
import { ShadowTree, shadowRootOf } from '../shadow/tree';
import { readMountedLog, readServedEntry } from './inspect';
import { readDaemonStatus } from './contract';

/**
 * An existing file of a mounted famfs, opened on any host (master or client): its map as the
 * mount serves it (the shadow YAML) and its bytes on the device, with no FUSE round trips.
 */
export class FamfsFile {
  private constructor(
    readonly mount: FamfsMount,
    readonly relpath: string,
    readonly entry: FileEntry,
    private readonly device: Device,
    readonly data: DataPath,
  ) {}

  static open(p: string, opts: { writable?: boolean } = {}): FamfsFile {
    const mount = requireFamfsMount(p);
    const rel = relpathInMount(mount, p);
    const entry = shadowEntry(mount, rel);
    requireMappable(mount.device, 'file data through famfs-ts');
    const device = Device.open(mount.device, { writable: opts.writable ?? false });
    return new FamfsFile(mount, rel, entry, device, new DataPath(device));
  }

  get size(): number {
    return this.entry.size;
  }

  close(): void {
    this.data.close();
    this.device.close();
  }
}

/**
 * The file entry the mount serves for `rel`, from its shadow YAML (read the one hardened way; a
 * file the daemon has logged but not yet written to the shadow tree is written from the log, see
 * readServedEntry): ENOENT when there is no such famfs file, EISDIR for a directory, EBADYAML for
 * a file the daemon would refuse to serve.
 */
export function shadowEntry(mount: FamfsMount, rel: string): FileEntry {
  // Only a daemon serving the log writes the shadow tree behind it; for the others the log is not read.
  const fromLog = () => (readDaemonStatus(mount.shadow)?.source === 'log' ? readMountedLog(mount) : undefined);
  const read = readServedEntry(new ShadowTree(shadowRootOf(mount.shadow)), rel, fromLog);
  if (read.ok) return read.entry;
  const { kind, message } = read.problem;
  if (kind === 'missing')
    throw new FamfsError('ENOENT', `${rel} is not a famfs file of ${mount.mountpoint}`, { path: rel });
  if (kind === 'directory') throw new FamfsError('EISDIR', `${rel} is a directory`, { path: rel });
  if (kind === 'not-a-file' || kind === 'unsafe-path')
    throw new FamfsError('ENOENT', `${rel} is not a famfs file (its shadow entry ${message})`, { path: rel });
  throw new FamfsError('EBADYAML', `shadow file of ${rel}: ${message}`, { path: rel, problem: message });
}
