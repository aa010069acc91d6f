// FUSE over io_uring (kernel 6.14+, FUSE_OVER_IO_URING): the kernel hands each request to a ring
// entry the daemon registered (a header buffer and a payload buffer) and completes that entry's
// io_uring command; the daemon answers in the same buffers and, in one submission, commits the
// answer and asks for the next request (COMMIT_AND_FETCH). One io_uring_enter per request replaces
// the read(2) and writev(2) of /dev/fuse.
//
// The session stays one thread that handles one message at a time, so this file gives it the
// shape of a message channel:
//   fuseRingNext(ring, buf)   -> the next request, reassembled in buf as /dev/fuse would deliver it
//   fuseRingReply(ring, bufs) -> the answer to the request last returned (queued, not yet written)
// Every possible CPU has a queue (the kernel routes a request to the queue of the CPU it was made
// on, and uses the ring only once every queue has an entry); each queue gets one entry, which is
// enough for a server that answers one request at a time. FORGET and INTERRUPT keep coming through
// /dev/fuse: a READ of the fd sits in the same ring (io_uring runs it in a kernel worker, as
// /dev/fuse cannot be read without blocking) and its completion is returned like a ring request.
//
// The structures below are the kernel's (include/uapi/linux/fuse.h, 7.42); the io_uring ones come
// from <linux/io_uring.h>. No liburing: the ring is set up and driven with the two system calls.
#include <linux/io_uring.h>
#include <node_api.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "common.h"

namespace famfs {
namespace {

// --- the kernel's fuse-over-io_uring ABI (fuse.h 7.42) -------------------------------------
constexpr size_t kInOutHeaderSize = 128;  // FUSE_URING_IN_OUT_HEADER_SZ
constexpr size_t kOpInSize = 128;         // FUSE_URING_OP_IN_OUT_SZ
struct RingEntInOut {                     // struct fuse_uring_ent_in_out
  uint64_t flags;
  uint64_t commit_id;
  uint32_t payload_sz;
  uint32_t padding;
  uint64_t reserved;
};
struct RingReqHeader {  // struct fuse_uring_req_header
  uint8_t in_out[kInOutHeaderSize];
  uint8_t op_in[kOpInSize];
  RingEntInOut ring_ent_in_out;
};
struct RingCmdReq {  // struct fuse_uring_cmd_req, in the SQE's 80-byte command area
  uint64_t flags;
  uint64_t commit_id;
  uint16_t qid;
  uint8_t padding[6];
};
constexpr uint32_t kCmdRegister = 1;        // FUSE_IO_URING_CMD_REGISTER
constexpr uint32_t kCmdCommitAndFetch = 2;  // FUSE_IO_URING_CMD_COMMIT_AND_FETCH
static_assert(sizeof(RingEntInOut) == 32, "fuse_uring_ent_in_out");
static_assert(sizeof(RingReqHeader) == 288, "fuse_uring_req_header");
static_assert(sizeof(RingCmdReq) == 24, "fuse_uring_cmd_req");

constexpr size_t kInHeaderSize = 40;   // struct fuse_in_header
constexpr size_t kOutHeaderSize = 16;  // struct fuse_out_header
constexpr size_t kSqeSize = 128;       // IORING_SETUP_SQE128
constexpr size_t kSqeCmdOffset = 48;   // io_uring_sqe.cmd
// user_data of the /dev/fuse READ; ring entries use their index.
constexpr uint64_t kDevRead = UINT64_MAX;

template <typename T>
T LoadAcquire(const T* p) {
  return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}
template <typename T>
void StoreRelease(T* p, T v) {
  __atomic_store_n(p, v, __ATOMIC_RELEASE);
}

// Where a request came from, so that its answer goes back the same way.
enum class Source { kNone, kEntry, kDev };

struct Entry {
  RingReqHeader* header = nullptr;
  uint8_t* payload = nullptr;
  struct iovec iov[2];
  uint16_t qid = 0;
  uint64_t commitId = 0;
};

class FuseRing {
 public:
  int fuseFd = -1;
  int ringFd = -1;
  size_t payloadBytes = 0;
  std::vector<Entry> entries;
  // One allocation for every entry's header, one per entry for its payload (page-aligned, as the
  // kernel pins nothing: it copies in and out of them in this thread's context).
  void* headers = nullptr;
  size_t headersBytes = 0;
  std::vector<void*> payloads;
  std::vector<uint8_t> devBuf;
  // The ring's shared memory.
  void* sqRing = nullptr;
  size_t sqRingBytes = 0;
  void* cqRing = nullptr;
  size_t cqRingBytes = 0;
  uint8_t* sqes = nullptr;
  size_t sqesBytes = 0;
  uint32_t* sqHead = nullptr;
  uint32_t* sqTail = nullptr;
  uint32_t sqMask = 0;
  uint32_t* sqArray = nullptr;
  uint32_t* cqHead = nullptr;
  uint32_t* cqTail = nullptr;
  uint32_t cqMask = 0;
  struct io_uring_cqe* cqes = nullptr;
  bool started = false;
  // Completions taken off the ring while registering, handed out first by fuseRingNext.
  std::vector<struct io_uring_cqe> stash;
  // The request being answered.
  Source current = Source::kNone;
  size_t currentEntry = 0;
  // Counters (read by fuseRingCounts).
  double ringRequests = 0;
  double devRequests = 0;
  double rearmed = 0;
  double oversized = 0;

