/* SPDX-License-Identifier: Apache-2.0 */
/*
 * famfs_ioctl.h: the famfs v1 file ioctls (KABI 43..44, magic 'u') that famfs_fused answers on a
 * FUSE mount so that the C `famfs getmap` and `famfs check` work there (FAMFSIOC_NOP, MAP_GET,
 * MAP_GETEXT, MAP_GET_V2), written out for the famfs-ts layout check. The struct layouts and
 * ioctl numbers are those of the C famfs' linux_include/linux/famfs_ioctl.h on LP64 machines;
 * this file declares them again rather than copying that header.
 *
 * packages/famfs-fused/src/famfs/ioctl-abi.ts must agree with it; kernel/layout-check/
 * famfs_ioctl_check.c prints what the compiler makes of it.
 */
#ifndef FAMFS_TS_IOCTL_H
#define FAMFS_TS_IOCTL_H

#include <stdint.h>
#include <linux/ioctl.h>

#define FAMFS_IOC_MAX_EXTENTS	2	/* FAMFS_MAX_EXTENTS of the C header */
#define FAMFS_IOC_MAX_STRIPS	16	/* FAMFS_MAX_STRIPS of the C header */

enum famfs_ioc_file_type {
	FAMFS_IOC_REG		= 0,
	FAMFS_IOC_SUPERBLOCK	= 1,
	FAMFS_IOC_LOG		= 2,
};

enum famfs_ioc_extent_type {
	FAMFS_IOC_EXT_SIMPLE	 = 0,	/* SIMPLE_DAX_EXTENT in v1 */
	FAMFS_IOC_EXT_INTERLEAVE = 1,	/* INTERLEAVED_EXTENT in v1 */
};

/* v1: one simple extent (no device index). */
struct famfs_extent {
	uint64_t	offset;
	uint64_t	len;
};

/* v1 MAP_GET / MAP_CREATE: the shape of a map and up to two extents. */
struct famfs_ioc_map {
	uint32_t	extent_type;	/* enum, 4 bytes on the ABIs famfs builds for */
	uint32_t	file_type;
	uint64_t	file_size;
	uint64_t	ext_list_count;
	struct famfs_extent ext_list[FAMFS_IOC_MAX_EXTENTS];
};

/* v2: a simple extent, also one strip of an interleaved extent. */
struct famfs_ioc_simple_extent {
	uint64_t	devindex;
	uint64_t	offset;
	uint64_t	len;
};

struct famfs_ioc_interleaved_ext {
	uint64_t	ie_nstrips;
	uint64_t	ie_chunk_size;
	uint64_t	ie_nbytes;
	struct famfs_ioc_simple_extent *ie_strips;	/* user pointer; 0 when copied out */
};

struct famfs_ioc_fmap {
	uint64_t	fioc_file_size;
	uint32_t	fioc_file_type;
	uint32_t	fioc_ext_type;
	union {
		struct {
			uint32_t fioc_nextents;
			struct famfs_ioc_simple_extent *kse;
		};
		struct {
			uint32_t fioc_niext;
			struct famfs_ioc_interleaved_ext *kie;
		};
	};
};

/* v2 MAP_GET_V2: the whole map in one fixed-size struct. */
struct famfs_ioc_get_fmap {
	struct famfs_ioc_fmap iocmap;
	union {
		struct famfs_ioc_simple_extent ikse[FAMFS_IOC_MAX_EXTENTS];
		struct {
			struct famfs_ioc_interleaved_ext ikie;
			struct famfs_ioc_simple_extent kie_strips[FAMFS_IOC_MAX_STRIPS];
		} ks;
	};
};

#define FAMFSIOC_MAGIC		'u'
#define FAMFSIOC_MAP_CREATE	_IOW(FAMFSIOC_MAGIC, 0x50, struct famfs_ioc_map)
#define FAMFSIOC_MAP_GET	_IOR(FAMFSIOC_MAGIC, 0x51, struct famfs_ioc_map)
#define FAMFSIOC_MAP_GETEXT	_IOR(FAMFSIOC_MAGIC, 0x52, struct famfs_extent)
#define FAMFSIOC_NOP		_IO(FAMFSIOC_MAGIC, 0x53)
#define FAMFSIOC_MAP_CREATE_V2	_IOW(FAMFSIOC_MAGIC, 0x54, struct famfs_ioc_fmap)
#define FAMFSIOC_MAP_GET_V2	_IOR(FAMFSIOC_MAGIC, 0x55, struct famfs_ioc_get_fmap)

#endif /* FAMFS_TS_IOCTL_H */
