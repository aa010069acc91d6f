// Batched CRC-32 over fixed-size records: one call checks every entry of a famfs log, where a
// call per 544-byte entry would cost more in call overhead than in checksumming. The CRC is
// zlib's (crc32.h), so the same as zlib.crc32.

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "background.h"
#include "common.h"
#include "crc32.h"

namespace famfs {
namespace {

// crc32Records(buf, offset, stride, span, count) -> Uint32Array of `count` CRCs, the i-th over
// buf[offset + i*stride, offset + i*stride + span).
// The records one call checks: `count` spans of `span` bytes, `stride` apart, from `first`.
struct Records {
  const uint8_t* first = nullptr;
  int64_t stride = 0;
  int64_t span = 0;
  int64_t count = 0;
};

// Reads the arguments (buf, offset, stride, span, count) shared by both calls; throws and
// returns false when they do not describe records inside buf.
bool ArgRecords(const Napi::CallbackInfo& info, const char* fn, Records* out) {
  Napi::Env env = info.Env();
  Bytes bytes;
  int64_t offset, stride, span, count;
  if (!ArgBytes(info, 0, fn, "buf", &bytes) || !ArgInt(info, 1, fn, "offset", 0, kMaxSafeInteger, &offset) ||
      !ArgInt(info, 2, fn, "stride", 1, kMaxSafeInteger, &stride) ||
      !ArgInt(info, 3, fn, "span", 0, kMaxSafeInteger, &span) ||
      !ArgInt(info, 4, fn, "count", 0, 0xffffffffLL, &count)) {
    return false;
  }
  if (span > stride) {
    ThrowRange(env, fn, "span is larger than stride");
    return false;
  }
  if (count > 0 && static_cast<uint64_t>(offset) + static_cast<uint64_t>(count - 1) * stride + span > bytes.length) {
    ThrowRange(env, fn, "records run past the end of the buffer");
    return false;
  }
  *out = Records{bytes.data + offset, stride, span, count};
  return true;
}

void ChecksumRecords(const Records& r, uint32_t* out) {
  const uint8_t* p = r.first;
  for (int64_t i = 0; i < r.count; i++, p += r.stride) {
    out[i] = Crc32Update(0, p, static_cast<size_t>(r.span));
  }
}

Napi::Value Crc32Records(const Napi::CallbackInfo& info) {
  Records r;
  if (!ArgRecords(info, "crc32Records", &r)) return info.Env().Undefined();
  Napi::Uint32Array out = Napi::Uint32Array::New(info.Env(), static_cast<size_t>(r.count));
  ChecksumRecords(r, out.Data());
  return out;
}

// Fills buf[0, length) from fd at `position` (pread, retried on EINTR and short reads); bytes
// past the end of the file read as zeros. Returns 0 or an errno value.
int ReadFully(int fd, uint8_t* buf, size_t length, int64_t position) {
  size_t got = 0;
  while (got < length) {
    ssize_t n = pread(fd, buf + got, length - got, static_cast<off_t>(position + static_cast<int64_t>(got)));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  memset(buf + got, 0, length - got);
  return 0;
}

// crc32(buf, offset, length) -> the CRC-32 of buf[offset, offset + length), as a number. For one
// record (a log entry being written, a superblock): a typed array per CRC would cost an
// ArrayBuffer allocation per call, several times the checksum itself.
Napi::Value Crc32(const Napi::CallbackInfo& info) {
  const char* fn = "crc32";
  Bytes bytes;
  int64_t offset, length;
  if (!ArgBytes(info, 0, fn, "buf", &bytes) || !ArgInt(info, 1, fn, "offset", 0, kMaxSafeInteger, &offset) ||
      !ArgInt(info, 2, fn, "length", 0, kMaxSafeInteger, &length)) {
    return info.Env().Undefined();
  }
  if (static_cast<uint64_t>(offset) + static_cast<uint64_t>(length) > bytes.length) {
    ThrowRange(info.Env(), fn, "span runs past the end of the buffer");
    return info.Env().Undefined();
  }
  uint32_t crc = Crc32Update(0, bytes.data + offset, static_cast<size_t>(length));
  return Napi::Number::New(info.Env(), static_cast<double>(crc));
}

// The same checksums computed on the background thread while JavaScript goes on: a pass over a
// log checks the next window while it walks this one. Given (fd, position, length) the job
// first reads buf[0, length) from the file, so the read leaves the JavaScript thread too. The job
// holds references to the input and the output so neither is collected; the caller must not
// touch or unmap the input until wait() has returned the CRCs.
class Crc32Job : public Napi::ObjectWrap<Crc32Job> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Crc32RecordsJob", {InstanceMethod<&Crc32Job::Wait>("wait")});
  }

