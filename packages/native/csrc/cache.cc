// CPU cache maintenance over a byte range: flush (write back) and invalidate (write back and
// drop). The instruction is chosen once per process:
//   x86-64: flush = CLWB > CLFLUSHOPT > CLFLUSH, invalidate = CLFLUSHOPT > CLFLUSH, then SFENCE
//   arm64:  flush = DC CVAC, invalidate = DC CIVAC, then DSB SY
//   other:  msync(MS_SYNC) of the page-aligned range for both
// Inline asm is used so the file builds on any x86-64 without -mclwb / -mclflushopt.
#include <cstdint>
#include <mutex>

#include "common.h"

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace famfs {
namespace {

// Cache-line maintenance method: a name for cacheMethod() and a runner returning 0 or errno.
struct Method {
  const char* name;
  int (*run)(uint8_t* start, size_t length);
};

uintptr_t g_line = 64;  // data cache line size in bytes (a power of two)

// Applies Op to every cache line that overlaps [start, start + length), then Fence.
template <void (*Op)(uintptr_t), void (*Fence)()>
int EachLine(uint8_t* start, size_t length) {
  uintptr_t line = reinterpret_cast<uintptr_t>(start) & ~(g_line - 1);
  uintptr_t end = reinterpret_cast<uintptr_t>(start) + length;
  for (; line < end; line += g_line) Op(line);
  Fence();
  return 0;
}

#if defined(__x86_64__)

void Clwb(uintptr_t p) { asm volatile("clwb (%0)" : : "r"(p) : "memory"); }
void Clflushopt(uintptr_t p) { asm volatile("clflushopt (%0)" : : "r"(p) : "memory"); }
void Clflush(uintptr_t p) { asm volatile("clflush (%0)" : : "r"(p) : "memory"); }
void Sfence() { asm volatile("sfence" : : : "memory"); }

const Method kClwb = {"clwb", EachLine<Clwb, Sfence>};
const Method kClflushopt = {"clflushopt", EachLine<Clflushopt, Sfence>};
const Method kClflush = {"clflush", EachLine<Clflush, Sfence>};

Method g_flush = kClflush;
Method g_invalidate = kClflush;

void SelectMethods() {
  unsigned eax, ebx, ecx, edx;
  bool clflushopt = false, clwb = false;
  if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) {
    clflushopt = (ebx & (1u << 23)) != 0;
    clwb = (ebx & (1u << 24)) != 0;
  }
  // CPUID.1:EBX[15:8] is the CLFLUSH line size in 8-byte units.
  if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) && ((ebx >> 8) & 0xff) != 0) {
    g_line = ((ebx >> 8) & 0xff) * 8;
  }
  g_flush = clwb ? kClwb : clflushopt ? kClflushopt : kClflush;
  g_invalidate = clflushopt ? kClflushopt : kClflush;
}

#elif defined(__aarch64__)

void DcCvac(uintptr_t p) { asm volatile("dc cvac, %0" : : "r"(p) : "memory"); }
void DcCivac(uintptr_t p) { asm volatile("dc civac, %0" : : "r"(p) : "memory"); }
void DsbSy() { asm volatile("dsb sy" : : : "memory"); }

Method g_flush = {"dc cvac", EachLine<DcCvac, DsbSy>};
Method g_invalidate = {"dc civac", EachLine<DcCivac, DsbSy>};

void SelectMethods() {
  // CTR_EL0.DminLine (bits 19:16) is log2 of the smallest data cache line in 4-byte words.
  uint64_t ctr;
  asm volatile("mrs %0, ctr_el0" : "=r"(ctr));
  g_line = static_cast<uintptr_t>(4) << ((ctr >> 16) & 0xf);
}

#else

int MsyncRange(uint8_t* start, size_t length) {
  return length == 0 ? 0 : SyncRange(start, length, true);
}

Method g_flush = {"msync", MsyncRange};
Method g_invalidate = {"msync", MsyncRange};

void SelectMethods() {}

#endif

// flush(buf, offset, length) / invalidate(buf, offset, length).
Napi::Value RunMethod(const Napi::CallbackInfo& info, const char* fn, const Method& method) {
  Napi::Env env = info.Env();
  Bytes bytes;
  size_t offset, length;
  if (!ArgBytes(info, 0, fn, "buf", &bytes) || !ArgWindow(info, 1, fn, bytes, &offset, &length)) {
    return env.Undefined();
  }
  int err = method.run(bytes.data + offset, length);
  if (err != 0) ThrowErrno(env, "msync", err);
  return env.Undefined();
}

Napi::Value Flush(const Napi::CallbackInfo& info) { return RunMethod(info, "flush", g_flush); }

Napi::Value Invalidate(const Napi::CallbackInfo& info) {
  return RunMethod(info, "invalidate", g_invalidate);
}

Napi::Value CacheMethod(const Napi::CallbackInfo& info) {
  Napi::Object result = Napi::Object::New(info.Env());
  result.Set("flush", g_flush.name);
  result.Set("invalidate", g_invalidate.name);
  return result;
}

}  // namespace

void InitCache(Napi::Env env, Napi::Object exports) {
  static std::once_flag once;
  std::call_once(once, SelectMethods);
  exports.Set("flush", Napi::Function::New(env, Flush, "flush"));
  exports.Set("invalidate", Napi::Function::New(env, Invalidate, "invalidate"));
  exports.Set("cacheMethod", Napi::Function::New(env, CacheMethod, "cacheMethod"));
}

}  // namespace famfs
