import * as fs from 'fs';
import * as path from 'path';
import { Device } from '../device/device';
import { FamfsError } from '../errors';
import { FileEntry } from '../format/log-entry';
import { DataPath } from '../device/file-data';
import { FamfsMount, requireFamfsMount } from './records';
import { relpathInMount } from './mount-path';
import { parseShadowYaml, SHADOW_YAML_MAX } from '../shadow/yaml-parse';
import { shadowRootOf } from '../shadow/tree';

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

/** The file entry the mount serves for `rel`, from its shadow YAML. */
export function shadowEntry(mount: FamfsMount, rel: string): FileEntry {
  const file = path.join(shadowRootOf(mount.shadow), rel);
  let st: fs.Stats;
  try {
    st = fs.lstatSync(file);
  } catch {
    throw new FamfsError('ENOENT', `${rel} is not a famfs file of ${mount.mountpoint}`, { path: rel });
  }
  if (st.isDirectory()) throw new FamfsError('EISDIR', `${rel} is a directory`, { path: rel });
  if (!st.isFile()) throw new FamfsError('ENOENT', `${rel} is not a famfs file`, { path: rel });
  if (st.size > SHADOW_YAML_MAX) throw new FamfsError('EBADYAML', `${file}: shadow file of ${st.size} bytes is larger than ${SHADOW_YAML_MAX}`);
  return parseShadowYaml(fs.readFileSync(file), file);
}
