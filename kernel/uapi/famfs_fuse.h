/* SPDX-License-Identifier: Apache-2.0 */
/*
 * famfs_fuse.h: the FUSE wire structures the famfs-ts daemon (famfs_fused) exchanges with the
 * kernel over /dev/fuse, written out for the famfs-ts layout check.
 *
 * Two parts:
 *   1. the standard FUSE structs the daemon decodes or encodes (protocol 7.45), and
 *   2. the famfs additions of the unmerged "famfs: port into fuse" series (V10 layouts), whose
 *      opcodes and INIT bit differ between revisions of the series (one macro set per profile).
 *
 * Everything is little-endian on the machines famfs runs on; no struct has implicit padding, and
 * every padding or reserved field is named. This file is declarations only; the TypeScript
 * layouts in packages/famfs-fused/src/protocol/abi.ts must agree with it field by field, which
 * kernel/layout-check verifies.
 */
#ifndef FAMFS_FUSE_H
#define FAMFS_FUSE_H

#include <stdint.h>

/* ---------------------------------------------------------------------------------------------
 * Protocol version and limits
 */
#define FUSE_KERNEL_VERSION		7
#define FUSE_KERNEL_MINOR_VERSION	45	/* the newest minor whose structs are declared here */
#define FUSE_ROOT_ID			1
#define FUSE_NAME_MAX			1024
#define FUSE_MIN_READ_BUFFER		8192

/* ---------------------------------------------------------------------------------------------
 * Opcodes (standard)
 */
enum fuse_opcode {
	FUSE_LOOKUP		= 1,
	FUSE_FORGET		= 2,	/* never answered */
	FUSE_GETATTR		= 3,
	FUSE_SETATTR		= 4,
	FUSE_READLINK		= 5,
	FUSE_SYMLINK		= 6,
	FUSE_MKNOD		= 8,
	FUSE_MKDIR		= 9,
	FUSE_UNLINK		= 10,
	FUSE_RMDIR		= 11,
	FUSE_RENAME		= 12,
	FUSE_LINK		= 13,
	FUSE_OPEN		= 14,
	FUSE_READ		= 15,
	FUSE_WRITE		= 16,
	FUSE_STATFS		= 17,
	FUSE_RELEASE		= 18,
	FUSE_FSYNC		= 20,
	FUSE_SETXATTR		= 21,
	FUSE_GETXATTR		= 22,
	FUSE_LISTXATTR		= 23,
	FUSE_REMOVEXATTR	= 24,
	FUSE_FLUSH		= 25,
	FUSE_INIT		= 26,
	FUSE_OPENDIR		= 27,
	FUSE_READDIR		= 28,
	FUSE_RELEASEDIR		= 29,
	FUSE_FSYNCDIR		= 30,
	FUSE_GETLK		= 31,
	FUSE_SETLK		= 32,
	FUSE_SETLKW		= 33,
	FUSE_ACCESS		= 34,
	FUSE_CREATE		= 35,
	FUSE_INTERRUPT		= 36,	/* normally not answered */
	FUSE_BMAP		= 37,
	FUSE_DESTROY		= 38,
	FUSE_IOCTL		= 39,
	FUSE_POLL		= 40,
	FUSE_NOTIFY_REPLY	= 41,
	FUSE_BATCH_FORGET	= 42,	/* never answered */
	FUSE_FALLOCATE		= 43,
	FUSE_READDIRPLUS	= 44,
	FUSE_RENAME2		= 45,
	FUSE_LSEEK		= 46,
	FUSE_COPY_FILE_RANGE	= 47,
	FUSE_SETUPMAPPING	= 48,
	FUSE_REMOVEMAPPING	= 49,
	FUSE_SYNCFS		= 50,
	FUSE_TMPFILE		= 51,
	FUSE_STATX		= 52,
	FUSE_COPY_FILE_RANGE_64	= 53,
};

/* ---------------------------------------------------------------------------------------------
 * INIT capabilities: a 64-bit set; bits 0..31 travel in flags, bits 32..63 in flags2, and flags2
 * counts only when FUSE_INIT_EXT is set in flags.
 */