  ~FuseRing() { Release(); }

  void Release() {
    // Closing the ring cancels its commands; the buffers are freed only after that.
    if (ringFd >= 0) close(ringFd);
    ringFd = -1;
    if (sqes) munmap(sqes, sqesBytes);
    if (cqRing && cqRing != sqRing) munmap(cqRing, cqRingBytes);
    if (sqRing) munmap(sqRing, sqRingBytes);
    sqes = nullptr;
    sqRing = cqRing = nullptr;
    if (headers) munmap(headers, headersBytes);
    headers = nullptr;
    for (void* p : payloads) munmap(p, payloadBytes);
    payloads.clear();
    entries.clear();
  }

  // Sets up the ring; returns 0 or an errno value.
  int Setup(uint32_t sqEntries) {
    struct io_uring_params p;
    std::memset(&p, 0, sizeof p);
    // Task work only when this thread enters the ring (it is the only one that does).
    p.flags = IORING_SETUP_SQE128 | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
    int fd = static_cast<int>(syscall(__NR_io_uring_setup, sqEntries, &p));
    if (fd < 0 && errno == EINVAL) {
      std::memset(&p, 0, sizeof p);
      p.flags = IORING_SETUP_SQE128;
      fd = static_cast<int>(syscall(__NR_io_uring_setup, sqEntries, &p));
    }
    if (fd < 0) return errno;
    ringFd = fd;
    sqRingBytes = p.sq_off.array + p.sq_entries * sizeof(uint32_t);
    cqRingBytes = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
    bool single = (p.features & IORING_FEAT_SINGLE_MMAP) != 0;
    if (single && cqRingBytes > sqRingBytes) sqRingBytes = cqRingBytes;
    sqRing = mmap(nullptr, sqRingBytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
                  IORING_OFF_SQ_RING);
    if (sqRing == MAP_FAILED) {
      sqRing = nullptr;
      return errno;
    }
    if (single) {
      cqRing = sqRing;
    } else {
      cqRing = mmap(nullptr, cqRingBytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
                    IORING_OFF_CQ_RING);
      if (cqRing == MAP_FAILED) {
        cqRing = nullptr;
        return errno;
      }
    }
    sqesBytes = p.sq_entries * kSqeSize;
    void* s = mmap(nullptr, sqesBytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
                   IORING_OFF_SQES);
    if (s == MAP_FAILED) return errno;
    sqes = static_cast<uint8_t*>(s);
    auto* sq = static_cast<uint8_t*>(sqRing);
    auto* cq = static_cast<uint8_t*>(cqRing);
    sqHead = reinterpret_cast<uint32_t*>(sq + p.sq_off.head);
    sqTail = reinterpret_cast<uint32_t*>(sq + p.sq_off.tail);
    sqMask = *reinterpret_cast<uint32_t*>(sq + p.sq_off.ring_mask);
    sqArray = reinterpret_cast<uint32_t*>(sq + p.sq_off.array);
    cqHead = reinterpret_cast<uint32_t*>(cq + p.cq_off.head);
    cqTail = reinterpret_cast<uint32_t*>(cq + p.cq_off.tail);
    cqMask = *reinterpret_cast<uint32_t*>(cq + p.cq_off.ring_mask);
    cqes = reinterpret_cast<struct io_uring_cqe*>(cq + p.cq_off.cqes);
    return 0;
  }

