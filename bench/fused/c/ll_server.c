/*
 * ll_server: the C anchor of bench/fused. A minimal libfuse3 low-level server, single-threaded
 * loop, serving one directory (the root) that holds one read-only file, "big", from memory.
 *
 *   ll_server MOUNTPOINT
 *
 * Environment:
 *   LL_SIZE     file size in bytes (default 1 GiB; rounded down to a multiple of 4)
 *   LL_SEED     pattern seed (default 1234): the bytes are the same xorshift32 stream as
 *               memfs.patternBytes(size, seed), so both servers serve identical data
 *   LL_TIMEOUT  entry/attr cache lifetime in seconds (default 0: every stat() reaches us)
 *
 * Prints "ready" on stdout once the session is mounted, then serves until SIGTERM/SIGINT/SIGHUP
 * (libfuse's handlers end the loop) or until the file system is unmounted; it always unmounts
 * itself on the way out and prints per-op request counts as one JSON line on stderr.
 *
 * Written for this benchmark; only the public libfuse3 API is used.
 */
#define FUSE_USE_VERSION 34
#include <fuse_lowlevel.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define FILE_INO 2
static const char FILE_NAME[] = "big";

static unsigned char *data;
static size_t data_size;
static double timeout_s;
static unsigned long n_lookup, n_getattr, n_open, n_read, n_readdir, n_other;

static void fill_pattern(unsigned char *buf, size_t size, uint32_t seed)
{
	uint32_t x = seed ? seed : 0x9e3779b9u;
	size_t i;
	for (i = 0; i + 4 <= size; i += 4) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		memcpy(buf + i, &x, 4); /* little-endian host, like writeUInt32LE */
	}
	for (; i < size; i++)
		buf[i] = (unsigned char)((i * 31 + seed) & 0xff);
}

static void make_stat(fuse_ino_t ino, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_atime = st->st_mtime = st->st_ctime = 1700000000;
	st->st_blksize = 4096;
	if (ino == FUSE_ROOT_ID) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
	} else {
		st->st_mode = S_IFREG | 0644;
		st->st_nlink = 1;
		st->st_size = (off_t)data_size;
		st->st_blocks = (blkcnt_t)((data_size + 511) / 512);
	}
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e;
	n_lookup++;
	if (parent != FUSE_ROOT_ID || strcmp(name, FILE_NAME) != 0) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	memset(&e, 0, sizeof(e));
	e.ino = FILE_INO;
	e.attr_timeout = timeout_s;
	e.entry_timeout = timeout_s;
	make_stat(FILE_INO, &e.attr);
	fuse_reply_entry(req, &e);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stat st;
	(void)fi;
	n_getattr++;
	if (ino != FUSE_ROOT_ID && ino != FILE_INO) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	make_stat(ino, &st);
	fuse_reply_attr(req, &st, timeout_s);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	n_open++;
	if (ino != FILE_INO) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	if ((fi->flags & O_ACCMODE) != O_RDONLY) {
		fuse_reply_err(req, EROFS);
		return;
	}
	fi->keep_cache = 1; /* as memfs (FOPEN_KEEP_CACHE) */
	fuse_reply_open(req, fi);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	(void)fi;
	n_read++;
	if (ino != FILE_INO) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	if ((size_t)off >= data_size) {
		fuse_reply_buf(req, NULL, 0);
		return;
	}
	if (size > data_size - (size_t)off)
		size = data_size - (size_t)off;
	fuse_reply_buf(req, (const char *)data + off, size);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	static const struct {
		const char *name;
		fuse_ino_t ino;
		mode_t mode;
	} ents[] = { { ".", FUSE_ROOT_ID, S_IFDIR }, { "..", FUSE_ROOT_ID, S_IFDIR }, { FILE_NAME, FILE_INO, S_IFREG } };
	char buf[4096];
	size_t used = 0;
	(void)fi;
	n_readdir++;
	if (ino != FUSE_ROOT_ID) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	if (size > sizeof(buf))
		size = sizeof(buf);
	for (off_t i = off; i < (off_t)(sizeof(ents) / sizeof(ents[0])); i++) {
		struct stat st;
		size_t need;
		memset(&st, 0, sizeof(st));
		st.st_ino = ents[i].ino;
		st.st_mode = ents[i].mode;
		need = fuse_add_direntry(req, buf + used, size - used, ents[i].name, &st, i + 1);
		if (need > size - used)
			break;
		used += need;
	}
	fuse_reply_buf(req, buf, used);
}

static void op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct statvfs sv;
	(void)ino;
	n_other++;
	memset(&sv, 0, sizeof(sv));
	sv.f_bsize = sv.f_frsize = 4096;
	sv.f_blocks = (data_size + 4095) / 4096;
	sv.f_files = 2;
	sv.f_namemax = 255;
	fuse_reply_statfs(req, &sv);
}

/*
 * libfuse3 turns on a few capabilities by default that famfs-fused does not ask for. Two of them
 * change what the kernel sends on the read path: AUTO_INVAL_DATA makes every read revalidate the
 * attributes (with attr_timeout 0, one extra GETATTR per READ) and ASYNC_DIO splits O_DIRECT reads
 * into parallel requests. Clear them so both servers get the same request stream
 * (LL_LIBFUSE_DEFAULTS=1 keeps libfuse's defaults).
 */
static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	if (getenv("LL_LIBFUSE_DEFAULTS"))
		return;
	conn->want &= ~(FUSE_CAP_AUTO_INVAL_DATA | FUSE_CAP_ASYNC_DIO);
}

static const struct fuse_lowlevel_ops ops = {
	.init = op_init,
	.lookup = op_lookup,
	.getattr = op_getattr,
	.open = op_open,
	.read = op_read,
	.readdir = op_readdir,
	.statfs = op_statfs,
};

int main(int argc, char *argv[])
{
	const char *mnt;
	const char *env;
	struct fuse_session *se;
	int ret = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: %s MOUNTPOINT\n", argv[0]);
		return 2;
	}
	mnt = argv[1];
	env = getenv("LL_SIZE");
	data_size = env ? strtoull(env, NULL, 0) : (1ull << 30);
	data_size &= ~(size_t)3;
	env = getenv("LL_TIMEOUT");
	timeout_s = env ? strtod(env, NULL) : 0.0;
	env = getenv("LL_SEED");
	uint32_t seed = env ? (uint32_t)strtoul(env, NULL, 0) : 1234u;

	data = malloc(data_size ? data_size : 1);
	if (!data) {
		perror("malloc");
		return 1;
	}
	fill_pattern(data, data_size, seed); /* also faults every page in */

	char *fargv[] = { argv[0], "-o", "fsname=ll_server,subtype=ll_server", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(3, fargv);
	se = fuse_session_new(&args, &ops, sizeof(ops), NULL);
	if (!se)
		goto out_free;
	if (fuse_set_signal_handlers(se) != 0)
		goto out_destroy;
	if (fuse_session_mount(se, mnt) != 0)
		goto out_signals;
	printf("ready\n");
	fflush(stdout);
	ret = fuse_session_loop(se); /* single-threaded */
	fuse_session_unmount(se);
out_signals:
	fuse_remove_signal_handlers(se);
out_destroy:
	fuse_session_destroy(se);
out_free:
	fprintf(stderr,
		"{\"counts\":{\"LOOKUP\":%lu,\"GETATTR\":%lu,\"OPEN\":%lu,\"READ\":%lu,\"READDIR\":%lu,\"OTHER\":%lu}}\n",
		n_lookup, n_getattr, n_open, n_read, n_readdir, n_other);
	free(data);
	return ret ? 1 : 0;
}
