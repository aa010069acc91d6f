// A directory's names and the lstat of each, in one call: a walk over a tree of many small files
// (famfs cp -r) needs each entry's name, type, mode and size, and Node's readdir and lstatSync
// cost a Dirent and a name Buffer, then a call through the fs layer and a Stats object with four
// Dates, per entry. Here the directory is opened once, read to its end, and each name is looked
// up relative to it (fstatat, AT_SYMLINK_NOFOLLOW).
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "common.h"

namespace famfs {
namespace {

// readDirStats(dir) -> { names: Buffer, stats: Float64Array }
//   names: every entry but "." and "..", in the order readdir gave them, each ended by a NUL byte;
//   stats: (mode, size, errno) per name, errno 0 when its lstat succeeded (else mode and size 0).
//   A directory that cannot be opened or read throws its errno.
Napi::Value ReadDirStats(const Napi::CallbackInfo& info) {
  const char* fn = "readDirStats";
  Napi::Env env = info.Env();
  std::string dir;
  if (!ArgString(info, 0, fn, "dir", &dir)) return env.Undefined();
  int dirFd;
  do {
    dirFd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  } while (dirFd < 0 && errno == EINTR);
  if (dirFd < 0) {
    ThrowErrno(env, "open", errno, nullptr, dir);
    return env.Undefined();
  }
  DIR* d = fdopendir(dirFd);
  if (d == nullptr) {
    int err = errno;
    close(dirFd);
    ThrowErrno(env, "fdopendir", err, nullptr, dir);
    return env.Undefined();
  }
  std::string names;
  std::vector<double> stats;
  for (;;) {
    errno = 0;
    struct dirent* e = readdir(d);
    if (e == nullptr) {
      if (errno != 0) {
        int err = errno;
        closedir(d);
        ThrowErrno(env, "readdir", err, nullptr, dir);
        return env.Undefined();
      }
      break;
    }
    const char* name = e->d_name;
    if (name[0] == '.' && (name[1] == 0 || (name[1] == '.' && name[2] == 0))) continue;
    struct stat st;
    int err = fstatat(dirFd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 ? 0 : errno;
    names.append(name, strlen(name) + 1);
    stats.push_back(err == 0 ? static_cast<double>(st.st_mode) : 0);
    stats.push_back(err == 0 ? static_cast<double>(st.st_size) : 0);
    stats.push_back(err);
  }
  closedir(d);  // closes dirFd too
  Napi::Float64Array out = Napi::Float64Array::New(env, stats.size());
  if (!stats.empty()) memcpy(out.Data(), stats.data(), stats.size() * sizeof(double));
  Napi::Object result = Napi::Object::New(env);
  result.Set("names", Napi::Buffer<char>::Copy(env, names.data(), names.size()));
  result.Set("stats", out);
  return result;
}

}  // namespace

void InitDirStats(Napi::Env env, Napi::Object exports) {
  exports.Set("readDirStats", Napi::Function::New(env, ReadDirStats, "readDirStats"));
}

}  // namespace famfs
