// CRC-32 (gzip/zlib polynomial, bit-reflected) by folding with carry-less multiplication.
//
// A famfs log entry is checksummed by itself (536 bytes), so a log pass makes half a million short
// CRC calls. zlib's table-driven code manages about 2.4 GB/s on such records here; folding 64
// bytes at a time with PCLMULQDQ does about ten times that. The method is the one of Intel's paper
// "Fast CRC Computation for Generic Polynomials Using PCLMULQDQ Instruction": the message is
// kept as four 128-bit lanes; each step multiplies a lane by x^d mod P (d the distance it moves
// forward) and adds the next 64 bytes; then the lanes are folded into one, reduced to 64 bits and
// to 32 by Barrett reduction. The constants are computed below from the polynomial, not typed in.
// Anything under 64 bytes, the last bytes past a 16-byte multiple and CPUs without PCLMULQDQ
// go to zlib (Node's own copy, exported to addons). The tests compare every length and offset
// with zlib.crc32.
#include "crc32.h"

#include <zlib.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace famfs {
namespace {

// The CRC-32 polynomial with its x^32 term.
constexpr uint64_t kPoly = 0x104C11DB7ULL;

// x^n mod P, as a 32-bit polynomial (bit i the coefficient of x^i).
constexpr uint64_t XPowMod(int n) {
  uint64_t r = 1;
  for (int i = 0; i < n; i++) {
    r <<= 1;
    if (r & (1ULL << 32)) r ^= kPoly;
  }
  return r;
}

// v's low `bits` bits in reverse order: the reflected form this CRC works in.
constexpr uint64_t Reflect(uint64_t v, int bits) {
  uint64_t r = 0;
  for (int i = 0; i < bits; i++) {
    if (v & (1ULL << i)) r |= 1ULL << (bits - 1 - i);
  }
  return r;
}

// The multiplier that moves a 64-bit half-lane forward by n bits. Reflected, a carry-less
// product comes out one bit low, hence the shift.
constexpr uint64_t Fold(int n) { return Reflect(XPowMod(n), 32) << 1; }

// floor(x^64 / P), the 33-bit quotient Barrett reduction multiplies by.
constexpr uint64_t BarrettMu() {
  // x^64 divided by P: the first quotient bit is x^32, which leaves x^64 + P * x^32 = the low
  // 32 bits of P shifted up by 32; the remaining bits come from the remainder's bits 63..32.
  uint64_t q = 1ULL << 32;
  uint64_t r = (kPoly & 0xffffffffULL) << 32;
  for (int bit = 63; bit >= 32; bit--) {
    if (r & (1ULL << bit)) {
      q |= 1ULL << (bit - 32);
      r ^= kPoly << (bit - 32);
    }
  }
  return q;
}

constexpr uint64_t kFold4Lo = Fold(4 * 128 + 32);  // a lane's first half, 4 lanes on
constexpr uint64_t kFold4Hi = Fold(4 * 128 - 32);  // its second half
constexpr uint64_t kFold1Lo = Fold(128 + 32);      // the same, one lane on
constexpr uint64_t kFold1Hi = Fold(128 - 32);
constexpr uint64_t kFold64 = Fold(64);             // 96 bits down to 64
constexpr uint64_t kMu = Reflect(BarrettMu(), 33);
constexpr uint64_t kPolyReflected = Reflect(kPoly, 33);

static_assert(kFold64 == 0x163cd6124ULL, "x^64 mod P, reflected");
static_assert(kPolyReflected == 0x1db710641ULL, "the reflected polynomial");

#if defined(__x86_64__)
#define FAMFS_CLMUL __attribute__((target("pclmul,sse2")))

FAMFS_CLMUL inline __m128i FoldLane(__m128i lane, __m128i k) {
  return _mm_xor_si128(_mm_clmulepi64_si128(lane, k, 0x00), _mm_clmulepi64_si128(lane, k, 0x11));
}

FAMFS_CLMUL inline __m128i Load(const uint8_t* p) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); }

