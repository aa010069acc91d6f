/*
 * statloop FILE N: stat(FILE) N times in a tight loop; prints one JSON line
 * {"n":N,"sec":S,"per_sec":R}. Exits 1 if any stat() fails.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

int main(int argc, char *argv[])
{
	struct stat st;
	struct timespec a, b;
	long n, i;

	if (argc != 3) {
		fprintf(stderr, "usage: %s FILE N\n", argv[0]);
		return 2;
	}
	n = atol(argv[2]);
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < n; i++) {
		if (stat(argv[1], &st) != 0) {
			perror(argv[1]);
			return 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	double sec = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	printf("{\"n\":%ld,\"sec\":%.6f,\"per_sec\":%.1f,\"size\":%lld}\n", n, sec, (double)n / sec, (long long)st.st_size);
	return 0;
}