#define FUSE_ASYNC_READ			(1ULL << 0)
#define FUSE_POSIX_LOCKS		(1ULL << 1)
#define FUSE_ATOMIC_O_TRUNC		(1ULL << 3)
#define FUSE_EXPORT_SUPPORT		(1ULL << 4)
#define FUSE_BIG_WRITES			(1ULL << 5)
#define FUSE_DONT_MASK			(1ULL << 6)
#define FUSE_FLOCK_LOCKS		(1ULL << 10)
#define FUSE_AUTO_INVAL_DATA		(1ULL << 12)
#define FUSE_DO_READDIRPLUS		(1ULL << 13)
#define FUSE_READDIRPLUS_AUTO		(1ULL << 14)
#define FUSE_ASYNC_DIO			(1ULL << 15)
#define FUSE_WRITEBACK_CACHE		(1ULL << 16)
#define FUSE_NO_OPEN_SUPPORT		(1ULL << 17)
#define FUSE_PARALLEL_DIROPS		(1ULL << 18)
#define FUSE_MAX_PAGES			(1ULL << 22)
#define FUSE_EXPLICIT_INVAL_DATA	(1ULL << 25)
#define FUSE_SETXATTR_EXT		(1ULL << 29)
#define FUSE_INIT_EXT			(1ULL << 30)
#define FUSE_SECURITY_CTX		(1ULL << 32)
#define FUSE_CREATE_SUPP_GROUP		(1ULL << 34)
#define FUSE_DIRECT_IO_ALLOW_MMAP	(1ULL << 36)
#define FUSE_PASSTHROUGH		(1ULL << 37)
#define FUSE_REQUEST_TIMEOUT		(1ULL << 42)

/* fuse_open_out.open_flags */
#define FOPEN_DIRECT_IO			(1 << 0)
#define FOPEN_KEEP_CACHE		(1 << 1)
#define FOPEN_NONSEEKABLE		(1 << 2)
#define FOPEN_CACHE_DIR			(1 << 3)
#define FOPEN_STREAM			(1 << 4)
#define FOPEN_NOFLUSH			(1 << 5)
#define FOPEN_PARALLEL_DIRECT_WRITES	(1 << 6)
#define FOPEN_PASSTHROUGH		(1 << 7)

/* fuse_setattr_in.valid */
#define FATTR_MODE		(1 << 0)
#define FATTR_UID		(1 << 1)
#define FATTR_GID		(1 << 2)
#define FATTR_SIZE		(1 << 3)
#define FATTR_ATIME		(1 << 4)
#define FATTR_MTIME		(1 << 5)
#define FATTR_FH		(1 << 6)
#define FATTR_ATIME_NOW		(1 << 7)
#define FATTR_MTIME_NOW		(1 << 8)
#define FATTR_LOCKOWNER		(1 << 9)
#define FATTR_CTIME		(1 << 10)
#define FATTR_KILL_SUIDGID	(1 << 11)

#define FUSE_GETATTR_FH		(1 << 0)
#define FUSE_RELEASE_FLUSH	(1 << 0)
#define FUSE_RELEASE_FLOCK_UNLOCK (1 << 1)
#define FUSE_LK_FLOCK		(1 << 0)
#define FUSE_FSYNC_FDATASYNC	(1 << 0)

/* ---------------------------------------------------------------------------------------------
 * Framing: every request starts with fuse_in_header, every reply with fuse_out_header.
 */
struct fuse_in_header {
	uint32_t	len;		/* whole request, header included */
	uint32_t	opcode;
	uint64_t	unique;		/* echoed in the reply */
	uint64_t	nodeid;
	uint32_t	uid;
	uint32_t	gid;
	uint32_t	pid;
	uint16_t	total_extlen;	/* extension bytes at the end, in units of 8 */
	uint16_t	padding;
};

struct fuse_out_header {
	uint32_t	len;		/* must equal the bytes written */
	int32_t		error;		/* 0 or -errno (-511..-1); an error reply has no payload */
	uint64_t	unique;
};

/* ---------------------------------------------------------------------------------------------
 * INIT
 */
