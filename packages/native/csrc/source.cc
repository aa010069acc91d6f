// mapAsciiText(path): the text of an ASCII file as a JS string whose characters stay in a
// read-only mapping of the file (an external string). A large script (the famfs CLI's bundle) is
// then neither copied into a buffer nor into the JS heap: on a virtual machine, where the first
// touch of fresh memory costs tens of microseconds a page, the copies cost more than compiling.
//
// Node makes external strings with node_api_create_external_string_latin1 (Node 20.4 and later,
// outside the stable Node-API version this addon builds against). It is looked up when first
// needed; where it is missing, or the file is not ASCII, the answer is undefined and the caller
// reads the file as usual.
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <string>

#include "common.h"

namespace famfs {
namespace {

using CreateExternalLatin1 = napi_status (*)(napi_env env, char* str, size_t length, napi_finalize finalize,
                                             void* hint, napi_value* result, bool* copied);

CreateExternalLatin1 ExternalLatin1() {
  static CreateExternalLatin1 fn =
      reinterpret_cast<CreateExternalLatin1>(dlsym(RTLD_DEFAULT, "node_api_create_external_string_latin1"));
  return fn;
}

struct TextMapping {
  void* addr;
  size_t length;
};

void UnmapText(napi_env /*env*/, void* /*data*/, void* hint) {
  TextMapping* m = static_cast<TextMapping*>(hint);
  munmap(m->addr, m->length);
  delete m;
}

bool IsAscii(const uint8_t* p, size_t n) {
  uint8_t any = 0;
  for (size_t i = 0; i < n; i++) any |= p[i];
  return (any & 0x80) == 0;
}

Napi::Value MapAsciiText(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path;
  if (!ArgString(info, 0, "mapAsciiText", "path", &path)) return env.Undefined();
  CreateExternalLatin1 create = ExternalLatin1();
  if (create == nullptr) return env.Undefined();
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    ThrowErrno(env, "open", errno, nullptr, path);
    return env.Undefined();
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int err = errno;
    close(fd);
    ThrowErrno(env, "fstat", err, nullptr, path);
    return env.Undefined();
  }
  if (!S_ISREG(st.st_mode) || st.st_size == 0) {
    close(fd);
    return env.Undefined();
  }
  size_t length = static_cast<size_t>(st.st_size);
  // Populated at once: the pages are already in the page cache, and mapping them in one call
  // costs less than a fault each as the parser and the check below reach them.
  void* addr = mmap(nullptr, length, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  int err = errno;
  close(fd);
  if (addr == MAP_FAILED) {
    ThrowErrno(env, "mmap", err, nullptr, path);
    return env.Undefined();
  }
  if (!IsAscii(static_cast<const uint8_t*>(addr), length)) {
    munmap(addr, length);
    return env.Undefined();
  }
  TextMapping* m = new TextMapping{addr, length};
  napi_value result;
  bool copied = false;
  napi_status status = create(env, static_cast<char*>(addr), length, UnmapText, m, &result, &copied);
  if (status != napi_ok) {
    munmap(addr, length);
    delete m;
    return env.Undefined();
  }
  // When the engine copied the text instead, it has already called UnmapText.
  (void)copied;
  return Napi::Value(env, result);
}

}  // namespace

void InitSource(Napi::Env env, Napi::Object exports) {
  exports.Set("mapAsciiText", Napi::Function::New(env, MapAsciiText, "mapAsciiText"));
}

}  // namespace famfs
