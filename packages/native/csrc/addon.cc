// famfs native addon entry point: each topic registers its functions and constants.
#include <napi.h>

#include "common.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  famfs::InitMapping(env, exports);
  famfs::InitHugeBuffer(env, exports);
  famfs::InitProcessMemory(env, exports);
  famfs::InitCache(env, exports);
  famfs::InitFileOps(env, exports);
  famfs::InitSource(env, exports);
  famfs::InitChannel(env, exports);
  famfs::InitFuseRing(env, exports);
  famfs::InitMount(env, exports);
  famfs::InitChecksum(env, exports);
  famfs::InitCopyFiles(env, exports);
  famfs::InitDirStats(env, exports);
  famfs::InitXattr(env, exports);
  famfs::InitPrng(env, exports);
  famfs::InitInterrupts(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(famfs_native, Init)
