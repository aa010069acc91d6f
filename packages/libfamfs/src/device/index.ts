/**
 * @famfs/libfamfs/device: famfs devices and file data on them, for the CLI (mount, cp), the
 * daemon's stock data path and benches. Named exports only.
 */
export { Device, mapMeta, unmapMeta } from './device';
export type { DeviceKind, MetaMapping } from './device';
export { resolveRange } from './file-ranges';
export type { DeviceRange } from './file-ranges';
export { DataPath } from './file-data';
export type { DataPathOptions, WindowPolicy } from './file-data';