  // A zeroed SQE at the tail, published at once (the kernel reads it at the next enter).
  uint8_t* NextSqe() {
    // Never more SQEs queued than the ring holds (at most one per entry and the READ are ever
    // owed, but a full ring is submitted first rather than overwritten).
    if (*sqTail - LoadAcquire(sqHead) > sqMask) Enter(false);
    uint32_t tail = *sqTail;
    uint32_t index = tail & sqMask;
    uint8_t* sqe = sqes + static_cast<size_t>(index) * kSqeSize;
    std::memset(sqe, 0, kSqeSize);
    sqArray[index] = index;
    return sqe;
  }
  void Publish() { StoreRelease(sqTail, *sqTail + 1); }

  void QueueCommand(size_t i, uint32_t cmd) {
    Entry& e = entries[i];
    uint8_t* raw = NextSqe();
    auto* sqe = reinterpret_cast<struct io_uring_sqe*>(raw);
    sqe->opcode = IORING_OP_URING_CMD;
    sqe->fd = fuseFd;
    sqe->cmd_op = cmd;
    sqe->addr = reinterpret_cast<uint64_t>(e.iov);
    sqe->len = 2;
    sqe->user_data = i;
    RingCmdReq req;
    std::memset(&req, 0, sizeof req);
    req.commit_id = cmd == kCmdCommitAndFetch ? e.commitId : 0;
    req.qid = e.qid;
    std::memcpy(raw + kSqeCmdOffset, &req, sizeof req);
    Publish();
  }

  // Answers entry i's request with -err (an answer is owed: an entry that is never committed
  // fetches nothing more, and its queue stalls) and queues the commit.
  void AnswerError(size_t i, int err) {
    Entry& e = entries[i];
    int32_t hdr[4] = {static_cast<int32_t>(kOutHeaderSize), -err, 0, 0};
    std::memcpy(&hdr[2], e.header->in_out + 8, 8);  // the unique, from the request's header
    std::memcpy(e.header->in_out, hdr, sizeof hdr);
    e.header->ring_ent_in_out.payload_sz = 0;
    QueueCommand(i, kCmdCommitAndFetch);
  }

  void QueueDevRead() {
    auto* sqe = reinterpret_cast<struct io_uring_sqe*>(NextSqe());
    sqe->opcode = IORING_OP_READ;
    sqe->fd = fuseFd;
    sqe->addr = reinterpret_cast<uint64_t>(devBuf.data());
    sqe->len = static_cast<uint32_t>(devBuf.size());
    sqe->off = UINT64_MAX;  // the file position (a stream: none)
    sqe->user_data = kDevRead;
    Publish();
  }

