// Error construction and argument parsing shared by all native functions.
#include "common.h"

#include <cerrno>
#include <cmath>
#include <cstring>

namespace famfs {

const char* ErrnoName(int err) {
  switch (err) {
#define FAMFS_ERRNO(name) \
  case name:              \
    return #name;
    FAMFS_ERRNO(EPERM)
    FAMFS_ERRNO(ENOENT)
    FAMFS_ERRNO(ESRCH)
    FAMFS_ERRNO(EINTR)
    FAMFS_ERRNO(EIO)
    FAMFS_ERRNO(ENXIO)
    FAMFS_ERRNO(E2BIG)
    FAMFS_ERRNO(ENOEXEC)
    FAMFS_ERRNO(EBADF)
    FAMFS_ERRNO(ECHILD)
    FAMFS_ERRNO(EAGAIN)  // == EWOULDBLOCK on Linux
    FAMFS_ERRNO(ENOMEM)
    FAMFS_ERRNO(EACCES)
    FAMFS_ERRNO(EFAULT)
    FAMFS_ERRNO(ENOTBLK)
    FAMFS_ERRNO(EBUSY)
    FAMFS_ERRNO(EEXIST)
    FAMFS_ERRNO(EXDEV)
    FAMFS_ERRNO(ENODEV)
    FAMFS_ERRNO(ENOTDIR)
    FAMFS_ERRNO(EISDIR)
    FAMFS_ERRNO(EINVAL)
    FAMFS_ERRNO(ENFILE)
    FAMFS_ERRNO(EMFILE)
    FAMFS_ERRNO(ENOTTY)
    FAMFS_ERRNO(ETXTBSY)
    FAMFS_ERRNO(EFBIG)
    FAMFS_ERRNO(ENOSPC)
    FAMFS_ERRNO(ESPIPE)
    FAMFS_ERRNO(EROFS)
    FAMFS_ERRNO(EMLINK)
    FAMFS_ERRNO(EPIPE)
    FAMFS_ERRNO(EDOM)
    FAMFS_ERRNO(ERANGE)
    FAMFS_ERRNO(EDEADLK)
    FAMFS_ERRNO(ENAMETOOLONG)
    FAMFS_ERRNO(ENOLCK)
    FAMFS_ERRNO(ENOSYS)
    FAMFS_ERRNO(ENOTEMPTY)
    FAMFS_ERRNO(ELOOP)
    FAMFS_ERRNO(ENODATA)
    FAMFS_ERRNO(EOVERFLOW)
    FAMFS_ERRNO(EOPNOTSUPP)  // == ENOTSUP on Linux
    FAMFS_ERRNO(EADDRINUSE)
    FAMFS_ERRNO(ECONNREFUSED)
    FAMFS_ERRNO(ETIMEDOUT)
    FAMFS_ERRNO(ESTALE)
    FAMFS_ERRNO(EDQUOT)
    FAMFS_ERRNO(ECANCELED)
    FAMFS_ERRNO(EPROTO)
    FAMFS_ERRNO(EALREADY)
    FAMFS_ERRNO(EMSGSIZE)
    FAMFS_ERRNO(ENOTCONN)
    FAMFS_ERRNO(ECONNABORTED)
#undef FAMFS_ERRNO
    default:
      return "UNKNOWN";
  }
}

void ThrowErrno(Napi::Env env, const char* syscall, int err, const char* code,
                const std::string& detail) {
  std::string message = std::string(syscall) + ": " + strerror(err);
  if (!detail.empty()) message += " (" + detail + ")";
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("errno", Napi::Number::New(env, err));
  error.Set("code", Napi::String::New(env, code != nullptr ? code : ErrnoName(err)));
  error.Set("syscall", Napi::String::New(env, syscall));
  error.ThrowAsJavaScriptException();
}

void ThrowType(Napi::Env env, const char* fn, const std::string& message) {
  Napi::TypeError::New(env, std::string(fn) + ": " + message).ThrowAsJavaScriptException();
}

void ThrowRange(Napi::Env env, const char* fn, const std::string& message) {
  Napi::RangeError::New(env, std::string(fn) + ": " + message).ThrowAsJavaScriptException();
}

bool ArgInt(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name,
            int64_t min, int64_t max, int64_t* out) {
  if (!info[i].IsNumber()) {
    ThrowType(info.Env(), fn, std::string(name) + " must be a number");
    return false;
  }
  double value = info[i].As<Napi::Number>().DoubleValue();
  if (!std::isfinite(value) || std::trunc(value) != value) {
    ThrowType(info.Env(), fn, std::string(name) + " must be an integer");
    return false;
  }
  if (value < static_cast<double>(min) || value > static_cast<double>(max)) {
    ThrowRange(info.Env(), fn,
               std::string(name) + " must be in [" + std::to_string(min) + ", " +
                   std::to_string(max) + "]");
    return false;
  }
  *out = static_cast<int64_t>(value);
  return true;
}

bool ArgFd(const Napi::CallbackInfo& info, size_t i, const char* fn, int* out) {
  int64_t fd;
  if (!ArgInt(info, i, fn, "fd", 0, INT32_MAX, &fd)) return false;
  *out = static_cast<int>(fd);
  return true;
}

bool ArgBool(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name,
             bool* out) {
  if (!info[i].IsBoolean()) {
    ThrowType(info.Env(), fn, std::string(name) + " must be a boolean");
    return false;
  }
  *out = info[i].As<Napi::Boolean>().Value();
  return true;
}

bool ArgString(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name,
               std::string* out) {
  if (!info[i].IsString()) {
    ThrowType(info.Env(), fn, std::string(name) + " must be a string");
    return false;
  }
  *out = info[i].As<Napi::String>().Utf8Value();
  return true;
}

bool ArgBytes(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name,
              Bytes* out) {
  if (info[i].IsTypedArray()) {
    Napi::TypedArray view = info[i].As<Napi::TypedArray>();
    Napi::ArrayBuffer buffer = view.ArrayBuffer();
    out->data = static_cast<uint8_t*>(buffer.Data()) + view.ByteOffset();
    out->length = view.ByteLength();
    return true;
  }
  if (info[i].IsArrayBuffer()) {
    Napi::ArrayBuffer buffer = info[i].As<Napi::ArrayBuffer>();
    out->data = static_cast<uint8_t*>(buffer.Data());
    out->length = buffer.ByteLength();
    return true;
  }
  ThrowType(info.Env(), fn, std::string(name) + " must be a Buffer");
  return false;
}

bool ArgWindow(const Napi::CallbackInfo& info, size_t i, const char* fn, const Bytes& bytes,
               size_t* offset, size_t* length) {
  int64_t off, len;
  if (!ArgInt(info, i, fn, "offset", 0, kMaxSafeInteger, &off)) return false;
  if (!ArgInt(info, i + 1, fn, "length", 0, kMaxSafeInteger, &len)) return false;
  if (static_cast<uint64_t>(off) > bytes.length ||
      static_cast<uint64_t>(len) > bytes.length - static_cast<uint64_t>(off)) {
    ThrowRange(info.Env(), fn,
               "range [" + std::to_string(off) + ", " + std::to_string(off + len) +
                   ") is outside the buffer of length " + std::to_string(bytes.length));
    return false;
  }
  *offset = static_cast<size_t>(off);
  *length = static_cast<size_t>(len);
  return true;
}

}  // namespace famfs
