/*
 * The C famfs' fsck of a device, reduced to the work it does (issue 13 goal 1's reference, run in
 * the same loop as `famfs fsck`, since the C famfs itself is not built here): map the superblock
 * and the log of a device file, check the superblock's and the log header's CRCs, then walk every
 * entry in use as famfs_build_bitmap does: the seqnum must equal the index and zlib's crc32 of
 * bytes [0, 536) must equal the stored CRC (a bad entry is counted and skipped); a file entry with
 * a simple map marks ceil(len / alloc_unit) bits of a bitmap from offset / alloc_unit on, counting
 * bits already set as collisions; file sizes and allocated bytes are summed. It prints the counts
 * and exits with the number of collisions, as the C famfs' fsck does. No path is looked at: the C
 * famfs keeps no tree in fsck. Offsets are those of docs in ../../../shared/reference
 * (famfs-userspace.md §1.2-1.4, §2).
 *
 *   gcc -O2 -Wall fsck_scan.c -lz -o fsck_scan && ./fsck_scan DEVICE
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define SB_MAGIC 0x87b282ffULL
#define LOG_MAGIC 0x00000badcafef00dULL
#define LOG_OFFSET 0x200000ULL
#define LOG_HEADER 48
#define ENTRY_SIZE 544
#define ENTRY_CRC_SPAN 536
#define TYPE_FILE 0
#define TYPE_MKDIR 1
#define EXT_SIMPLE 0
#define MAX_SIMPLE 16

static uint64_t u64(const uint8_t *p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}
static uint32_t u32(const uint8_t *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s DEVICE\n", argv[0]);
    return 2;
  }
  int fd = open(argv[1], O_RDONLY);
  if (fd < 0) {
    perror(argv[1]);
    return 1;
  }
  uint8_t sbuf[200];
  if (pread(fd, sbuf, sizeof sbuf, 0) != (ssize_t)sizeof sbuf) {
    perror("superblock");
    return 1;
  }
  if (u64(sbuf) != SB_MAGIC || (uint32_t)u64(sbuf + 96) != (uint32_t)crc32(0, sbuf, 96)) {
    fprintf(stderr, "bad superblock\n");
    return 1;
  }
  const uint64_t logLen = u64(sbuf + 24), au = u64(sbuf + 32), devSize = u64(sbuf + 112);
  const uint8_t *meta = mmap(NULL, LOG_OFFSET + logLen, PROT_READ, MAP_SHARED, fd, 0);
  if (meta == MAP_FAILED) {
    perror("mmap");
    return 1;
  }
  const uint8_t *log = meta + LOG_OFFSET;
  if (u64(log) != LOG_MAGIC || (uint32_t)u64(log + 24) != (uint32_t)crc32(0, log, 24)) {
    fprintf(stderr, "bad log header\n");
    return 1;
  }
  const uint64_t n = u64(log + 40);
  const uint64_t nbits = (devSize + au - 1) / au;
  uint8_t *bitmap = calloc((nbits + 7) / 8, 1);
  uint64_t files = 0, dirs = 0, bad = 0, collisions = 0, fsizeSum = 0, allocSum = 0;
  /* The superblock and the log are in use. */
  for (uint64_t b = 0; b < (LOG_OFFSET + logLen + au - 1) / au && b < nbits; b++) {
    bitmap[b / 8] |= 1u << (b % 8);
    allocSum += au;
  }
  for (uint64_t i = 0; i < n; i++) {
    const uint8_t *e = log + LOG_HEADER + i * ENTRY_SIZE;
    if (u64(e) != i || (uint32_t)u64(e + ENTRY_CRC_SPAN) != (uint32_t)crc32(0, e, ENTRY_CRC_SPAN)) {
      bad++;
      continue;
    }
    const uint32_t type = u32(e + 8);
    if (type == TYPE_MKDIR) {
      dirs++;
      continue;
    }
    if (type != TYPE_FILE) continue;
    files++;
    fsizeSum += u64(e + 16);
    if (u32(e + 120) != EXT_SIMPLE) continue;
    const uint32_t next = u32(e + 128);
    for (uint32_t x = 0; x < next && x < MAX_SIMPLE; x++) {
      const uint8_t *se = e + 136 + 24 * x;
      const uint64_t first = u64(se + 8) / au, count = (u64(se + 16) + au - 1) / au;
      for (uint64_t b = first; b < first + count && b < nbits; b++) {
        if (bitmap[b / 8] & (1u << (b % 8))) {
          collisions++;
        } else {
          bitmap[b / 8] |= 1u << (b % 8);
          allocSum += au;
        }
      }
    }
  }
  printf("entries %llu files %llu directories %llu bad %llu collisions %llu size sum %llu allocated %llu\n",
         (unsigned long long)n, (unsigned long long)files, (unsigned long long)dirs, (unsigned long long)bad,
         (unsigned long long)collisions, (unsigned long long)fsizeSum, (unsigned long long)allocSum);
  return collisions > 127 ? 127 : (int)collisions;
}