  // Submits what is queued and, if `wait`, waits for one completion. Returns 0 or an errno.
  // GETEVENTS either way: with DEFER_TASKRUN, completions are posted only when asked for.
  int Enter(bool wait) {
    for (;;) {
      uint32_t pending = *sqTail - LoadAcquire(sqHead);
      long r = syscall(__NR_io_uring_enter, ringFd, pending, wait ? 1 : 0, IORING_ENTER_GETEVENTS,
                       nullptr, 0);
      if (r >= 0) return 0;
      if (errno == EINTR) {
        if (!wait) continue;
        if (LoadAcquire(cqTail) != *cqHead) return 0;
        continue;
      }
      return errno;
    }
  }

  bool PopCqe(struct io_uring_cqe* out) {
    if (!stash.empty()) {
      *out = stash.front();
      stash.erase(stash.begin());
      return true;
    }
    uint32_t head = *cqHead;
    if (head == LoadAcquire(cqTail)) return false;
    *out = cqes[head & cqMask];
    StoreRelease(cqHead, head + 1);
    return true;
  }
};

bool IsClosedErrno(int err) {
  return err == ENOTCONN || err == ENODEV || err == ECONNABORTED || err == ECANCELED;
}

void Finalize(napi_env, void* data, void*) { delete static_cast<FuseRing*>(data); }

FuseRing* RingArg(napi_env env, napi_value v, const char* fn) {
  void* p = nullptr;
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external ||
      napi_get_value_external(env, v, &p) != napi_ok || p == nullptr) {
    ThrowType(Napi::Env(env), fn, "ring must be a handle from fuseRingOpen");
    return nullptr;
  }
  auto* ring = static_cast<FuseRing*>(p);
  if (ring->ringFd < 0) {
    ThrowErrno(Napi::Env(env), fn, EBADF, nullptr, "the ring is closed");
    return nullptr;
  }
  return ring;
}

// The arguments (ring, second) of the two per-request calls, read with the raw Node-API; null
// (an exception pending) when there are fewer or the ring is not an open one.
FuseRing* RingCall(napi_env env, napi_callback_info info, const char* fn, const char* usage,
                   napi_value* second) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok) return nullptr;
  if (argc < 2) {
    ThrowType(Napi::Env(env), fn, usage);
    return nullptr;
  }
  *second = argv[1];
  return RingArg(env, argv[0], fn);
}

bool BytesOf(napi_env env, napi_value v, const char* fn, uint8_t** data, size_t* length) {
  napi_typedarray_type type;
  void* p;
  if (napi_get_typedarray_info(env, v, &type, length, &p, nullptr, nullptr) != napi_ok ||
      type != napi_uint8_array) {
    ThrowType(Napi::Env(env), fn, "expected a Buffer");
    return false;
  }
  *data = static_cast<uint8_t*>(p);
  return true;
}

napi_value Int(napi_env env, int64_t n) {
  napi_value v;
  napi_create_int64(env, n, &v);
  return v;
}

