// mmap / unmap / msync / pageSize.
//
// A mapping is handed to JS as an external ArrayBuffer whose finalizer munmaps it. Live
// mappings are kept in a registry (address -> Mapping) so that an explicit unmap() can check
// its argument, munmap once, and leave the later finalizer with nothing to do but free the
// bookkeeping.
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <mutex>
#include <unordered_map>

#include "common.h"

namespace famfs {
namespace {

struct Mapping {
  void* addr;
  size_t length;
  bool mapped;
};

// Shared by every env (worker threads load the addon once per thread).
std::mutex g_mutex;
std::unordered_map<void*, Mapping*> g_live;

void Register(Mapping* m) {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_live[m->addr] = m;
}

// The live mapping that starts at `addr`, or nullptr.
Mapping* FindLive(void* addr) {
  std::lock_guard<std::mutex> lock(g_mutex);
  auto it = g_live.find(addr);
  return it == g_live.end() ? nullptr : it->second;
}

// Marks `m` unmapped and drops it from the registry; returns whether it was still mapped.
bool Retire(Mapping* m) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (!m->mapped) return false;
  m->mapped = false;
  g_live.erase(m->addr);
  return true;
}

// Runs when the ArrayBuffer is collected (or at env teardown).
void FinalizeMapping(Napi::Env env, void* /*data*/, Mapping* m) {
  if (Retire(m)) {
    munmap(m->addr, m->length);
    Napi::MemoryManagement::AdjustExternalMemory(env, -static_cast<int64_t>(m->length));
  }
  delete m;
}

size_t PageSizeBytes() {
  static const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return page;
}

// mmap(fd, length, offset, writable) -> ArrayBuffer over a MAP_SHARED mapping.
Napi::Value Mmap(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd;
  int64_t length, offset;
  bool writable;
  if (!ArgFd(info, 0, "mmap", &fd) ||
      !ArgInt(info, 1, "mmap", "length", 0, kMaxSafeInteger, &length) ||
      !ArgInt(info, 2, "mmap", "offset", 0, kMaxSafeInteger, &offset) ||
      !ArgBool(info, 3, "mmap", "writable", &writable)) {
    return env.Undefined();
  }
  int prot = PROT_READ | (writable ? PROT_WRITE : 0);
  void* addr = mmap(nullptr, static_cast<size_t>(length), prot, MAP_SHARED, fd,
                    static_cast<off_t>(offset));
  if (addr == MAP_FAILED) {
    ThrowErrno(env, "mmap", errno);
    return env.Undefined();
  }
  Mapping* m = new Mapping{addr, static_cast<size_t>(length), true};
  Register(m);
  Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(env, addr, m->length, FinalizeMapping, m);
  if (env.IsExceptionPending()) {  // no finalizer was attached
    Retire(m);
    munmap(addr, m->length);
    delete m;
    return env.Undefined();
  }
  Napi::MemoryManagement::AdjustExternalMemory(env, length);
  return buffer;
}

// The ArrayBuffer behind a Buffer that covers it entirely, or behind itself.
bool WholeArrayBuffer(const Napi::CallbackInfo& info, Napi::ArrayBuffer* out) {
  if (info[0].IsArrayBuffer()) {
    *out = info[0].As<Napi::ArrayBuffer>();
    return true;
  }
  if (!info[0].IsTypedArray()) {
    ThrowType(info.Env(), "unmap", "buf must be a Buffer returned by mmap()");
    return false;
  }
  Napi::TypedArray view = info[0].As<Napi::TypedArray>();
  *out = view.ArrayBuffer();
  if (view.ByteOffset() != 0 || view.ByteLength() != out->ByteLength()) {
    ThrowErrno(info.Env(), "unmap", EINVAL, nullptr, "buffer does not cover a whole mapping");
    return false;
  }
  return true;
}

// unmap(buf): munmap now and detach the ArrayBuffer so stale views read as empty.
Napi::Value Unmap(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::ArrayBuffer buffer;
  if (!WholeArrayBuffer(info, &buffer)) return env.Undefined();
  Mapping* m = buffer.IsDetached() ? nullptr : FindLive(buffer.Data());
  if (m == nullptr || m->length != buffer.ByteLength()) {
    ThrowErrno(env, "unmap", EINVAL, nullptr, "buffer is not a live mapping created by mmap()");
    return env.Undefined();
  }
  if (munmap(m->addr, m->length) != 0) {
    ThrowErrno(env, "munmap", errno);
    return env.Undefined();
  }
  Retire(m);  // the finalizer still owns (and later frees) m
  Napi::MemoryManagement::AdjustExternalMemory(env, -static_cast<int64_t>(m->length));
  buffer.Detach();
  return env.Undefined();
}

// msync(buf, offset, length, sync): the start is rounded down to its page.
Napi::Value Msync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Bytes bytes;
  size_t offset, length;
  bool sync;
  if (!ArgBytes(info, 0, "msync", "buf", &bytes) ||
      !ArgWindow(info, 1, "msync", bytes, &offset, &length) ||
      !ArgBool(info, 3, "msync", "sync", &sync)) {
    return env.Undefined();
  }
  if (length == 0) return env.Undefined();
  int err = SyncRange(bytes.data + offset, length, sync);
  if (err != 0) ThrowErrno(env, "msync", err);
  return env.Undefined();
}

