// CRC-32 of the gzip/zlib polynomial, the checksum of every famfs superblock, log header and log
// entry: the same value as zlib's crc32_z, computed with carry-less multiplication where the CPU
// has it (crc32-fold.cc), otherwise by zlib.
#ifndef FAMFS_NATIVE_CRC32_H_
#define FAMFS_NATIVE_CRC32_H_

#include <cstddef>
#include <cstdint>

namespace famfs {

// The CRC-32 of p[0, len) continued from `crc` (0 to start), as zlib's crc32_z(crc, p, len).
uint32_t Crc32Update(uint32_t crc, const uint8_t* p, size_t len);

// Which implementation Crc32Update uses on this CPU: "pclmul" or "zlib" (for the tests and benchmarks).
const char* Crc32Method();

// zlib's implementation alone, whatever the CPU (the reference the tests compare with).
uint32_t Crc32UpdateZlib(uint32_t crc, const uint8_t* p, size_t len);

}  // namespace famfs

#endif  // FAMFS_NATIVE_CRC32_H_