// fuseRingOpen(fuseFd, queues, payloadBytes, devBufferBytes) -> ring handle: the io_uring
// instance and one entry's buffers per queue, nothing registered yet (fuseRingStart). Throws with
// the code of what failed (io_uring_setup: EPERM where io_uring is disabled, ENOSYS without it).
Napi::Value Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd;
  int64_t queues, payloadBytes, devBytes;
  if (!ArgFd(info, 0, "fuseRingOpen", &fd) ||
      !ArgInt(info, 1, "fuseRingOpen", "queues", 1, 4096, &queues) ||
      !ArgInt(info, 2, "fuseRingOpen", "payloadBytes", 4096, 1 << 30, &payloadBytes) ||
      !ArgInt(info, 3, "fuseRingOpen", "devBufferBytes", 8192, 1 << 30, &devBytes)) {
    return env.Undefined();
  }
  auto ring = std::make_unique<FuseRing>();
  ring->fuseFd = fd;
  ring->payloadBytes = static_cast<size_t>(payloadBytes);
  ring->devBuf.resize(static_cast<size_t>(devBytes));
  // One SQE per entry and one for the READ can be in flight; round up for the power of two.
  uint32_t sqEntries = 1;
  while (sqEntries < queues + 1) sqEntries <<= 1;
  int err = ring->Setup(sqEntries);
  if (err) {
    ThrowErrno(env, "io_uring_setup", err);
    return env.Undefined();
  }
  const size_t n = static_cast<size_t>(queues);
  ring->headersBytes = (n * sizeof(RingReqHeader) + 4095) & ~size_t{4095};
  void* h = mmap(nullptr, ring->headersBytes, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (h == MAP_FAILED) {
    ThrowErrno(env, "mmap", errno);
    return env.Undefined();
  }
  ring->headers = h;
  ring->entries.resize(n);
  for (size_t i = 0; i < n; i++) {
    void* p = mmap(nullptr, ring->payloadBytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
      ThrowErrno(env, "mmap", errno);
      return env.Undefined();
    }
    ring->payloads.push_back(p);
    Entry& e = ring->entries[i];
    e.header = static_cast<RingReqHeader*>(h) + i;
    e.payload = static_cast<uint8_t*>(p);
    e.iov[0] = {e.header, sizeof(RingReqHeader)};
    e.iov[1] = {e.payload, ring->payloadBytes};
    e.qid = static_cast<uint16_t>(i);
  }
  napi_value handle;
  FuseRing* raw = ring.release();
  if (napi_create_external(env, raw, Finalize, nullptr, &handle) != napi_ok) {
    delete raw;
    return env.Undefined();
  }
  return Napi::Value(env, handle);
}

// fuseRingStart(ring): registers every entry and starts the READ of /dev/fuse. Only after the
// INIT reply (the kernel refuses registration before INIT is done). Throws with the kernel's code
// when it refuses a registration (it then serves the connection through /dev/fuse again).
Napi::Value Start(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  FuseRing* ring = info.Length() > 0 ? RingArg(env, info[0], "fuseRingStart") : nullptr;
  if (!ring) {
    if (!env.IsExceptionPending()) ThrowType(env, "fuseRingStart", "needs (ring)");
    return env.Undefined();
  }
  if (ring->started) {
    ThrowErrno(env, "fuseRingStart", EALREADY, nullptr, "the ring is started already");
    return env.Undefined();
  }
  ring->started = true;
  for (size_t i = 0; i < ring->entries.size(); i++) ring->QueueCommand(i, kCmdRegister);
  ring->QueueDevRead();
  // A refused registration completes at once; an accepted one only when a request comes.
  int err = ring->Enter(false);
  if (err) {
    ThrowErrno(env, "io_uring_enter", err);
    return env.Undefined();
  }
  // Anything else that completed already (a request, a FORGET read) is kept for fuseRingNext.
  std::vector<struct io_uring_cqe> early;
  struct io_uring_cqe cqe;
  while (ring->PopCqe(&cqe)) {
    if (cqe.user_data != kDevRead && cqe.res < 0) {
      ThrowErrno(env, "FUSE_IO_URING_CMD_REGISTER", -cqe.res);
      return env.Undefined();
    }
    early.push_back(cqe);
  }
  ring->stash = std::move(early);
  return env.Undefined();
}

// Copies the request of entry i into buf as /dev/fuse delivers it: fuse_in_header, then the op's
// own struct (what the kernel put in op_in: the header's len minus the header and the payload),
// then the payload. A header that does not add up is passed on as it is (the session's decoder
// refuses it and answers EIO through the same entry). Returns the bytes written.
int64_t Assemble(FuseRing* ring, size_t i, uint8_t* buf, size_t cap) {
  Entry& e = ring->entries[i];
  const RingEntInOut& io = e.header->ring_ent_in_out;
  e.commitId = io.commit_id;
  uint32_t len;
  std::memcpy(&len, e.header->in_out, 4);
  size_t payload = io.payload_sz;
  if (payload > ring->payloadBytes) payload = ring->payloadBytes;
  size_t opIn = 0;
  if (len >= kInHeaderSize + payload && len - kInHeaderSize - payload <= kOpInSize)
    opIn = len - kInHeaderSize - payload;
  size_t total = kInHeaderSize + opIn + payload;
  if (total > cap) return -1;
  std::memcpy(buf, e.header->in_out, kInHeaderSize);
  std::memcpy(buf + kInHeaderSize, e.header->op_in, opIn);
  std::memcpy(buf + kInHeaderSize + opIn, e.payload, payload);
  return static_cast<int64_t>(total);
}

