#include "sys/futex_ring.h"

#include <errno.h>

#if defined(__linux__) && __has_include(<linux/io_uring.h>)
#include <linux/io_uring.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#define OSIPC_HAVE_URING 1
#endif

namespace osipc {
namespace sys {

#ifdef OSIPC_HAVE_URING

namespace {

// From Linux 6.7's uapi, spelled out so that older kernel headers build.
constexpr uint8_t kOpFutexWait = 51;     // IORING_OP_FUTEX_WAIT
constexpr uint8_t kOpAsyncCancel = 14;   // IORING_OP_ASYNC_CANCEL
constexpr uint32_t kFutex2SizeU32 = 2;   // FUTEX2_SIZE_U32; not FUTEX2_PRIVATE: the word is shared
constexpr uint64_t kMatchAnyBitset = 0xffffffffu;  // FUTEX_BITSET_MATCH_ANY
constexpr size_t kSqeAddr3 = 48;         // offsetof(io_uring_sqe, addr3)
constexpr unsigned kSqEntries = 8;
constexpr uint32_t kSetupCoopTaskrun = 1U << 8;   // IORING_SETUP_COOP_TASKRUN (5.19)
constexpr uint32_t kSetupTaskrunFlag = 1U << 9;   // IORING_SETUP_TASKRUN_FLAG (5.19)       // each wait is submitted at once: the queue stays near empty

static_assert(sizeof(io_uring_sqe) == 64, "unexpected io_uring_sqe layout");
static_assert(sizeof(io_uring_cqe) == 16, "unexpected io_uring_cqe layout");

int Enter(int fd, unsigned submit) {
  for (;;) {
    long r = syscall(__NR_io_uring_enter, fd, submit, 0, 0, nullptr, 0);
    if (r >= 0) return static_cast<int>(r);
    if (errno != EINTR) return -errno;
  }
}

uint32_t* At(void* base, uint32_t off) {
  return reinterpret_cast<uint32_t*>(static_cast<char*>(base) + off);
}

}  // namespace

int FutexRing::Open() {
  if (fd_ >= 0) return 0;
  io_uring_params p;
  memset(&p, 0, sizeof p);
  // COOP_TASKRUN: a wake-up posts its completion when this thread next enters
  // the kernel (it is woken if it sleeps) instead of interrupting it; measured
  // here, a ping-pong on one CPU goes from 31 to 22 us. (DEFER_TASKRUN does
  // not turn the fd readable by itself: the loop would never wake.)
  p.flags = IORING_SETUP_CQSIZE | kSetupCoopTaskrun | kSetupTaskrunFlag;
  p.cq_entries = kFutexRingCompletions;
  long fd = syscall(__NR_io_uring_setup, kSqEntries, &p);
  // The real reason (EPERM: io_uring_disabled or a seccomp filter) for osipc doctor to show.
  if (fd < 0) return -errno;
  fd_ = static_cast<int>(fd);

  // Is the futex wait there? (Kernels before 6.7 have io_uring without it.)
  size_t probe_size = sizeof(io_uring_probe) + 256 * sizeof(io_uring_probe_op);
  auto* probe = static_cast<io_uring_probe*>(calloc(1, probe_size));
  if (probe == nullptr) {
    Close();
    return -ENOMEM;
  }
  long pr = syscall(__NR_io_uring_register, fd_, IORING_REGISTER_PROBE, probe, 256);
  bool supported = pr >= 0 && probe->last_op >= kOpFutexWait &&
                   (probe->ops[kOpFutexWait].flags & IO_URING_OP_SUPPORTED) != 0 &&
                   (probe->ops[kOpAsyncCancel].flags & IO_URING_OP_SUPPORTED) != 0;
  free(probe);
  if (!supported || (p.features & IORING_FEAT_SINGLE_MMAP) == 0 || (p.features & IORING_FEAT_NODROP) == 0) {
    Close();
    return -ENOSYS;
  }

  // One mapping holds both rings (IORING_FEAT_SINGLE_MMAP); the SQEs have their own.
  size_t sq_bytes = p.sq_off.array + p.sq_entries * sizeof(uint32_t);
  size_t cq_bytes = p.cq_off.cqes + p.cq_entries * sizeof(io_uring_cqe);
  rings_size_ = sq_bytes > cq_bytes ? sq_bytes : cq_bytes;
  sqes_size_ = p.sq_entries * sizeof(io_uring_sqe);
  int err = Map(&rings_, rings_size_, IORING_OFF_SQ_RING);
  if (err == 0) err = Map(&sqes_, sqes_size_, IORING_OFF_SQES);
  if (err != 0) {
    Close();
    return err;
  }
  sq_head_ = At(rings_, p.sq_off.head);
  sq_tail_ = At(rings_, p.sq_off.tail);
  sq_mask_ = *At(rings_, p.sq_off.ring_mask);
  sq_array_ = At(rings_, p.sq_off.array);
  sq_flags_ = At(rings_, p.sq_off.flags);
  cq_head_ = At(rings_, p.cq_off.head);
  cq_tail_ = At(rings_, p.cq_off.tail);
  cq_mask_ = *At(rings_, p.cq_off.ring_mask);
  cqes_ = static_cast<char*>(rings_) + p.cq_off.cqes;
  return 0;
}

int FutexRing::Map(void** out, size_t size, off_t offset) {
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd_, offset);
  if (p == MAP_FAILED) return -errno;
  *out = p;
  return 0;
}

int FutexRing::Submit(uint8_t opcode, uint32_t* addr, uint64_t value, uint64_t id) {
  if (fd_ < 0) return -EBADF;
  uint32_t tail = *sq_tail_;
  uint32_t head = __atomic_load_n(sq_head_, __ATOMIC_ACQUIRE);
  if (tail - head > sq_mask_) return -EBUSY;  // cannot happen: each entry is submitted at once
  uint32_t index = tail & sq_mask_;
  auto* sqe = static_cast<io_uring_sqe*>(sqes_) + index;
  memset(sqe, 0, sizeof *sqe);
  sqe->opcode = opcode;
  sqe->addr = reinterpret_cast<uint64_t>(addr);
  sqe->user_data = id;
  if (opcode == kOpFutexWait) {
    sqe->fd = static_cast<int32_t>(kFutex2SizeU32);
    sqe->off = value;  // addr2: the expected value
    memcpy(reinterpret_cast<char*>(sqe) + kSqeAddr3, &kMatchAnyBitset, sizeof kMatchAnyBitset);
  } else {
    sqe->addr = value;  // ASYNC_CANCEL: the user_data of the wait to cancel
  }
  sq_array_[index] = index;
  __atomic_store_n(sq_tail_, tail + 1, __ATOMIC_RELEASE);
  int r = Enter(fd_, 1);
  if (r == 1) return 0;
  // Not taken: withdraw it, so that a later call does not submit it by surprise.
  __atomic_store_n(sq_tail_, tail, __ATOMIC_RELEASE);
  return r < 0 ? r : -EAGAIN;
}

int FutexRing::Wait(uint32_t* addr, uint32_t expected, uint64_t id) {
  return Submit(kOpFutexWait, addr, expected, id);
}

// The cancel's own completion carries id 0; Reap() drops it.
int FutexRing::Cancel(uint64_t id) { return Submit(kOpAsyncCancel, nullptr, id, 0); }

int FutexRing::Reap(uint64_t* ids, int32_t* results, int max) {
  if (fd_ < 0) return 0;
  uint32_t head = *cq_head_;
  uint32_t tail = __atomic_load_n(cq_tail_, __ATOMIC_ACQUIRE);
  int n = 0;
  while (head != tail && n < max) {
    const auto* cqe = static_cast<const io_uring_cqe*>(cqes_) + (head & cq_mask_);
    head++;
    if (cqe->user_data == 0) continue;
    ids[n] = cqe->user_data;
    results[n] = cqe->res;
    n++;
  }
  __atomic_store_n(cq_head_, head, __ATOMIC_RELEASE);
  // Completions the kernel kept aside while the ring was full come back when
  // it is entered for events.
  if (head == tail && (__atomic_load_n(sq_flags_, __ATOMIC_ACQUIRE) & IORING_SQ_CQ_OVERFLOW) != 0) {
    syscall(__NR_io_uring_enter, fd_, 0, 0, IORING_ENTER_GETEVENTS, nullptr, 0);
  }
  return n;
}

void FutexRing::Close() {
  if (sqes_ != nullptr) munmap(sqes_, sqes_size_);
  if (rings_ != nullptr) munmap(rings_, rings_size_);
  sqes_ = rings_ = nullptr;
  if (fd_ >= 0) close(fd_);  // the kernel cancels whatever is still armed
  fd_ = -1;
}

#else

int FutexRing::Open() { return -ENOSYS; }
int FutexRing::Wait(uint32_t*, uint32_t, uint64_t) { return -ENOSYS; }
int FutexRing::Cancel(uint64_t) { return -ENOSYS; }
int FutexRing::Reap(uint64_t*, int32_t*, int) { return 0; }
void FutexRing::Close() {}

#endif

}  // namespace sys
}  // namespace osipc
