/** Access to the C famfs reference images in shared/vectors/c-famfs (sibling of the repo). */
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';

export const VECTOR_DIR = path.resolve(__dirname, '../../../../shared/vectors/c-famfs');
export const VECTORS = ['empty', 'populated', 'empty-log256m', 'populated-log256m', 'logfull-8m'] as const;
export type VectorName = (typeof VECTORS)[number];

export interface VectorInfo {
  device_size: number;
  log_len: number;
  fs_uuid: string;
  system_uuid: string;
  log_header: { next_index: number; last_index: number };
}

export function vectorInfo(name: VectorName): VectorInfo {
  return JSON.parse(fs.readFileSync(path.join(VECTOR_DIR, `${name}.json`), 'utf8'));
}

export function vectorMeta(name: VectorName): Buffer {
  return zlib.gunzipSync(fs.readFileSync(path.join(VECTOR_DIR, `${name}.img.meta.gz`)));
}

export function vectorText(name: VectorName, suffix: string): string {
  return fs.readFileSync(path.join(VECTOR_DIR, `${name}.${suffix}`), 'utf8');
}

/** Writes the vector as a sparse device image of its full size in `dir`; returns its path. */
export function materializeVector(name: VectorName, dir: string): string {
  const p = path.join(dir, `${name}.img`);
  fs.writeFileSync(p, vectorMeta(name));
  fs.truncateSync(p, vectorInfo(name).device_size);
  return p;
}