// prefault(buf, offset, length) -> whether the pages were populated. The pages wholly inside the
// window are faulted in by the kernel in one call (MADV_POPULATE_WRITE, Linux 5.14+), which costs
// far less than one page fault each as the memory is first touched, on a virtual machine above
// all. A kernel without it, or any other failure, answers false and changes nothing: the pages
// are then faulted in as they are touched, as always.
Napi::Value Prefault(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Bytes bytes;
  size_t offset, length;
  if (!ArgBytes(info, 0, "prefault", "buf", &bytes) || !ArgWindow(info, 1, "prefault", bytes, &offset, &length)) {
    return env.Undefined();
  }
#ifdef MADV_POPULATE_WRITE
  const uintptr_t page = PageSizeBytes();
  const uintptr_t start = (reinterpret_cast<uintptr_t>(bytes.data + offset) + page - 1) & ~(page - 1);
  const uintptr_t end = (reinterpret_cast<uintptr_t>(bytes.data + offset) + length) & ~(page - 1);
  if (end <= start) return Napi::Boolean::New(env, false);
  // The 2 MiB-aligned part of a large window may be backed by transparent huge pages (where the
  // system allows them only on request): populated a huge page at a time, and fewer TLB misses
  // for a pass that touches it all over. A refusal changes nothing.
  const uintptr_t huge = 2u << 20;
  const uintptr_t hugeStart = (start + huge - 1) & ~(huge - 1);
  const uintptr_t hugeEnd = end & ~(huge - 1);
  if (hugeEnd > hugeStart) madvise(reinterpret_cast<void*>(hugeStart), hugeEnd - hugeStart, MADV_HUGEPAGE);
  return Napi::Boolean::New(env, madvise(reinterpret_cast<void*>(start), end - start, MADV_POPULATE_WRITE) == 0);
#else
  return Napi::Boolean::New(env, false);
#endif
}

Napi::Value PageSize(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(PageSizeBytes()));
}

}  // namespace

int SyncRange(void* start, size_t length, bool sync) {
  uintptr_t addr = reinterpret_cast<uintptr_t>(start);
  uintptr_t aligned = addr & ~(static_cast<uintptr_t>(PageSizeBytes()) - 1);
  size_t span = length + (addr - aligned);
  if (msync(reinterpret_cast<void*>(aligned), span, sync ? MS_SYNC : MS_ASYNC) != 0) return errno;
  return 0;
}

void InitMapping(Napi::Env env, Napi::Object exports) {
  exports.Set("mmap", Napi::Function::New(env, Mmap, "mmap"));
  exports.Set("unmap", Napi::Function::New(env, Unmap, "unmap"));
  exports.Set("msync", Napi::Function::New(env, Msync, "msync"));
  exports.Set("pageSize", Napi::Function::New(env, PageSize, "pageSize"));
  exports.Set("prefault", Napi::Function::New(env, Prefault, "prefault"));
}

}  // namespace famfs
