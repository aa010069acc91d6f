/*
 * readloop FILE MODE BS PASSES [SEED]
 *   MODE   direct: O_DIRECT reads of BS bytes (each read becomes one FUSE READ of up to BS)
 *          buffered: plain reads of BS bytes through the page cache; before each pass the
 *          file's cached pages are dropped (POSIX_FADV_DONTNEED), so the data comes from the
 *          server through readahead
 *   PASSES whole-file sequential passes, each with its own open()
 *   SEED   if given, the first pass checks the bytes against the xorshift32 pattern
 *          (memfs.patternBytes / ll_server) and exits 3 on a mismatch
 * Prints one JSON line: {"mode":..,"bs":..,"bytes":..,"gbps":[per pass],"best":..} (GB = 1e9 B).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char *argv[])
{
	if (argc < 5) {
		fprintf(stderr, "usage: %s FILE direct|buffered BS PASSES [SEED]\n", argv[0]);
		return 2;
	}
	const char *file = argv[1];
	int direct = strcmp(argv[2], "direct") == 0;
	size_t bs = strtoull(argv[3], NULL, 0);
	int passes = atoi(argv[4]);
	int verify = argc > 5;
	uint32_t seed = verify ? (uint32_t)strtoul(argv[5], NULL, 0) : 0;
	uint32_t x = seed ? seed : 0x9e3779b9u;
	unsigned char *buf;
	double best = 0;

	if (posix_memalign((void **)&buf, 4096, bs) != 0) {
		perror("posix_memalign");
		return 1;
	}
	memset(buf, 0, bs);
	printf("{\"mode\":\"%s\",\"bs\":%zu,\"gbps\":[", direct ? "direct" : "buffered", bs);
	long long total = 0;
	for (int p = 0; p < passes; p++) {
		int fd = open(file, O_RDONLY | (direct ? O_DIRECT : 0));
		if (fd < 0) {
			perror(file);
			return 1;
		}
		if (!direct)
			posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
		long long got = 0;
		double t0 = now();
		for (;;) {
			ssize_t n = read(fd, buf, bs);
			if (n < 0) {
				perror("read");
				return 1;
			}
			if (n == 0)
				break;
			if (verify && p == 0) {
				/* the pattern is a 4-byte stream; reads are multiples of 4 except at EOF */
				for (ssize_t i = 0; i + 4 <= n; i += 4) {
					x ^= x << 13;
					x ^= x >> 17;
					x ^= x << 5;
					if (memcmp(buf + i, &x, 4) != 0) {
						fprintf(stderr, "data mismatch at byte %lld\n", got + i);
						return 3;
					}
				}
			}
			got += n;
		}
		double dt = now() - t0;
		close(fd);
		double gbps = (double)got / dt / 1e9;
		if (gbps > best)
			best = gbps;
		total = got;
		printf("%s%.3f", p ? "," : "", gbps);
	}
	printf("],\"bytes\":%lld,\"best\":%.3f}\n", total, best);
	return 0;
}