struct fuse_init_in {
	uint32_t	major;
	uint32_t	minor;
	uint32_t	max_readahead;
	uint32_t	flags;
	uint32_t	flags2;
	uint32_t	unused[11];
};

struct fuse_init_out {
	uint32_t	major;
	uint32_t	minor;
	uint32_t	max_readahead;
	uint32_t	flags;
	uint16_t	max_background;
	uint16_t	congestion_threshold;
	uint32_t	max_write;
	uint32_t	time_gran;
	uint16_t	max_pages;
	uint16_t	map_alignment;
	uint32_t	flags2;
	uint32_t	max_stack_depth;
	uint16_t	request_timeout;
	uint16_t	unused[11];
};

/* ---------------------------------------------------------------------------------------------
 * Attributes and directory entries
 */
struct fuse_attr {
	uint64_t	ino;
	uint64_t	size;
	uint64_t	blocks;
	uint64_t	atime;
	uint64_t	mtime;
	uint64_t	ctime;
	uint32_t	atimensec;
	uint32_t	mtimensec;
	uint32_t	ctimensec;
	uint32_t	mode;
	uint32_t	nlink;
	uint32_t	uid;
	uint32_t	gid;
	uint32_t	rdev;
	uint32_t	blksize;
	uint32_t	flags;
};

struct fuse_entry_out {
	uint64_t	nodeid;
	uint64_t	generation;
	uint64_t	entry_valid;	/* seconds the name may be cached */
	uint64_t	attr_valid;	/* seconds the attributes may be cached */
	uint32_t	entry_valid_nsec;
	uint32_t	attr_valid_nsec;
	struct fuse_attr attr;
};

struct fuse_attr_out {
	uint64_t	attr_valid;
	uint32_t	attr_valid_nsec;
	uint32_t	dummy;
	struct fuse_attr attr;
};

struct fuse_getattr_in {
	uint32_t	getattr_flags;
	uint32_t	dummy;
	uint64_t	fh;
};

struct fuse_setattr_in {
	uint32_t	valid;
	uint32_t	padding;
	uint64_t	fh;
	uint64_t	size;
	uint64_t	lock_owner;
	uint64_t	atime;
	uint64_t	mtime;
	uint64_t	ctime;
	uint32_t	atimensec;
	uint32_t	mtimensec;
	uint32_t	ctimensec;
	uint32_t	mode;
	uint32_t	unused4;
	uint32_t	uid;
	uint32_t	gid;
	uint32_t	unused5;
};

/* A READDIR record: this header, then namelen bytes of name, zero-padded to 8 bytes. */
struct fuse_dirent {
	uint64_t	ino;
	uint64_t	off;		/* cookie of the next entry */
	uint32_t	namelen;
	uint32_t	type;		/* d_type */
};

/* A READDIRPLUS record: an entry_out followed by a dirent (and the padded name). */
struct fuse_direntplus {
	struct fuse_entry_out entry_out;
	struct fuse_dirent dirent;
};

/* ---------------------------------------------------------------------------------------------
 * Open, read, write, release
 */
struct fuse_open_in {
	uint32_t	flags;
	uint32_t	open_flags;
};

struct fuse_open_out {
	uint64_t	fh;
	uint32_t	open_flags;
	int32_t		backing_id;
};

struct fuse_create_in {
	uint32_t	flags;
	uint32_t	mode;
	uint32_t	umask;
	uint32_t	open_flags;
};

struct fuse_release_in {
	uint64_t	fh;
	uint32_t	flags;
	uint32_t	release_flags;
	uint64_t	lock_owner;
};

struct fuse_flush_in {
	uint64_t	fh;
	uint32_t	unused;
	uint32_t	padding;
	uint64_t	lock_owner;
};

struct fuse_read_in {
	uint64_t	fh;
	uint64_t	offset;
	uint32_t	size;
	uint32_t	read_flags;
	uint64_t	lock_owner;
	uint32_t	flags;
	uint32_t	padding;
};

struct fuse_write_in {
	uint64_t	fh;
	uint64_t	offset;
	uint32_t	size;
	uint32_t	write_flags;
	uint64_t	lock_owner;
	uint32_t	flags;
	uint32_t	padding;
};

