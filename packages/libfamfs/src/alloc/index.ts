/**
 * @famfs/libfamfs/alloc: allocation as other packages see it (the CLI's interleave options; the
 * daemon's statfs until it uses log/statfs.ts). Named exports only.
 */
export { AllocationMap } from './allocation-map';
export { checkInterleave, DEFAULT_CHUNK_SIZE } from './interleave';
export type { InterleaveParams } from './interleave';