// The next request copied into buf (cap bytes): its length, 0 when the connection is gone, or
// nullptr with an exception pending. Submits the answer queued before in the same io_uring_enter.
napi_value NextInto(napi_env env, FuseRing* ring, uint8_t* buf, size_t cap) {
  if (!ring->started) {
    ThrowErrno(Napi::Env(env), "fuseRingNext", EPROTO, nullptr, "the ring is not started");
    return nullptr;
  }
  if (ring->current == Source::kEntry) {
    // The request was not answered (the session drops only messages it cannot even read the
    // header of): answer EIO rather than leave the entry, and its queue, stuck.
    ring->AnswerError(ring->currentEntry, EIO);
  }
  ring->current = Source::kNone;
  for (;;) {
    struct io_uring_cqe cqe;
    if (!ring->PopCqe(&cqe)) {
      int err = ring->Enter(true);
      if (err) {
        ThrowErrno(Napi::Env(env), "io_uring_enter", err);
        return nullptr;
      }
      continue;
    }
    if (cqe.user_data == kDevRead) {
      if (cqe.res > 0) {
        size_t n = static_cast<size_t>(cqe.res);
        if (n > cap) n = cap;  // cannot happen: the READ buffer is no larger than buf
        std::memcpy(buf, ring->devBuf.data(), n);
        ring->QueueDevRead();
        ring->current = Source::kDev;
        ring->devRequests++;
        return Int(env, static_cast<int64_t>(n));
      }
      int err = cqe.res == 0 ? ENODEV : -cqe.res;
      if (IsClosedErrno(err)) return Int(env, 0);
      if (err == EINTR || err == EAGAIN || err == ENOENT) {
        ring->QueueDevRead();
        continue;
      }
      ThrowErrno(Napi::Env(env), "read", err);
      return nullptr;
    }
    size_t i = static_cast<size_t>(cqe.user_data);
    if (i >= ring->entries.size()) continue;  // not ours
    if (cqe.res < 0) {
      int err = -cqe.res;
      if (IsClosedErrno(err)) return Int(env, 0);
      if (err == ENOENT) {
        // A commit whose request the kernel no longer has: the entry fetches nothing any more,
        // so it is registered again.
        ring->rearmed++;
        ring->QueueCommand(i, kCmdRegister);
        continue;
      }
      ThrowErrno(Napi::Env(env), "FUSE_IO_URING_CMD_COMMIT_AND_FETCH", err);
      return nullptr;
    }
    int64_t n = Assemble(ring, i, buf, cap);
    if (n < 0) {
      // Larger than the session's buffer (as /dev/fuse refuses such a read, the request fails).
      ring->oversized++;
      ring->AnswerError(i, EIO);
      continue;
    }
    ring->current = Source::kEntry;
    ring->currentEntry = i;
    ring->ringRequests++;
    return Int(env, n);
  }
}

// fuseRingNext(ring, buf) -> length of the next request copied into buf, or 0 when the connection
// is gone. Submits the answer queued by fuseRingReply first: one io_uring_enter for both.
napi_value Next(napi_env env, napi_callback_info info) {
  napi_value arg;
  FuseRing* ring = RingCall(env, info, "fuseRingNext", "needs (ring, buf)", &arg);
  uint8_t* buf;
  size_t cap;
  if (!ring || !BytesOf(env, arg, "fuseRingNext", &buf, &cap)) return nullptr;
  return NextInto(env, ring, buf, cap);
}