struct fuse_write_out {
	uint32_t	size;
	uint32_t	padding;
};

struct fuse_fsync_in {
	uint64_t	fh;
	uint32_t	fsync_flags;
	uint32_t	padding;
};

struct fuse_lseek_in {
	uint64_t	fh;
	uint64_t	offset;
	uint32_t	whence;
	uint32_t	padding;
};

struct fuse_lseek_out {
	uint64_t	offset;
};

/* ---------------------------------------------------------------------------------------------
 * Notifications: messages the daemon writes unasked, with unique 0 and the notify code in the
 * out header's error field (positive). INVAL_INODE drops an inode's cached attributes and, when
 * off >= 0, its page cache from off for len bytes (len <= 0: to the end); INVAL_ENTRY drops the
 * dentry `name` of directory `parent` (the name follows, NUL-terminated, namelen not counting it).
 */
enum fuse_notify_code {
	FUSE_NOTIFY_POLL	= 1,
	FUSE_NOTIFY_INVAL_INODE	= 2,
	FUSE_NOTIFY_INVAL_ENTRY	= 3,
	FUSE_NOTIFY_STORE	= 4,
	FUSE_NOTIFY_RETRIEVE	= 5,
	FUSE_NOTIFY_DELETE	= 6,
};

struct fuse_notify_inval_inode_out {
	uint64_t	ino;
	int64_t		off;
	int64_t		len;
};

struct fuse_notify_inval_entry_out {
	uint64_t	parent;
	uint32_t	namelen;
	uint32_t	flags;		/* FUSE_EXPIRE_ONLY */
};

/* ---------------------------------------------------------------------------------------------
 * IOCTL. A request is fuse_ioctl_in then in_size bytes of input; a reply is fuse_ioctl_out then
 * at most out_size bytes of output. For a FUSE file (never UNRESTRICTED) the kernel takes both
 * sizes from _IOC_SIZE/_IOC_DIR of cmd, except the fileattr ioctls it issues itself.
 */
#define FUSE_IOCTL_COMPAT	(1 << 0)
#define FUSE_IOCTL_UNRESTRICTED	(1 << 1)	/* CUSE only */
#define FUSE_IOCTL_RETRY	(1 << 2)	/* reply flag; refused unless UNRESTRICTED */
#define FUSE_IOCTL_32BIT	(1 << 3)
#define FUSE_IOCTL_DIR		(1 << 4)
#define FUSE_IOCTL_COMPAT_X32	(1 << 5)
#define FUSE_IOCTL_MAX_IOV	256

struct fuse_ioctl_in {
	uint64_t	fh;
	uint32_t	flags;
	uint32_t	cmd;
	uint64_t	arg;		/* the caller's argument, usually a user pointer */
	uint32_t	in_size;
	uint32_t	out_size;
};

struct fuse_ioctl_iovec {
	uint64_t	base;
	uint64_t	len;
};

struct fuse_ioctl_out {
	int32_t		result;		/* ioctl(2)'s return value */
	uint32_t	flags;
	uint32_t	in_iovs;
	uint32_t	out_iovs;
};

/* ---------------------------------------------------------------------------------------------
 * Forget and interrupt (no replies)
 */
struct fuse_forget_in {
	uint64_t	nlookup;
};

struct fuse_forget_one {
	uint64_t	nodeid;
	uint64_t	nlookup;
};

struct fuse_batch_forget_in {
	uint32_t	count;		/* followed by count fuse_forget_one */
	uint32_t	dummy;
};

struct fuse_interrupt_in {
	uint64_t	unique;
};

/* ---------------------------------------------------------------------------------------------
 * Statfs, xattrs, access
 */
struct fuse_kstatfs {
	uint64_t	blocks;
	uint64_t	bfree;
	uint64_t	bavail;
	uint64_t	files;
	uint64_t	ffree;
	uint32_t	bsize;
	uint32_t	namelen;
	uint32_t	frsize;
	uint32_t	padding;
	uint32_t	spare[6];
};

struct fuse_statfs_out {
	struct fuse_kstatfs st;
};

