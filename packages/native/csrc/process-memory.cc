// keepFreedMemory() -> whether malloc now keeps freed memory for reuse instead of handing it back
// to the kernel: no block gets a mapping of its own below 32 MiB (M_MMAP_THRESHOLD, 128 KiB by
// default, so V8's compiler zones and large buffers were mapped and unmapped job after job), and
// the heap's top is not trimmed below 256 MiB (M_TRIM_THRESHOLD). Memory handed back is fresh
// again when next used, and on a virtual machine the first touch of each 4 KiB page can cost
// 17 us (measured on the development VM); a famfs command touches thousands. The process keeps
// its peak malloc memory in exchange: the famfs CLI and famfs_fused call it (the daemon's memory
// in the mount bench did not change). false where malloc is not glibc's.
#include <malloc.h>

#include "common.h"

namespace famfs {
namespace {

Napi::Value KeepFreedMemory(const Napi::CallbackInfo& info) {
#ifdef __GLIBC__
  const bool ok = mallopt(M_MMAP_THRESHOLD, 32 << 20) == 1 && mallopt(M_TRIM_THRESHOLD, 256 << 20) == 1;
  return Napi::Boolean::New(info.Env(), ok);
#else
  return Napi::Boolean::New(info.Env(), false);
#endif
}

}  // namespace

void InitProcessMemory(Napi::Env env, Napi::Object exports) {
  exports.Set("keepFreedMemory", Napi::Function::New(env, KeepFreedMemory, "keepFreedMemory"));
}

}  // namespace famfs
