// File-descriptor operations: ioctl, flock, deviceSize.
//
// <linux/fs.h> (BLKGETSIZE64) is kept out of mount.cc because it clashes with <sys/mount.h>.
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "common.h"

namespace famfs {
namespace {

// An ioctl request: a BigInt, or a number (negative int32 values, as produced by JS bitwise
// operators, are taken as their unsigned 32-bit pattern).
bool ArgRequest(const Napi::CallbackInfo& info, size_t i, unsigned long* out) {
  if (info[i].IsBigInt()) {
    bool lossless;
    uint64_t value = info[i].As<Napi::BigInt>().Uint64Value(&lossless);
    if (!lossless) {
      ThrowRange(info.Env(), "ioctl", "request must fit in an unsigned 64-bit integer");
      return false;
    }
    *out = static_cast<unsigned long>(value);
    return true;
  }
  int64_t value;
  if (!ArgInt(info, i, "ioctl", "request", INT32_MIN, kMaxSafeInteger, &value)) return false;
  *out = value < 0 ? static_cast<uint32_t>(value) : static_cast<unsigned long>(value);
  return true;
}

// The third ioctl argument: a Buffer is passed by pointer, a number or BigInt by value, and a
// missing argument as 0.
bool ArgIoctlArg(const Napi::CallbackInfo& info, size_t i, unsigned long* out) {
  if (info[i].IsUndefined()) {
    *out = 0;
    return true;
  }
  if (info[i].IsBigInt()) {
    bool lossless;
    *out = static_cast<unsigned long>(info[i].As<Napi::BigInt>().Int64Value(&lossless));
    return true;
  }
  if (info[i].IsNumber()) {
    int64_t value;
    if (!ArgInt(info, i, "ioctl", "arg", -kMaxSafeInteger, kMaxSafeInteger, &value)) return false;
    *out = static_cast<unsigned long>(value);
    return true;
  }
  Bytes bytes;
  if (!ArgBytes(info, i, "ioctl", "arg", &bytes)) return false;
  *out = reinterpret_cast<unsigned long>(bytes.data);
  return true;
}

// ioctl(fd, request, arg?) -> result
Napi::Value Ioctl(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd;
  unsigned long request, arg;
  if (!ArgFd(info, 0, "ioctl", &fd) || !ArgRequest(info, 1, &request) ||
      !ArgIoctlArg(info, 2, &arg)) {
    return env.Undefined();
  }
  int result = ioctl(fd, request, arg);
  if (result == -1) {
    ThrowErrno(env, "ioctl", errno);
    return env.Undefined();
  }
  return Napi::Number::New(env, result);
}

// flock(fd, op), retried on EINTR; a refused LOCK_NB request throws code 'EWOULDBLOCK'.
Napi::Value Flock(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd;
  int64_t op;
  if (!ArgFd(info, 0, "flock", &fd) || !ArgInt(info, 1, "flock", "op", 0, INT32_MAX, &op)) {
    return env.Undefined();
  }
  int result;
  do {
    result = flock(fd, static_cast<int>(op));
  } while (result == -1 && errno == EINTR);
  if (result == -1) {
    int err = errno;
    ThrowErrno(env, "flock", err, err == EWOULDBLOCK ? "EWOULDBLOCK" : nullptr);
  }
  return env.Undefined();
}

// Reads the decimal byte count in /sys/dev/char/MAJOR:MINOR/size (devdax devices).
// Returns 0 or an errno value; `path` is set for error messages.
int ReadCharDevSize(dev_t rdev, uint64_t* size, std::string* path) {
  *path = "/sys/dev/char/" + std::to_string(major(rdev)) + ":" + std::to_string(minor(rdev)) +
          "/size";
  int fd = open(path->c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  char text[32];
  ssize_t n;
  do {
    n = read(fd, text, sizeof(text) - 1);
  } while (n < 0 && errno == EINTR);
  int err = errno;
  close(fd);
  if (n < 0) return err;
  text[n] = '\0';
  char* end;
  errno = 0;
  unsigned long long value = strtoull(text, &end, 10);
  while (isspace(static_cast<unsigned char>(*end))) end++;
  if (end == text || *end != '\0' || errno != 0) return EINVAL;
  *size = value;
  return 0;
}

Napi::Object SizeResult(Napi::Env env, uint64_t size, const char* kind) {
  Napi::Object result = Napi::Object::New(env);
  result.Set("size", Napi::Number::New(env, static_cast<double>(size)));
  result.Set("kind", kind);
  return result;
}

// deviceSize(fd) -> { size, kind }
Napi::Value DeviceSize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd;
  if (!ArgFd(info, 0, "deviceSize", &fd)) return env.Undefined();
  struct stat st;
  if (fstat(fd, &st) != 0) {
    ThrowErrno(env, "fstat", errno);
    return env.Undefined();
  }
  if (S_ISREG(st.st_mode)) return SizeResult(env, static_cast<uint64_t>(st.st_size), "file");
  if (S_ISBLK(st.st_mode)) {
    uint64_t size = 0;
    if (ioctl(fd, BLKGETSIZE64, &size) != 0) {
      ThrowErrno(env, "ioctl", errno, nullptr, "BLKGETSIZE64");
      return env.Undefined();
    }
    return SizeResult(env, size, "block");
  }
  if (S_ISCHR(st.st_mode)) {
    uint64_t size = 0;
    std::string path;
    int err = ReadCharDevSize(st.st_rdev, &size, &path);
    if (err == ENOENT) {
      ThrowErrno(env, "deviceSize", EINVAL, nullptr, "character device without " + path);
    } else if (err != 0) {
      ThrowErrno(env, "deviceSize", err, nullptr, path);
    } else {
      return SizeResult(env, size, "chardev");
    }
    return env.Undefined();
  }
  ThrowErrno(env, "deviceSize", EINVAL, nullptr, "not a regular file, block or character device");
  return env.Undefined();
}

// isTerminal(fd) -> whether fd is a terminal (isatty(3)). Node's tty.isatty would load the tty
// module, and with it net and the stream modules, for one question famfs cp asks of stderr.
Napi::Value IsTerminal(const Napi::CallbackInfo& info) {
  int fd;
  if (!ArgFd(info, 0, "isTerminal", &fd)) return info.Env().Undefined();
  return Napi::Boolean::New(info.Env(), isatty(fd) == 1);
}

}  // namespace

void InitFileOps(Napi::Env env, Napi::Object exports) {
  exports.Set("isTerminal", Napi::Function::New(env, IsTerminal, "isTerminal"));
  exports.Set("ioctl", Napi::Function::New(env, Ioctl, "ioctl"));
  exports.Set("flock", Napi::Function::New(env, Flock, "flock"));
  exports.Set("deviceSize", Napi::Function::New(env, DeviceSize, "deviceSize"));
  exports.Set("LOCK_SH", LOCK_SH);
  exports.Set("LOCK_EX", LOCK_EX);
  exports.Set("LOCK_UN", LOCK_UN);
  exports.Set("LOCK_NB", LOCK_NB);
}

}  // namespace famfs
