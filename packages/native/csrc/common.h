// Shared helpers for the famfs native addon: error construction and argument parsing.
//
// The addon is built with NODE_ADDON_API_DISABLE_CPP_EXCEPTIONS, so every helper that can fail
// throws a JS exception (left pending on the env) and returns false; callers return at once.
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace famfs {

// Largest integer a JS number represents exactly (2^53 - 1).
constexpr int64_t kMaxSafeInteger = 9007199254740991LL;

// Name of an errno value ("EINVAL"), or "UNKNOWN" for values outside the table.
const char* ErrnoName(int err);

// Throws Error("<syscall>: <strerror>[ (<detail>)]") with properties errno (positive), code and
// syscall. `code` overrides the name derived from errno (e.g. "EWOULDBLOCK" for EAGAIN).
void ThrowErrno(Napi::Env env, const char* syscall, int err, const char* code = nullptr,
                const std::string& detail = std::string());

// Throws TypeError / RangeError("<fn>: <message>").
void ThrowType(Napi::Env env, const char* fn, const std::string& message);
void ThrowRange(Napi::Env env, const char* fn, const std::string& message);

// A contiguous byte range taken from a TypedArray (e.g. a Buffer) or an ArrayBuffer.
struct Bytes {
  uint8_t* data = nullptr;
  size_t length = 0;
};

// Argument readers: on a wrong type they throw TypeError, on a value outside [min, max]
// RangeError, and return false.
bool ArgInt(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name,
            int64_t min, int64_t max, int64_t* out);
bool ArgFd(const Napi::CallbackInfo& info, size_t i, const char* fn, int* out);
bool ArgBool(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name,
             bool* out);
bool ArgString(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name,
               std::string* out);
bool ArgBytes(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name,
              Bytes* out);

// Reads info[i] (offset) and info[i + 1] (length) and checks that the window lies inside
// `bytes`; throws RangeError otherwise.
bool ArgWindow(const Napi::CallbackInfo& info, size_t i, const char* fn, const Bytes& bytes,
               size_t* offset, size_t* length);

// msync(MS_SYNC or MS_ASYNC) of [start, start + length), with start rounded down to its page.
// Returns 0 or an errno value.
int SyncRange(void* start, size_t length, bool sync);

// Per-topic initialisers, called from the module's Init.
void InitMapping(Napi::Env env, Napi::Object exports);
void InitHugeBuffer(Napi::Env env, Napi::Object exports);
void InitProcessMemory(Napi::Env env, Napi::Object exports);
void InitFuseRing(Napi::Env env, Napi::Object exports);
void InitCache(Napi::Env env, Napi::Object exports);
void InitFileOps(Napi::Env env, Napi::Object exports);
void InitSource(Napi::Env env, Napi::Object exports);
void InitChannel(Napi::Env env, Napi::Object exports);
void InitInterrupts(Napi::Env env, Napi::Object exports);
void InitMount(Napi::Env env, Napi::Object exports);
void InitChecksum(Napi::Env env, Napi::Object exports);
void InitCopyFiles(Napi::Env env, Napi::Object exports);
void InitDirStats(Napi::Env env, Napi::Object exports);
void InitXattr(Napi::Env env, Napi::Object exports);
void InitPrng(Napi::Env env, Napi::Object exports);

}  // namespace famfs
