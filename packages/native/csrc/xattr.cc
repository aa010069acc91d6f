// Extended attributes: famfs publishes a mount's shadow tree path as user.famfs.shadow.
#include <sys/xattr.h>

#include <cerrno>
#include <vector>

#include "common.h"

namespace famfs {
namespace {

// getxattr(path, name) -> Buffer with the value, or null when the attribute does not exist.
Napi::Value Getxattr(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path, name;
  if (!ArgString(info, 0, "getxattr", "path", &path) || !ArgString(info, 1, "getxattr", "name", &name)) {
    return env.Undefined();
  }
  for (int attempt = 0; attempt < 4; attempt++) {
    ssize_t size = ::getxattr(path.c_str(), name.c_str(), nullptr, 0);
    if (size < 0) {
      if (errno == ENODATA) return env.Null();
      ThrowErrno(env, "getxattr", errno, nullptr, path);
      return env.Undefined();
    }
    std::vector<char> value(static_cast<size_t>(size) + 1);
    ssize_t got = ::getxattr(path.c_str(), name.c_str(), value.data(), value.size());
    if (got >= 0) return Napi::Buffer<char>::Copy(env, value.data(), static_cast<size_t>(got));
    if (errno == ENODATA) return env.Null();
    if (errno != ERANGE) {
      ThrowErrno(env, "getxattr", errno, nullptr, path);
      return env.Undefined();
    }
    // The value grew between the two calls: ask again.
  }
  ThrowErrno(env, "getxattr", ERANGE, nullptr, path);
  return env.Undefined();
}

}  // namespace

void InitXattr(Napi::Env env, Napi::Object exports) {
  exports.Set("getxattr", Napi::Function::New(env, Getxattr, "getxattr"));
}

}  // namespace famfs