// len >= 64. Folds p[0, len rounded down to 16) and hands the rest to zlib.
FAMFS_CLMUL uint32_t Crc32Clmul(uint32_t crc, const uint8_t* p, size_t len) {
  __m128i x0 = _mm_xor_si128(Load(p), _mm_cvtsi32_si128(static_cast<int>(~crc)));
  __m128i x1 = Load(p + 16);
  __m128i x2 = Load(p + 32);
  __m128i x3 = Load(p + 48);
  p += 64;
  len -= 64;
  const __m128i k4 = _mm_set_epi64x(static_cast<int64_t>(kFold4Hi), static_cast<int64_t>(kFold4Lo));
  while (len >= 64) {
    x0 = _mm_xor_si128(FoldLane(x0, k4), Load(p));
    x1 = _mm_xor_si128(FoldLane(x1, k4), Load(p + 16));
    x2 = _mm_xor_si128(FoldLane(x2, k4), Load(p + 32));
    x3 = _mm_xor_si128(FoldLane(x3, k4), Load(p + 48));
    p += 64;
    len -= 64;
  }
  const __m128i k1 = _mm_set_epi64x(static_cast<int64_t>(kFold1Hi), static_cast<int64_t>(kFold1Lo));
  x0 = _mm_xor_si128(FoldLane(x0, k1), x1);
  x0 = _mm_xor_si128(FoldLane(x0, k1), x2);
  x0 = _mm_xor_si128(FoldLane(x0, k1), x3);
  while (len >= 16) {
    x0 = _mm_xor_si128(FoldLane(x0, k1), Load(p));
    p += 16;
    len -= 16;
  }
  // 128 bits to 96: the first half moved on by 64 bits, added to the second.
  x0 = _mm_xor_si128(_mm_srli_si128(x0, 8), _mm_clmulepi64_si128(x0, k1, 0x10));
  // 96 bits to 64: the low 32 bits moved on by 64.
  const __m128i low32 = _mm_setr_epi32(-1, 0, 0, 0);
  x0 = _mm_xor_si128(_mm_srli_si128(x0, 4),
                     _mm_clmulepi64_si128(_mm_and_si128(x0, low32), _mm_set_epi64x(0, static_cast<int64_t>(kFold64)), 0x00));
  // 64 bits to 32, Barrett: q = low(x) * mu, then x + low(q) * P leaves the remainder in bits 32..63.
  const __m128i barrett = _mm_set_epi64x(static_cast<int64_t>(kMu), static_cast<int64_t>(kPolyReflected));
  __m128i q = _mm_clmulepi64_si128(_mm_and_si128(x0, low32), barrett, 0x10);
  q = _mm_clmulepi64_si128(_mm_and_si128(q, low32), barrett, 0x00);
  x0 = _mm_xor_si128(x0, q);
  uint32_t folded = ~static_cast<uint32_t>(_mm_cvtsi128_si32(_mm_srli_si128(x0, 4)));
  return len == 0 ? folded : Crc32UpdateZlib(folded, p, len);
}

bool CpuHasClmul() {
  __builtin_cpu_init();  // this runs as a static initializer, possibly before libgcc's own
  return __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse2");
}

const bool kHasClmul = CpuHasClmul();
#else
const bool kHasClmul = false;
#endif

// Below this zlib is as quick: the fold needs four lanes to start.
constexpr size_t kFoldMin = 64;

}  // namespace

uint32_t Crc32UpdateZlib(uint32_t crc, const uint8_t* p, size_t len) {
  return static_cast<uint32_t>(crc32_z(crc, p, static_cast<z_size_t>(len)));
}

uint32_t Crc32Update(uint32_t crc, const uint8_t* p, size_t len) {
#if defined(__x86_64__)
  if (kHasClmul && len >= kFoldMin) return Crc32Clmul(crc, p, len);
#endif
  return Crc32UpdateZlib(crc, p, len);
}

const char* Crc32Method() { return kHasClmul ? "pclmul" : "zlib"; }

}  // namespace famfs