// Answers the current request with the iovecs: into its ring entry, its COMMIT_AND_FETCH queued,
// or written to /dev/fuse for a request from there. Returns the answer's bytes, or -1 with an
// exception pending (syscall "writev" or "fuseRingReply").
int64_t Answer(napi_env env, FuseRing* ring, const struct iovec* iov, uint32_t count) {
  size_t total = 0;
  for (uint32_t k = 0; k < count; k++) total += iov[k].iov_len;
  if (ring->current == Source::kDev) {
    ring->current = Source::kNone;
    ssize_t n;
    do {
      n = writev(ring->fuseFd, iov, static_cast<int>(count));
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
      ThrowErrno(Napi::Env(env), "writev", errno);
      return -1;
    }
    return n;
  }
  if (ring->current != Source::kEntry) {
    ThrowErrno(Napi::Env(env), "fuseRingReply", EPROTO, nullptr, "no request to answer");
    return -1;
  }
  ring->current = Source::kNone;
  Entry& e = ring->entries[ring->currentEntry];
  bool fits = total >= kOutHeaderSize && total - kOutHeaderSize <= ring->payloadBytes;
  if (fits) {
    // Header into in_out, the rest into the payload buffer, in order.
    size_t at = 0;
    for (uint32_t k = 0; k < count; k++) {
      const uint8_t* src = static_cast<const uint8_t*>(iov[k].iov_base);
      size_t len = iov[k].iov_len;
      while (len > 0) {
        size_t n;
        if (at < kOutHeaderSize) {
          n = std::min(len, kOutHeaderSize - at);
          std::memcpy(e.header->in_out + at, src, n);
        } else {
          n = len;
          std::memcpy(e.payload + (at - kOutHeaderSize), src, n);
        }
        src += n;
        len -= n;
        at += n;
      }
    }
    e.header->ring_ent_in_out.payload_sz = static_cast<uint32_t>(total - kOutHeaderSize);
    ring->QueueCommand(ring->currentEntry, kCmdCommitAndFetch);
  } else {
    ring->AnswerError(ring->currentEntry, EIO);
  }
  if (!fits) {
    ThrowErrno(Napi::Env(env), "fuseRingReply", EMSGSIZE, nullptr,
               "answer of " + std::to_string(total) + " bytes does not fit the ring entry");
    return -1;
  }
  return static_cast<int64_t>(total);
}

// fuseRingReply(ring, bufs) -> bytes of the answer. For a ring request the answer is copied into
// its entry and its COMMIT_AND_FETCH queued (fuseRingNext submits it); for a /dev/fuse request it
// is written to the fd at once. An answer larger than the entry's payload buffer is replaced by
// EIO (the entry must be committed, or its queue stalls) and reported with EMSGSIZE.
napi_value Reply(napi_env env, napi_callback_info info) {
  napi_value bufs;
  FuseRing* ring = RingCall(env, info, "fuseRingReply", "needs (ring, bufs)", &bufs);
  if (!ring) return nullptr;
  uint32_t count = 0;
  if (napi_get_array_length(env, bufs, &count) != napi_ok || count == 0 || count > 64) {
    ThrowType(Napi::Env(env), "fuseRingReply", "bufs must be an array of 1 to 64 Buffers");
    return nullptr;
  }
  struct iovec iov[64];
  for (uint32_t k = 0; k < count; k++) {
    napi_value item;
    uint8_t* data;
    size_t len;
    if (napi_get_element(env, bufs, k, &item) != napi_ok ||
        !BytesOf(env, item, "fuseRingReply", &data, &len)) {
      return nullptr;
    }
    iov[k] = {data, len};
  }
  int64_t total = Answer(env, ring, iov, count);
  return total < 0 ? nullptr : Int(env, total);
}

