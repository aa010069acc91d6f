/**
 * The famfs v1 ioctl ABI (famfs_ioctl.h, KABI 43..44, magic 'u'; famfs-userspace §1.7) as the C
 * famfs CLI is compiled on x86_64 and arm64: the ioctl numbers, and the structs that MAP_GET,
 * MAP_GETEXT and MAP_GET_V2 copy out, declared once here. kernel/uapi/famfs_ioctl.h declares the
 * same in C, and test/ioctl-layout.test.ts compiles it and compares offsets, sizes and numbers.
 *
 * Pointer members (famfs_ioc_fmap.kse, famfs_ioc_interleaved_ext.ie_strips) are u64 here: only
 * 64-bit callers are served, and a copied-out map always leaves them 0, as the kernel module does.
 */
import { bytes, defineLayout, struct, u32, u64 } from '@famfs/struct';

export const FAMFSIOC_MAGIC = 0x75; // 'u'
/** famfs_ioc_map.ext_list and famfs_ioc_get_fmap.ikse hold this many simple extents. */
export const FAMFS_IOC_MAX_EXTENTS = 2;
/** famfs_ioc_get_fmap.ks.kie_strips holds this many strips. */
export const FAMFS_IOC_MAX_STRIPS = 16;

/** enum famfs_extent_type (v1) and enum famfs_ioc_ext_type (v2) share these values. */
export const FamfsIocExtType = { SIMPLE: 0, INTERLEAVE: 1 } as const;

// asm-generic _IOC (x86, arm64, riscv): nr bits 0-7, type 8-15, size 16-29, direction 30-31.
const IOC_NONE = 0;
const IOC_WRITE = 1;
const IOC_READ = 2;
const IOC_SIZE_MAX = (1 << 14) - 1;

/** _IOC(dir, 'u', nr, size) as the u32 the kernel hands FUSE. */
export function famfsIoc(dir: number, nr: number, size: number): number {
  if (size > IOC_SIZE_MAX) throw new RangeError(`ioctl size ${size} does not fit _IOC_SIZE`);
  return ((dir << 30) | (size << 16) | (FAMFSIOC_MAGIC << 8) | nr) >>> 0;
}

export const FamfsExtent = defineLayout('famfs_extent', 16, {
  offset: u64(0),
  len: u64(8),
});

/** What MAP_GET copies out (v1): the map's shape and up to two simple extents. */
export const FamfsIocMap = defineLayout('famfs_ioc_map', 56, {
  extentType: u32(0),
  fileType: u32(4),
  fileSize: u64(8),
  extListCount: u64(16),
  /** famfs_extent[FAMFS_IOC_MAX_EXTENTS] */
  extList: bytes(24, FAMFS_IOC_MAX_EXTENTS * FamfsExtent.size),
});

export const FamfsIocSimpleExtent = defineLayout('famfs_ioc_simple_extent', 24, {
  devindex: u64(0),
  offset: u64(8),
  len: u64(16),
});

export const FamfsIocInterleavedExt = defineLayout('famfs_ioc_interleaved_ext', 32, {
  ieNstrips: u64(0),
  ieChunkSize: u64(8),
  ieNbytes: u64(16),
  /** A user pointer in MAP_CREATE_V2; 0 when copied out. */
  ieStrips: u64(24),
});

/** fioc_nextents is fioc_niext for interleaved maps (a union); bytes 20..23 are padding. */
export const FamfsIocFmap = defineLayout('famfs_ioc_fmap', 32, {
  fiocFileSize: u64(0),
  fiocFileType: u32(8),
  fiocExtType: u32(12),
  fiocNextents: u32(16),
  /** kse / kie: a user pointer in MAP_CREATE_V2; 0 when copied out. */
  kse: u64(24),
});

/**
 * famfs_ioc_get_fmap (448 bytes) is iocmap then a union. These are its two arms, one layout
 * each (a layout has no overlapping fields): simple extents in ikse, or one interleaved extent in
 * ks.ikie with its strips in ks.kie_strips.
 */
export const FamfsIocGetFmapSimple = defineLayout('famfs_ioc_get_fmap', 448, {
  iocmap: struct(0, FamfsIocFmap),
  /** famfs_ioc_simple_extent[FAMFS_IOC_MAX_EXTENTS] */
  ikse: bytes(32, FAMFS_IOC_MAX_EXTENTS * FamfsIocSimpleExtent.size),
});

export const FamfsIocGetFmapInterleaved = defineLayout('famfs_ioc_get_fmap', 448, {
  iocmap: struct(0, FamfsIocFmap),
  ikie: struct(32, FamfsIocInterleavedExt),
  /** famfs_ioc_simple_extent[FAMFS_IOC_MAX_STRIPS] */
  kieStrips: bytes(64, FAMFS_IOC_MAX_STRIPS * FamfsIocSimpleExtent.size),
});

/** The famfs file ioctls; only the GET ones and NOP are answered (ioctl.ts). */
export const FamfsIoc = {
  MAP_CREATE: famfsIoc(IOC_WRITE, 0x50, FamfsIocMap.size),
  MAP_GET: famfsIoc(IOC_READ, 0x51, FamfsIocMap.size),
  MAP_GETEXT: famfsIoc(IOC_READ, 0x52, FamfsExtent.size),
  NOP: famfsIoc(IOC_NONE, 0x53, 0),
  MAP_CREATE_V2: famfsIoc(IOC_WRITE, 0x54, FamfsIocFmap.size),
  MAP_GET_V2: famfsIoc(IOC_READ, 0x55, FamfsIocGetFmapSimple.size),
} as const;
