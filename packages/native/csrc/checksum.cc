// Batched CRC-32 over fixed-size records: one call checks every entry of a famfs log, where a
// call per 544-byte entry would cost more in call overhead than in checksumming. zlib is the
// copy Node itself carries and exports to addons, so this is the same CRC as zlib.crc32.
#include <zlib.h>

#include "common.h"

namespace famfs {
namespace {

// crc32Records(buf, offset, stride, span, count) -> Uint32Array of `count` CRCs, the i-th over
// buf[offset + i*stride, offset + i*stride + span).
Napi::Value Crc32Records(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Bytes bytes;
  int64_t offset, stride, span, count;
  if (!ArgBytes(info, 0, "crc32Records", "buf", &bytes) ||
      !ArgInt(info, 1, "crc32Records", "offset", 0, kMaxSafeInteger, &offset) ||
      !ArgInt(info, 2, "crc32Records", "stride", 1, kMaxSafeInteger, &stride) ||
      !ArgInt(info, 3, "crc32Records", "span", 0, kMaxSafeInteger, &span) ||
      !ArgInt(info, 4, "crc32Records", "count", 0, 0xffffffffLL, &count)) {
    return env.Undefined();
  }
  if (span > stride) {
    ThrowRange(env, "crc32Records", "span is larger than stride");
    return env.Undefined();
  }
  if (count > 0 && static_cast<uint64_t>(offset) + static_cast<uint64_t>(count - 1) * stride + span > bytes.length) {
    ThrowRange(env, "crc32Records", "records run past the end of the buffer");
    return env.Undefined();
  }
  Napi::Uint32Array out = Napi::Uint32Array::New(env, static_cast<size_t>(count));
  const uint8_t* p = bytes.data + offset;
  for (int64_t i = 0; i < count; i++, p += stride) {
    out[static_cast<size_t>(i)] = static_cast<uint32_t>(crc32_z(0, p, static_cast<z_size_t>(span)));
  }
  return out;
}

}  // namespace

void InitChecksum(Napi::Env env, Napi::Object exports) {
  exports.Set("crc32Records", Napi::Function::New(env, Crc32Records, "crc32Records"));
}

}  // namespace famfs