// The most answer buffers fuseRingExchange takes (its arguments after ring and buf).
constexpr size_t kExchangeBuffers = 8;

// fuseRingExchange(ring, buf, b0[, ... b7]) -> fuseRingReply(ring, [b0, ...]) then
// fuseRingNext(ring, buf), in one call; the buffers come as arguments (no array to read through
// Node-API). A refused answer throws as fuseRingReply does and nothing is read.
napi_value Exchange(napi_env env, napi_callback_info info) {
  size_t argc = 2 + kExchangeBuffers;
  napi_value argv[2 + kExchangeBuffers];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok) return nullptr;
  if (argc < 3 || argc > 2 + kExchangeBuffers) {
    ThrowType(Napi::Env(env), "fuseRingExchange", "needs (ring, buf, 1 to 8 Buffers)");
    return nullptr;
  }
  FuseRing* ring = RingArg(env, argv[0], "fuseRingExchange");
  uint8_t* buf;
  size_t cap;
  if (!ring || !BytesOf(env, argv[1], "fuseRingExchange", &buf, &cap)) return nullptr;
  struct iovec iov[kExchangeBuffers];
  uint32_t count = static_cast<uint32_t>(argc - 2);
  for (uint32_t k = 0; k < count; k++) {
    uint8_t* data;
    size_t len;
    if (!BytesOf(env, argv[2 + k], "fuseRingExchange", &data, &len)) return nullptr;
    iov[k] = {data, len};
  }
  if (Answer(env, ring, iov, count) < 0) return nullptr;
  return NextInto(env, ring, buf, cap);
}

// fuseRingCounts(ring) -> { ringRequests, devRequests, rearmed, oversized }.
Napi::Value Counts(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  FuseRing* ring = info.Length() > 0 ? RingArg(env, info[0], "fuseRingCounts") : nullptr;
  if (!ring) {
    if (!env.IsExceptionPending()) ThrowType(env, "fuseRingCounts", "needs (ring)");
    return env.Undefined();
  }
  Napi::Object o = Napi::Object::New(env);
  o.Set("ringRequests", ring->ringRequests);
  o.Set("devRequests", ring->devRequests);
  o.Set("rearmed", ring->rearmed);
  o.Set("oversized", ring->oversized);
  return o;
}

// fuseRingClose(ring): closes the ring (the kernel cancels its commands) and frees the buffers.
// Idempotent; the handle's finalizer does the same.
Napi::Value Close(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  void* p = nullptr;
  if (info.Length() < 1 || !info[0].IsExternal() ||
      napi_get_value_external(env, info[0], &p) != napi_ok || p == nullptr) {
    ThrowType(env, "fuseRingClose", "ring must be a handle from fuseRingOpen");
    return env.Undefined();
  }
  static_cast<FuseRing*>(p)->Release();
  return env.Undefined();
}

}  // namespace

void InitFuseRing(Napi::Env env, Napi::Object exports) {
  exports.Set("fuseRingOpen", Napi::Function::New(env, Open, "fuseRingOpen"));
  exports.Set("fuseRingStart", Napi::Function::New(env, Start, "fuseRingStart"));
  exports.Set("fuseRingCounts", Napi::Function::New(env, Counts, "fuseRingCounts"));
  exports.Set("fuseRingClose", Napi::Function::New(env, Close, "fuseRingClose"));
  napi_value fn;
  napi_create_function(env, "fuseRingNext", NAPI_AUTO_LENGTH, Next, nullptr, &fn);
  exports.Set("fuseRingNext", fn);
  napi_create_function(env, "fuseRingReply", NAPI_AUTO_LENGTH, Reply, nullptr, &fn);
  exports.Set("fuseRingReply", fn);
  napi_create_function(env, "fuseRingExchange", NAPI_AUTO_LENGTH, Exchange, nullptr, &fn);
  exports.Set("fuseRingExchange", fn);
}

}  // namespace famfs