  explicit Crc32Job(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Crc32Job>(info) {
    const char* fn = "crc32RecordsStart";
    Records r;
    if (!ArgRecords(info, fn, &r)) return;
    int fd = -1;
    int64_t position = 0, length = 0;
    Bytes bytes;
    ArgBytes(info, 0, fn, "buf", &bytes);
    if (info.Length() > 5 && !info[5].IsUndefined()) {
      if (!ArgFd(info, 5, fn, &fd) || !ArgInt(info, 6, fn, "position", 0, kMaxSafeInteger, &position) ||
          !ArgInt(info, 7, fn, "length", 0, static_cast<int64_t>(bytes.length), &length)) {
        return;
      }
    }
    // The CRCs go to `out` when given (reused from window to window, where a new array each time
    // would be fresh memory to fault in), else to a new array.
    Napi::Uint32Array out;
    if (info.Length() > 8 && !info[8].IsUndefined()) {
      if (!info[8].IsTypedArray() || info[8].As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array) {
        ThrowType(info.Env(), fn, "out must be a Uint32Array");
        return;
      }
      out = info[8].As<Napi::Uint32Array>();
      if (out.ElementLength() < static_cast<size_t>(r.count)) {
        ThrowRange(info.Env(), fn, "out is shorter than count");
        return;
      }
    } else {
      out = Napi::Uint32Array::New(info.Env(), static_cast<size_t>(r.count));
    }
    input_ = Napi::Persistent(info[0].As<Napi::Object>());
    output_ = Napi::Persistent(out);
    uint32_t* dest = out.Data();
    uint8_t* base = bytes.data;
    task_.run = [this, r, dest, fd, base, position, length] {
      if (fd >= 0) readError_ = ReadFully(fd, base, static_cast<size_t>(length), position);
      if (readError_ == 0) ChecksumRecords(r, dest);
    };
    BackgroundThread::Get().Start(&task_);
    started_ = true;
  }

  ~Crc32Job() override { Finish(); }

 private:
  void Finish() {
    if (started_) BackgroundThread::Get().Wait(&task_);
    started_ = false;
  }

  // Returns the CRCs once they are all computed; a second call returns the same array.
  Napi::Value Wait(const Napi::CallbackInfo& info) {
    Finish();
    if (readError_ != 0) {
      ThrowErrno(info.Env(), "pread", readError_);
      return info.Env().Undefined();
    }
    if (output_.IsEmpty()) return info.Env().Undefined();
    Napi::Value out = output_.Value();
    input_.Reset();
    return out;
  }

  BackgroundThread::Task task_;
  bool started_ = false;
  int readError_ = 0;
  Napi::ObjectReference input_;
  Napi::Reference<Napi::Uint32Array> output_;
};

}  // namespace

void InitChecksum(Napi::Env env, Napi::Object exports) {
  exports.Set("crc32", Napi::Function::New(env, Crc32, "crc32"));
  exports.Set("crc32Records", Napi::Function::New(env, Crc32Records, "crc32Records"));
  exports.Set("Crc32RecordsJob", Crc32Job::Define(env));
  exports.Set("crc32Method", Napi::String::New(env, Crc32Method()));
}

}  // namespace famfs
