/**
 * File entries and shadow trees written straight from them (no mkfs, no log): the fixtures of
 * the push-generation tests here and in kernel/emulator, where a 1 TiB striped file only needs a
 * YAML file and a sparse device.
 */
import * as fs from 'fs';
import * as path from 'path';
import { emitShadowYaml } from '@famfs/libfamfs/shadow';
import type { Extent, FileEntry } from '@famfs/libfamfs/format';

/** `n` strips of `len` bytes each, back to back from device offset `at`, on daxdev 0. */
export const stripsAt = (n: number, at: number, len: number): Extent[] =>
  Array.from({ length: n }, (_, i) => ({ devIndex: 0, offset: at + i * len, len }));

/** A regular file owned by root, mode 0644. */
export const fileEntry = (p: string, size: number, fmap: FileEntry['fmap']): FileEntry => ({
  type: 'file',
  path: p,
  size,
  flags: 2,
  mode: 0o644,
  uid: 0,
  gid: 0,
  fmap,
});

/** A file striped over `n` strips of `len` bytes from `at`, chunk size `chunk`. */
export const stripedEntry = (p: string, size: number, n: number, chunk: number, at: number, len: number): FileEntry =>
  fileEntry(p, size, { kind: 'interleaved', nstrips: n, chunkSize: chunk, strips: stripsAt(n, at, len) });

/** Writes each entry's shadow YAML under <shadow>/root, making its directories. */
export function writeShadowTree(shadow: string, entries: readonly FileEntry[]): void {
  fs.mkdirSync(path.join(shadow, 'root'), { recursive: true });
  for (const e of entries) {
    const p = path.join(shadow, 'root', e.path);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, emitShadowYaml(e));
  }
}
