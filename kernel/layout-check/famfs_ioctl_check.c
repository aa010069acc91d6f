/*
 * famfs_ioctl_check: prints every struct of kernel/uapi/famfs_ioctl.h with its size and the offset
 * and size of each field, and the ioctl numbers as the compiler computes them:
 *
 *   <struct> <size>
 *   <struct>.<field> <offset> <size>
 *   ioctl <NAME> <number in hex>
 *
 * packages/famfs-fused/test/ioctl-layout.test.ts compiles it with gcc, runs it and compares every
 * line with src/famfs/ioctl-abi.ts. Union members are printed by their C path (ks.ikie).
 */
#include <stddef.h>
#include <stdio.h>
#include "../uapi/famfs_ioctl.h"

#define S(type) printf("%s %zu\n", #type, sizeof(struct type))
#define F(type, field) \
	printf("%s.%s %zu %zu\n", #type, #field, offsetof(struct type, field), sizeof(((struct type *)0)->field))
#define IOC(name) printf("ioctl %s 0x%lx\n", #name, (unsigned long)(name))

int main(void)
{
	S(famfs_extent);
	F(famfs_extent, offset);
	F(famfs_extent, len);
	S(famfs_ioc_map);
	F(famfs_ioc_map, extent_type);
	F(famfs_ioc_map, file_type);
	F(famfs_ioc_map, file_size);
	F(famfs_ioc_map, ext_list_count);
	F(famfs_ioc_map, ext_list);
	S(famfs_ioc_simple_extent);
	F(famfs_ioc_simple_extent, devindex);
	F(famfs_ioc_simple_extent, offset);
	F(famfs_ioc_simple_extent, len);
	S(famfs_ioc_interleaved_ext);
	F(famfs_ioc_interleaved_ext, ie_nstrips);
	F(famfs_ioc_interleaved_ext, ie_chunk_size);
	F(famfs_ioc_interleaved_ext, ie_nbytes);
	F(famfs_ioc_interleaved_ext, ie_strips);
	S(famfs_ioc_fmap);
	F(famfs_ioc_fmap, fioc_file_size);
	F(famfs_ioc_fmap, fioc_file_type);
	F(famfs_ioc_fmap, fioc_ext_type);
	F(famfs_ioc_fmap, fioc_nextents);
	F(famfs_ioc_fmap, fioc_niext);
	F(famfs_ioc_fmap, kse);
	F(famfs_ioc_fmap, kie);
	S(famfs_ioc_get_fmap);
	F(famfs_ioc_get_fmap, iocmap);
	F(famfs_ioc_get_fmap, ikse);
	F(famfs_ioc_get_fmap, ks.ikie);
	F(famfs_ioc_get_fmap, ks.kie_strips);
	IOC(FAMFSIOC_MAP_CREATE);
	IOC(FAMFSIOC_MAP_GET);
	IOC(FAMFSIOC_MAP_GETEXT);
	IOC(FAMFSIOC_NOP);
	IOC(FAMFSIOC_MAP_CREATE_V2);
	IOC(FAMFSIOC_MAP_GET_V2);
	return 0;
}
