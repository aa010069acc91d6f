// Message-channel I/O: readInto and writeBuffers, one read(2) and one writev(2) for a channel such
// as /dev/fuse, where a read is one whole message and a write one whole reply.
//
// The FUSE session calls them once per request and once per reply, so they are written against
// the raw Node-API: one napi_get_cb_info, one napi_get_typedarray_info per buffer and a small
// integer result, where the node-addon-api wrappers make several calls per argument.
#include <node_api.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdint>
#include <string>
#include <vector>

#include "common.h"

namespace famfs {
namespace {

// The most buffers one writeBuffers call takes: IOV_MAX, the most one writev(2) accepts.
constexpr uint32_t kMaxIovecs = IOV_MAX;
// Replies have one to three buffers: their iovecs live on the stack. An IOV_MAX array there
// would be a 16 KiB frame, whose stack probes touch four pages on every call.
constexpr uint32_t kStackIovecs = 8;

// Reads argument `v` as a file descriptor; throws (TypeError/RangeError) and returns false if it
// is not one.
bool ChannelFd(napi_env env, napi_value v, const char* fn, int* out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok) {
    ThrowType(Napi::Env(env), fn, "fd must be a number");
    return false;
  }
  if (!(d >= 0 && d <= INT32_MAX) || static_cast<double>(static_cast<int>(d)) != d) {
    ThrowRange(Napi::Env(env), fn, "fd must be an integer in [0, 2147483647]");
    return false;
  }
  *out = static_cast<int>(d);
  return true;
}

size_t ElementSize(napi_typedarray_type type) {
  switch (type) {
    case napi_int16_array:
    case napi_uint16_array:
      return 2;
    case napi_int32_array:
    case napi_uint32_array:
    case napi_float32_array:
      return 4;
    case napi_float64_array:
    case napi_bigint64_array:
    case napi_biguint64_array:
      return 8;
    default:
      return 1;
  }
}

// The bytes of a TypedArray (a Buffer, a view: its own offset and length); throws TypeError and
// returns false for anything else. `index` >= 0 names an element of the bufs array.
bool ChannelBytes(napi_env env, napi_value v, const char* fn, int64_t index, struct iovec* out) {
  napi_typedarray_type type;
  size_t length;
  void* data;
  if (napi_get_typedarray_info(env, v, &type, &length, &data, nullptr, nullptr) != napi_ok) {
    std::string name = index < 0 ? "buf" : "bufs[" + std::to_string(index) + "]";
    ThrowType(Napi::Env(env), fn, name + " must be a Buffer");
    return false;
  }
  out->iov_base = data;
  out->iov_len = length * ElementSize(type);
  return true;
}

// A byte count as a JS number: an int32 where it fits (a small integer: no heap number is
// allocated per call), a double beyond.
napi_value ByteCount(napi_env env, ssize_t n) {
  napi_value value;
  if (n > INT32_MAX) {
    napi_create_double(env, static_cast<double>(n), &value);
  } else {
    napi_create_int32(env, static_cast<int32_t>(n), &value);
  }
  return value;
}

// The iovecs of a bufs array (1..IOV_MAX TypedArrays): in `onStack` when they fit, else in
// `onHeap`. Throws (TypeError/RangeError) and returns nullptr if bufs is not such an array.
struct iovec* Iovecs(napi_env env, napi_value bufs, const char* fn, struct iovec (&onStack)[kStackIovecs],
                     std::vector<struct iovec>* onHeap, uint32_t* count) {
  bool isArray = false;
  napi_is_array(env, bufs, &isArray);
  if (!isArray) {
    ThrowType(Napi::Env(env), fn, "bufs must be an array of Buffers");
    return nullptr;
  }
  napi_get_array_length(env, bufs, count);
  if (*count > kMaxIovecs) {
    ThrowRange(Napi::Env(env), fn, "at most " + std::to_string(kMaxIovecs) + " buffers");
    return nullptr;
  }
  struct iovec* iov = onStack;
  if (*count > kStackIovecs) {
    onHeap->resize(*count);
    iov = onHeap->data();
  }
  for (uint32_t i = 0; i < *count; i++) {
    napi_value item;
    if (napi_get_element(env, bufs, i, &item) != napi_ok) return nullptr;
    if (!ChannelBytes(env, item, fn, i, &iov[i])) return nullptr;
  }
  return iov;
}

// One read(2) into buf, retried on EINTR: bytes read, or -1 with errno set.
ssize_t ReadOnce(int fd, const struct iovec& buf) {
  ssize_t n;
  do {
    n = read(fd, buf.iov_base, buf.iov_len);
  } while (n < 0 && errno == EINTR);
  return n;
}

// One writev(2), retried on EINTR: bytes written, or -1 with errno set.
ssize_t WriteOnce(int fd, const struct iovec* iov, uint32_t count) {
  ssize_t n;
  do {
    n = writev(fd, iov, static_cast<int>(count));
  } while (n < 0 && errno == EINTR);
  return n;
}

// readInto(fd, buf) -> bytes read: one read(2) of up to buf's length, retried on EINTR.
napi_value ReadInto(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok) return nullptr;
  int fd;
  struct iovec buf;
  if (argc < 2) {
    ThrowType(Napi::Env(env), "readInto", "needs (fd, buf)");
    return nullptr;
  }
  if (!ChannelFd(env, argv[0], "readInto", &fd) ||
      !ChannelBytes(env, argv[1], "readInto", -1, &buf)) {
    return nullptr;
  }
  ssize_t n = ReadOnce(fd, buf);
  if (n < 0) {
    ThrowErrno(Napi::Env(env), "read", errno);
    return nullptr;
  }
  return ByteCount(env, n);
}

