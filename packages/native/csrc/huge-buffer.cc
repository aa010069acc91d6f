// hugePageBuffer(length) -> a zeroed ArrayBuffer in its own anonymous mapping, aligned to 2 MiB
// and asked for transparent huge pages (MADV_HUGEPAGE), unmapped when the buffer is collected.
//
// Why: the big arrays of a pass over a log (the path index, the allocation map, the windows) are
// touched for the first time page by page. On a virtual machine a first touch of a 4 KiB page can
// cost far more than the page is worth (17 us each measured here, about 0.4 us per 4 KiB when the
// page is a 2 MiB huge one), and malloc hands out such arrays from mappings that start just past a
// 2 MiB boundary, so even where huge pages are on request most of an array misses them. Where the
// system refuses huge pages (transparent_hugepage=never) this is an ordinary zeroed mapping.
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "common.h"

namespace famfs {
namespace {

constexpr uintptr_t kHugePage = 2u << 20;

struct HugeBlock {
  void* addr;
  size_t mapped;
};

void FinalizeHugeBlock(Napi::Env env, void* /*data*/, HugeBlock* b) {
  munmap(b->addr, b->mapped);
  Napi::MemoryManagement::AdjustExternalMemory(env, -static_cast<int64_t>(b->mapped));
  delete b;
}

Napi::Value HugePageBuffer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t length;
  if (!ArgInt(info, 0, "hugePageBuffer", "length", 1, kMaxSafeInteger, &length)) return env.Undefined();
  // Whole huge pages, so the last one can be huge too; the extra is address space until touched.
  const size_t mapped = (static_cast<size_t>(length) + kHugePage - 1) & ~(kHugePage - 1);
  // Map a huge page more than needed, then trim both ends to the aligned part.
  void* raw = mmap(nullptr, mapped + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (raw == MAP_FAILED) {
    ThrowErrno(env, "mmap", errno);
    return env.Undefined();
  }
  const uintptr_t start = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t aligned = (start + kHugePage - 1) & ~(kHugePage - 1);
  if (aligned > start) munmap(raw, aligned - start);
  const uintptr_t tail = aligned + mapped;
  if (start + mapped + kHugePage > tail) munmap(reinterpret_cast<void*>(tail), start + mapped + kHugePage - tail);
  void* addr = reinterpret_cast<void*>(aligned);
  madvise(addr, mapped, MADV_HUGEPAGE);  // a refusal leaves ordinary pages
  HugeBlock* b = new HugeBlock{addr, mapped};
  Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(env, addr, static_cast<size_t>(length), FinalizeHugeBlock, b);
  if (env.IsExceptionPending()) {  // no finalizer was attached
    munmap(addr, mapped);
    delete b;
    return env.Undefined();
  }
  Napi::MemoryManagement::AdjustExternalMemory(env, static_cast<int64_t>(mapped));
  return buffer;
}

}  // namespace

void InitHugeBuffer(Napi::Env env, Napi::Object exports) {
  exports.Set("hugePageBuffer", Napi::Function::New(env, HugePageBuffer, "hugePageBuffer"));
}

}  // namespace famfs
