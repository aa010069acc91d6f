// The famfs test-data stream (xoroshiro128+, the original 55/14/36 variant): each output gives
// its low 32 bits as one little-endian word. The generator state lives in JS as four int32
// halves (s0 high, s0 low, s1 high, s1 low) so a stream can be continued across calls.
#include <cstring>

#include "common.h"

namespace famfs {
namespace {

struct Xoroshiro {
  uint64_t s0, s1;

  uint32_t Next() {
    const uint64_t a = s0;
    uint64_t b = s1;
    const uint32_t out = static_cast<uint32_t>(a + b);
    b ^= a;
    s0 = ((a << 55) | (a >> 9)) ^ b ^ (b << 14);
    s1 = (b << 36) | (b >> 28);
    return out;
  }
};

bool ArgState(const Napi::CallbackInfo& info, const char* fn, Napi::Int32Array* out, Xoroshiro* x) {
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array ||
      info[0].As<Napi::Int32Array>().ElementLength() != 4) {
    ThrowType(info.Env(), fn, "state must be an Int32Array of 4 halves");
    return false;
  }
  *out = info[0].As<Napi::Int32Array>();
  auto half = [&](size_t i) { return static_cast<uint64_t>(static_cast<uint32_t>((*out)[i])); };
  x->s0 = (half(0) << 32) | half(1);
  x->s1 = (half(2) << 32) | half(3);
  return true;
}

void SaveState(Napi::Int32Array& st, const Xoroshiro& x) {
  st[0] = static_cast<int32_t>(x.s0 >> 32);
  st[1] = static_cast<int32_t>(x.s0);
  st[2] = static_cast<int32_t>(x.s1 >> 32);
  st[3] = static_cast<int32_t>(x.s1);
}

// prngFill(state, buf): writes the next buf.length bytes of the stream (a partial last word
// consumes a whole output, as the C famfs does).
Napi::Value PrngFill(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Int32Array st;
  Xoroshiro x;
  Bytes buf;
  if (!ArgState(info, "prngFill", &st, &x) || !ArgBytes(info, 1, "prngFill", "buf", &buf)) return env.Undefined();
  size_t i = 0;
  for (; i + 4 <= buf.length; i += 4) {
    const uint32_t w = x.Next();
    std::memcpy(buf.data + i, &w, 4);
  }
  if (i < buf.length) {
    const uint32_t w = x.Next();
    std::memcpy(buf.data + i, &w, buf.length - i);
  }
  SaveState(st, x);
  return env.Undefined();
}

// prngCompare(state, buf) -> offset of the first byte that differs from the stream, or -1.
Napi::Value PrngCompare(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Int32Array st;
  Xoroshiro x;
  Bytes buf;
  if (!ArgState(info, "prngCompare", &st, &x) || !ArgBytes(info, 1, "prngCompare", "buf", &buf)) return env.Undefined();
  // Whole words with a fixed-size load (a variable-size memcpy per word is a library call).
  const size_t whole = buf.length & ~static_cast<size_t>(3);
  size_t at = buf.length;
  uint32_t want = 0;
  for (size_t i = 0; i < buf.length; i += 4) {
    want = x.Next();
    uint32_t got = want;
    if (i < whole) std::memcpy(&got, buf.data + i, 4);
    else std::memcpy(&got, buf.data + i, buf.length - i);  // the tail keeps the stream's high bytes
    if (got != want) {
      at = i;
      break;
    }
  }
  if (at < buf.length) {
    for (size_t b = 0; at + b < buf.length && b < 4; b++) {
      if (buf.data[at + b] != static_cast<uint8_t>(want >> (8 * b))) {
        SaveState(st, x);
        return Napi::Number::New(env, static_cast<double>(at + b));
      }
    }
  }
  SaveState(st, x);
  return Napi::Number::New(env, -1);
}

}  // namespace

void InitPrng(Napi::Env env, Napi::Object exports) {
  exports.Set("prngFill", Napi::Function::New(env, PrngFill, "prngFill"));
  exports.Set("prngCompare", Napi::Function::New(env, PrngCompare, "prngCompare"));
}

}  // namespace famfs