struct fuse_getxattr_in {
	uint32_t	size;
	uint32_t	padding;
};

struct fuse_getxattr_out {
	uint32_t	size;
	uint32_t	padding;
};

/* 16 bytes with FUSE_SETXATTR_EXT; only the first 8 without it. */
struct fuse_setxattr_in {
	uint32_t	size;
	uint32_t	flags;
	uint32_t	setxattr_flags;
	uint32_t	padding;
};

struct fuse_access_in {
	uint32_t	mask;
	uint32_t	padding;
};

/* ---------------------------------------------------------------------------------------------
 * Locks (flock(2) arrives as SETLK/SETLKW with FUSE_LK_FLOCK in lk_flags)
 */
struct fuse_file_lock {
	uint64_t	start;
	uint64_t	end;
	uint32_t	type;
	uint32_t	pid;
};

struct fuse_lk_in {
	uint64_t	fh;
	uint64_t	owner;
	struct fuse_file_lock lk;
	uint32_t	lk_flags;
	uint32_t	padding;
};

struct fuse_lk_out {
	struct fuse_file_lock lk;
};

/* ---------------------------------------------------------------------------------------------
 * Namespace operations (each followed by NUL-terminated names)
 */
struct fuse_mkdir_in {
	uint32_t	mode;
	uint32_t	umask;
};

struct fuse_mknod_in {
	uint32_t	mode;
	uint32_t	rdev;
	uint32_t	umask;
	uint32_t	padding;
};

struct fuse_rename_in {
	uint64_t	newdir;
};

struct fuse_rename2_in {
	uint64_t	newdir;
	uint32_t	flags;
	uint32_t	padding;
};

struct fuse_link_in {
	uint64_t	oldnodeid;
};

/* ---------------------------------------------------------------------------------------------
 * STATX (7.39)
 */
struct fuse_sx_time {
	int64_t		tv_sec;
	uint32_t	tv_nsec;
	int32_t		__reserved;
};

struct fuse_statx {
	uint32_t	mask;
	uint32_t	blksize;
	uint64_t	attributes;
	uint32_t	nlink;
	uint32_t	uid;
	uint32_t	gid;
	uint16_t	mode;
	uint16_t	__spare0[1];
	uint64_t	ino;
	uint64_t	size;
	uint64_t	blocks;
	uint64_t	attributes_mask;
	struct fuse_sx_time atime;
	struct fuse_sx_time btime;
	struct fuse_sx_time ctime;
	struct fuse_sx_time mtime;
	uint32_t	rdev_major;
	uint32_t	rdev_minor;
	uint32_t	dev_major;
	uint32_t	dev_minor;
	uint64_t	__spare2[14];
};

struct fuse_statx_in {
	uint32_t	getattr_flags;
	uint32_t	reserved;
	uint64_t	fh;
	uint32_t	sx_flags;
	uint32_t	sx_mask;
};

struct fuse_statx_out {
	uint64_t	attr_valid;
	uint32_t	attr_valid_nsec;
	uint32_t	flags;
	uint64_t	spare[2];
	struct fuse_statx stat;
};

/* =============================================================================================
 * famfs additions
 *
 * GET_FMAP carries no argument: the header's nodeid names the file. GET_DAXDEV (V10) carries no
 * argument either: the header's nodeid is the device INDEX. The opcodes and the INIT bit moved
 * between revisions; famfs-ts keeps them in an ABI profile (src/protocol/profiles/).
 */

/* Profile "v10": the 2026 series V3..V10 (libfuse PR #1414). The default. */
#define FUSE_GET_FMAP_V10		54
#define FUSE_GET_DAXDEV_V10		55
#define FUSE_DAX_FMAP_V10		(1ULL << 43)	/* bit 11 of flags2 */
#define FUSE_FAMFS_MAX_EXTENTS_V10	32
#define FUSE_FAMFS_MAX_STRIPS_V10	32

/* Profile "rfc": the 2025 RFC v1/v2 (6.14 base). */
#define FUSE_GET_FMAP_RFC		53
#define FUSE_GET_DAXDEV_RFC		54
#define FUSE_DAX_FMAP_RFC		(1ULL << 42)	/* bit 10 of flags2 */
#define FUSE_FAMFS_MAX_EXTENTS_RFC	2
#define FUSE_FAMFS_MAX_STRIPS_RFC	16

