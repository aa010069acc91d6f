// Copies of many small files into a device file, on the background thread: famfs cp of a tree
// spends most of its time in five system calls per file (open, fstat, read, pwrite, close),
// which Node's fs wrappers make about twice as costly as they are from C and which JavaScript
// cannot overlap with its own work (logging the entries). Here one job copies a batch of files,
// each read whole into a scratch buffer with one byte more than its size asked for (so one read
// also proves the source still ends where the walk saw it end), then written to its device
// ranges with pwrite. Nothing is decided here beyond "copied or not": a file the job could not
// copy exactly gets a status, and the caller goes the careful way for it.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "background.h"
#include "common.h"

namespace famfs {
namespace {

// The largest file a job copies: the caller's small-file limit is far below this.
constexpr int64_t kMaxFileSize = 64LL * 1024 * 1024;

// Status of one file, beside 0 (copied) and a positive errno (a call failed).
constexpr int32_t kNotRegular = -1;
constexpr int32_t kSizeChanged = -2;

struct FileToCopy {
  const char* path;
  int64_t size;
  size_t firstPiece;
  size_t pieceCount;
};

struct Piece {
  int64_t offset;
  int64_t length;
};

// read() until `want` bytes or end of file; returns the count, or -errno.
int64_t ReadUpTo(int fd, uint8_t* buf, int64_t want) {
  int64_t got = 0;
  while (got < want) {
    ssize_t n = read(fd, buf + got, static_cast<size_t>(want - got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -errno;
    if (n == 0) break;
    got += n;
  }
  return got;
}

// pwrite() all of buf[0, length) at `offset`; 0 or an errno value.
int WriteAll(int fd, const uint8_t* buf, int64_t length, int64_t offset) {
  int64_t done = 0;
  while (done < length) {
    ssize_t n = pwrite(fd, buf + done, static_cast<size_t>(length - done), static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (n == 0) return EIO;
    done += n;
  }
  return 0;
}

int32_t CopyOne(const FileToCopy& f, const Piece* pieces, int deviceFd, int openFlags, std::vector<uint8_t>* scratch) {
  int fd;
  do {
    fd = open(f.path, openFlags);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return errno;
  int32_t status = 0;
  struct stat st;
  if (fstat(fd, &st) != 0) {
    status = errno;
  } else if (!S_ISREG(st.st_mode)) {
    status = kNotRegular;
  } else if (st.st_size != f.size) {
    status = kSizeChanged;
  } else {
    if (scratch->size() < static_cast<size_t>(f.size) + 1) scratch->resize(static_cast<size_t>(f.size) + 1);
    int64_t got = ReadUpTo(fd, scratch->data(), f.size + 1);
    if (got < 0) {
      status = static_cast<int32_t>(-got);
    } else if (got != f.size) {
      status = kSizeChanged;
    } else {
      const uint8_t* src = scratch->data();
      for (size_t i = 0; i < f.pieceCount && status == 0; i++) {
        const Piece& p = pieces[f.firstPiece + i];
        status = WriteAll(deviceFd, src, p.length, p.offset);
        src += p.length;
      }
    }
  }
  close(fd);
  return status;
}

// copyFilesStart(paths, files, pieces, deviceFd, noFollow) -> job; job.wait() -> Int32Array.
//   paths: the files' paths, each ended by a NUL byte, one after another
//   files: Float64Array, (size, piece count) per file
//   pieces: Float64Array, (device offset, length) per piece, the files' pieces in order; the
//           lengths of a file's pieces add up to its size
// The job holds references to its inputs and output until it is waited for (or collected).
class CopyFilesJob : public Napi::ObjectWrap<CopyFilesJob> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "CopyFilesJob", {InstanceMethod<&CopyFilesJob::Wait>("wait")});
  }

  explicit CopyFilesJob(const Napi::CallbackInfo& info) : Napi::ObjectWrap<CopyFilesJob>(info) {
    const char* fn = "copyFilesStart";
    Napi::Env env = info.Env();
    Bytes paths;
    int deviceFd;
    bool noFollow;
    if (!ArgBytes(info, 0, fn, "paths", &paths) || !ArgFd(info, 3, fn, &deviceFd) ||
        !ArgBool(info, 4, fn, "noFollow", &noFollow)) {
      return;
    }
    if (!info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array ||
        !info[2].IsTypedArray() || info[2].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
      ThrowType(env, fn, "files and pieces must be Float64Arrays");
      return;
    }
    Napi::Float64Array files = info[1].As<Napi::Float64Array>();
    Napi::Float64Array pieces = info[2].As<Napi::Float64Array>();
    if (files.ElementLength() % 2 != 0 || pieces.ElementLength() % 2 != 0) {
      ThrowRange(env, fn, "files and pieces hold pairs");
      return;
    }
    if (!Plan(env, fn, paths, files, pieces)) return;
    size_t count = files_.size();
    Napi::Int32Array out = Napi::Int32Array::New(env, count);
    inputs_ = Napi::Persistent(Napi::Object::New(env));
    inputs_.Set("paths", info[0]);
    output_ = Napi::Persistent(out);
    int32_t* status = out.Data();
    int flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | (noFollow ? O_NOFOLLOW : 0);
    task_.run = [this, status, deviceFd, flags] {
      std::vector<uint8_t> scratch;
      for (size_t i = 0; i < files_.size(); i++) status[i] = CopyOne(files_[i], pieces_.data(), deviceFd, flags, &scratch);
    };
    BackgroundThread::Get().Start(&task_);
    started_ = true;
  }

  ~CopyFilesJob() override { Finish(); }

 private:
  // Checks the arguments and copies them into files_ and pieces_ (the thread reads only these
  // and the paths buffer, which inputs_ keeps alive).
  bool Plan(Napi::Env env, const char* fn, const Bytes& paths, const Napi::Float64Array& files,
            const Napi::Float64Array& pieces) {
    size_t pieceCount = pieces.ElementLength() / 2;
    pieces_.reserve(pieceCount);
    for (size_t i = 0; i < pieceCount; i++) {
      double off = pieces[2 * i], len = pieces[2 * i + 1];
      if (!(off >= 0 && off <= static_cast<double>(kMaxSafeInteger) && off == static_cast<double>(static_cast<int64_t>(off))) ||
          !(len >= 1 && len <= static_cast<double>(kMaxFileSize) && len == static_cast<double>(static_cast<int64_t>(len)))) {
        ThrowRange(env, fn, "piece " + std::to_string(i) + " is not (offset >= 0, 1 <= length <= 64 MiB) in whole numbers");
        return false;
      }
      pieces_.push_back(Piece{static_cast<int64_t>(off), static_cast<int64_t>(len)});
    }
    size_t at = 0;
    size_t nextPiece = 0;
    for (size_t i = 0; i < files.ElementLength() / 2; i++) {
      double size = files[2 * i], n = files[2 * i + 1];
      if (!(size >= 1 && size <= static_cast<double>(kMaxFileSize) && size == static_cast<double>(static_cast<int64_t>(size))) ||
          !(n >= 1 && n <= static_cast<double>(pieceCount - nextPiece) && n == static_cast<double>(static_cast<size_t>(n)))) {
        ThrowRange(env, fn, "file " + std::to_string(i) + ": size or piece count out of range");
        return false;
      }
      FileToCopy f{reinterpret_cast<const char*>(paths.data + at), static_cast<int64_t>(size), nextPiece,
                   static_cast<size_t>(n)};
      int64_t sum = 0;
      for (size_t k = 0; k < f.pieceCount; k++) sum += pieces_[f.firstPiece + k].length;
      if (sum != f.size) {
        ThrowRange(env, fn, "file " + std::to_string(i) + ": its pieces do not add up to its size");
        return false;
      }
      const void* nul = at < paths.length ? memchr(paths.data + at, 0, paths.length - at) : nullptr;
      if (nul == nullptr || nul == paths.data + at) {
        ThrowRange(env, fn, "file " + std::to_string(i) + ": paths must hold a non-empty, NUL-ended path per file");
        return false;
      }
      at = static_cast<size_t>(static_cast<const uint8_t*>(nul) - paths.data) + 1;
      nextPiece += f.pieceCount;
      files_.push_back(f);
    }
    if (nextPiece != pieceCount) {
      ThrowRange(env, fn, "pieces holds more pieces than the files use");
      return false;
    }
    return true;
  }

  void Finish() {
    if (started_) BackgroundThread::Get().Wait(&task_);
    started_ = false;
  }

  // The status of each file, once all are done (the same array on each call): 0 copied, an
  // errno value when a call failed, -1 not a regular file, -2 not of the size given.
  Napi::Value Wait(const Napi::CallbackInfo& info) {
    Finish();
    if (output_.IsEmpty()) return info.Env().Undefined();
    inputs_.Reset();
    return output_.Value();
  }

  std::vector<FileToCopy> files_;
  std::vector<Piece> pieces_;
  BackgroundThread::Task task_;
  bool started_ = false;
  Napi::ObjectReference inputs_;
  Napi::Reference<Napi::Int32Array> output_;
};

}  // namespace

void InitCopyFiles(Napi::Env env, Napi::Object exports) {
  exports.Set("CopyFilesJob", CopyFilesJob::Define(env));
  exports.Set("COPY_NOT_REGULAR", Napi::Number::New(env, kNotRegular));
  exports.Set("COPY_SIZE_CHANGED", Napi::Number::New(env, kSizeChanged));
}

}  // namespace famfs
