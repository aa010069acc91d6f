// lstat of many names in one directory in one call: a walk over a tree of many small files
// (famfs cp -r) needs each file's type, mode and size, and fs.lstatSync costs a call through
// Node's fs layer and a Stats object with four Dates per file. Here the directory is opened
// once and each name is looked up relative to it (fstatat, AT_SYMLINK_NOFOLLOW).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "common.h"

namespace famfs {
namespace {

// lstatNames(dir, names, count) -> Float64Array of (mode, size, errno) per name.
//   names: `count` names, each ended by a NUL byte, one after another. A name that is empty or
//   holds a '/' gets EINVAL. A directory that cannot be opened throws.
Napi::Value LstatNames(const Napi::CallbackInfo& info) {
  const char* fn = "lstatNames";
  Napi::Env env = info.Env();
  std::string dir;
  Bytes names;
  int64_t count;
  if (!ArgString(info, 0, fn, "dir", &dir) || !ArgBytes(info, 1, fn, "names", &names) ||
      !ArgInt(info, 2, fn, "count", 0, 0x7fffffff, &count)) {
    return env.Undefined();
  }
  // Every name must be NUL-ended inside the buffer before anything is looked up.
  size_t at = 0;
  for (int64_t i = 0; i < count; i++) {
    const void* nul = at < names.length ? memchr(names.data + at, 0, names.length - at) : nullptr;
    if (nul == nullptr) {
      ThrowRange(env, fn, "names holds fewer than count NUL-ended names");
      return env.Undefined();
    }
    at = static_cast<size_t>(static_cast<const uint8_t*>(nul) - names.data) + 1;
  }
  int dirFd;
  do {
    dirFd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  } while (dirFd < 0 && errno == EINTR);
  if (dirFd < 0) {
    ThrowErrno(env, "open", errno, nullptr, dir);
    return env.Undefined();
  }
  Napi::Float64Array out = Napi::Float64Array::New(env, static_cast<size_t>(count) * 3);
  double* o = out.Data();
  const char* name = reinterpret_cast<const char*>(names.data);
  for (int64_t i = 0; i < count; i++, o += 3) {
    size_t len = strlen(name);
    struct stat st;
    int err = 0;
    if (len == 0 || memchr(name, '/', len) != nullptr) {
      err = EINVAL;
    } else if (fstatat(dirFd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      err = errno;
    }
    o[0] = err == 0 ? static_cast<double>(st.st_mode) : 0;
    o[1] = err == 0 ? static_cast<double>(st.st_size) : 0;
    o[2] = err;
    name += len + 1;
  }
  close(dirFd);
  return out;
}

}  // namespace

void InitDirStats(Napi::Env env, Napi::Object exports) {
  exports.Set("lstatNames", Napi::Function::New(env, LstatNames, "lstatNames"));
}

}  // namespace famfs