/* The default names follow the v10 profile. */
#define FUSE_GET_FMAP			FUSE_GET_FMAP_V10
#define FUSE_GET_DAXDEV			FUSE_GET_DAXDEV_V10
#define FUSE_DAX_FMAP			FUSE_DAX_FMAP_V10
#define FUSE_FAMFS_MAX_EXTENTS		FUSE_FAMFS_MAX_EXTENTS_V10
#define FUSE_FAMFS_MAX_STRIPS		FUSE_FAMFS_MAX_STRIPS_V10

#define FAMFS_FMAP_VERSION		1	/* sent; not checked by the kernel */
#define FAMFS_FMAP_MAX			32768	/* declared maximum; the V10 kernel reads one page */
#define DAXDEV_NAME_MAX			256

enum fuse_famfs_file_type {
	FUSE_FAMFS_FILE_REG		= 0,
	FUSE_FAMFS_FILE_SUPERBLOCK	= 1,
	FUSE_FAMFS_FILE_LOG		= 2,
};

enum famfs_ext_type {
	FUSE_FAMFS_EXT_SIMPLE		= 0,
	FUSE_FAMFS_EXT_INTERLEAVE	= 1,
};

/*
 * A GET_FMAP reply is this header, then either nextents simple extents (ext_type SIMPLE), or
 * nextents times { one fuse_famfs_iext, then ie_nstrips fuse_famfs_simple_ext } (INTERLEAVE).
 */
struct fuse_famfs_fmap_header {
	uint8_t		file_type;	/* enum fuse_famfs_file_type */
	uint8_t		reserved;
	uint16_t	fmap_version;
	uint32_t	ext_type;	/* enum famfs_ext_type */
	uint32_t	nextents;	/* 1..FUSE_FAMFS_MAX_EXTENTS */
	uint32_t	reserved0;	/* push generation: fmap_size, the whole fmap's bytes */
	uint64_t	file_size;	/* must equal the size every attribute reply reports */
	uint64_t	reserved1;
};

/* One simple extent, also one strip of an interleaved extent. */
struct fuse_famfs_simple_ext {
	uint32_t	se_devindex;	/* only 0 is accepted so far */
	uint32_t	reserved;
	uint64_t	se_offset;	/* byte offset in the dax device, PMD aligned */
	uint64_t	se_len;		/* bytes, PMD aligned */
};

/* Head of one interleaved extent; ie_nstrips strips follow it. */
struct fuse_famfs_iext {
	uint32_t	ie_nstrips;	/* 1..FUSE_FAMFS_MAX_STRIPS */
	uint32_t	ie_chunk_size;	/* bytes, a multiple of PMD size */
	uint64_t	ie_nbytes;	/* file bytes this extent covers; not 0 */
	uint64_t	reserved;
};

/* Declared by the series but not sent by V10 (the index travels in the header's nodeid). */
struct fuse_get_daxdev_in {
	uint32_t	daxdev_num;
};

/* GET_DAXDEV reply: the device path, NUL-terminated within DAXDEV_NAME_MAX bytes. */
struct fuse_daxdev_out {
	uint16_t	index;
	uint16_t	reserved;
	uint32_t	reserved2;
	uint64_t	reserved3;
	uint64_t	reserved4;
	char		name[DAXDEV_NAME_MAX];
};

/*
 * FUSE_DEV_IOC_BACKING_OPEN's argument (passthrough); the famfs push generation reuses it for
 * DAXDEV_OPEN with the union member as the daxdev index. The DAXDEV_OPEN ioctl number is not
 * public yet: famfs-ts assumes _IOW(FUSE_DEV_IOC_MAGIC, 4, struct fuse_backing_map).
 */
#define FUSE_DEV_IOC_MAGIC		229
struct fuse_backing_map {
	int32_t		fd;
	uint32_t	flags;
	union {
		uint64_t	padding;
		uint64_t	daxdev_index;
	};
};

#endif /* FAMFS_FUSE_H */