// writeBuffers(fd, bufs) -> bytes written: one writev(2) of the buffers in order, retried on
// EINTR. A short write is returned as it is (on a message channel a write is all or nothing).
napi_value WriteBuffers(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok) return nullptr;
  int fd;
  if (argc < 2) {
    ThrowType(Napi::Env(env), "writeBuffers", "needs (fd, bufs)");
    return nullptr;
  }
  if (!ChannelFd(env, argv[0], "writeBuffers", &fd)) return nullptr;
  struct iovec onStack[kStackIovecs];
  std::vector<struct iovec> onHeap;
  uint32_t count;
  struct iovec* iov = Iovecs(env, argv[1], "writeBuffers", onStack, &onHeap, &count);
  if (!iov) return nullptr;
  ssize_t n = WriteOnce(fd, iov, count);
  if (n < 0) {
    ThrowErrno(Napi::Env(env), "writev", errno);
    return nullptr;
  }
  return ByteCount(env, n);
}

// The most reply buffers writeThenRead takes (its arguments after fd and buf).
constexpr size_t kExchangeBuffers = kStackIovecs;

// writeThenRead(fd, buf, b0[, b1, ... b7]) -> bytes read: one writev(2) of b0.. in order, then
// one read(2) into buf, both retried on EINTR, in one call. On this machine kind a return from a
// syscall into JavaScript costs about as much as the syscall itself, so a server answering one
// message and waiting for the next pays it once. The buffers come as arguments, not as an array:
// reading an array's elements through Node-API costs a property lookup each. A failed writev
// throws with syscall "writev" and nothing is read; a failed read throws with syscall "read" (the
// write was done).
napi_value WriteThenRead(napi_env env, napi_callback_info info) {
  size_t argc = 2 + kExchangeBuffers;
  napi_value argv[2 + kExchangeBuffers];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok) return nullptr;
  if (argc < 3) {
    ThrowType(Napi::Env(env), "writeThenRead", "needs (fd, buf, ...bufs)");
    return nullptr;
  }
  if (argc > 2 + kExchangeBuffers) {
    ThrowRange(Napi::Env(env), "writeThenRead", "at most " + std::to_string(kExchangeBuffers) + " buffers");
    return nullptr;
  }
  int fd;
  struct iovec buf;
  if (!ChannelFd(env, argv[0], "writeThenRead", &fd) ||
      !ChannelBytes(env, argv[1], "writeThenRead", -1, &buf)) {
    return nullptr;
  }
  struct iovec iov[kExchangeBuffers];
  uint32_t count = static_cast<uint32_t>(argc - 2);
  for (uint32_t i = 0; i < count; i++) {
    if (!ChannelBytes(env, argv[2 + i], "writeThenRead", i, &iov[i])) return nullptr;
  }
  if (WriteOnce(fd, iov, count) < 0) {
    ThrowErrno(Napi::Env(env), "writev", errno);
    return nullptr;
  }
  ssize_t n = ReadOnce(fd, buf);
  if (n < 0) {
    ThrowErrno(Napi::Env(env), "read", errno);
    return nullptr;
  }
  return ByteCount(env, n);
}

}  // namespace

void InitChannel(Napi::Env env, Napi::Object exports) {
  // Plain napi_callback functions: no node-addon-api CallbackInfo per call.
  napi_value fn;
  napi_create_function(env, "readInto", NAPI_AUTO_LENGTH, ReadInto, nullptr, &fn);
  exports.Set("readInto", fn);
  napi_create_function(env, "writeBuffers", NAPI_AUTO_LENGTH, WriteBuffers, nullptr, &fn);
  exports.Set("writeBuffers", fn);
  napi_create_function(env, "writeThenRead", NAPI_AUTO_LENGTH, WriteThenRead, nullptr, &fn);
  exports.Set("writeThenRead", fn);
}

}  // namespace famfs
