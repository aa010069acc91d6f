// mount(2) and umount2(2) with the flag constants callers need.
#include <sys/mount.h>

#include <cerrno>
#include <cstdint>
#include <string>

#include "common.h"

namespace famfs {
namespace {

// mount(source, target, fstype, flags, data); an empty data string is passed as NULL.
Napi::Value Mount(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string source, target, fstype, data;
  int64_t flags;
  if (!ArgString(info, 0, "mount", "source", &source) ||
      !ArgString(info, 1, "mount", "target", &target) ||
      !ArgString(info, 2, "mount", "fstype", &fstype) ||
      !ArgInt(info, 3, "mount", "flags", 0, UINT32_MAX, &flags) ||
      !ArgString(info, 4, "mount", "data", &data)) {
    return env.Undefined();
  }
  if (mount(source.c_str(), target.c_str(), fstype.c_str(), static_cast<unsigned long>(flags),
            data.empty() ? nullptr : data.c_str()) != 0) {
    ThrowErrno(env, "mount", errno, nullptr, target);
  }
  return env.Undefined();
}

// umount2(target, flags)
Napi::Value Umount2(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string target;
  int64_t flags;
  if (!ArgString(info, 0, "umount2", "target", &target) ||
      !ArgInt(info, 1, "umount2", "flags", 0, INT32_MAX, &flags)) {
    return env.Undefined();
  }
  if (umount2(target.c_str(), static_cast<int>(flags)) != 0) {
    ThrowErrno(env, "umount2", errno, nullptr, target);
  }
  return env.Undefined();
}

}  // namespace

void InitMount(Napi::Env env, Napi::Object exports) {
  exports.Set("mount", Napi::Function::New(env, Mount, "mount"));
  exports.Set("umount2", Napi::Function::New(env, Umount2, "umount2"));
  exports.Set("MS_RDONLY", static_cast<double>(MS_RDONLY));
  exports.Set("MS_NOSUID", static_cast<double>(MS_NOSUID));
  exports.Set("MS_NODEV", static_cast<double>(MS_NODEV));
  exports.Set("MS_NOEXEC", static_cast<double>(MS_NOEXEC));
  exports.Set("MS_NOATIME", static_cast<double>(MS_NOATIME));
  exports.Set("MNT_FORCE", static_cast<double>(MNT_FORCE));
  exports.Set("MNT_DETACH", static_cast<double>(MNT_DETACH));
  exports.Set("UMOUNT_NOFOLLOW", static_cast<double>(UMOUNT_NOFOLLOW));
}

}  // namespace famfs
