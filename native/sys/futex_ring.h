// Futex waits on an io_uring (IORING_OP_FUTEX_WAIT, Linux >= 6.7). The kernel
// posts a completion when the word is woken and the ring's fd turns readable,
// so the event loop itself wakes up: one hop, where a wait on a thread of the
// wait service takes two (the futex wakes the thread, the thread wakes the
// loop). Wakers need nothing new: a plain FUTEX_WAKE from any process (C
// peers included) completes these waits. Elsewhere Open() says -ENOSYS and
// callers use the wait service.
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

namespace osipc {
namespace sys {

class FutexRing {
 public:
  FutexRing() = default;
  FutexRing(const FutexRing&) = delete;
  FutexRing& operator=(const FutexRing&) = delete;
  ~FutexRing() { Close(); }

  // Sets the ring up (close-on-exec). 0, or -errno: -ENOSYS where io_uring or
  // its futex wait is missing, -EPERM where it is forbidden, -EINVAL where
  // the kernel refuses the setup flags.
  int Open();
  int fd() const { return fd_; }

  // Arms a wait while *addr == expected; its completion carries `id` (> 0)
  // with 0 (woken, maybe spuriously), -EAGAIN (the word differed) or
  // -ECANCELED (Cancel). Returns 0 or -errno.
  int Wait(uint32_t* addr, uint32_t expected, uint64_t id);
  // Cancels the wait `id` if it is still armed. Returns 0 or -errno.
  int Cancel(uint64_t id);
  // Moves up to `max` completions of waits out of the ring; returns how many.
  int Reap(uint64_t* ids, int32_t* results, int max);
  void Close();

 private:
  int Submit(uint8_t opcode, uint32_t* addr, uint64_t value, uint64_t id);
  int Map(void** out, size_t size, off_t offset);  // 0 or -errno

  int fd_ = -1;
  void* rings_ = nullptr;  // the SQ and CQ rings, one mapping
  size_t rings_size_ = 0;
  void* sqes_ = nullptr;
  size_t sqes_size_ = 0;
  uint32_t* sq_head_ = nullptr;
  uint32_t* sq_tail_ = nullptr;
  uint32_t sq_mask_ = 0;
  uint32_t* sq_array_ = nullptr;
  uint32_t* sq_flags_ = nullptr;
  uint32_t* cq_head_ = nullptr;
  uint32_t* cq_tail_ = nullptr;
  uint32_t cq_mask_ = 0;
  void* cqes_ = nullptr;
};

// Completions a ring holds before the kernel must keep them aside; callers
// keep fewer waits than this in flight.
constexpr int kFutexRingCompletions = 4096;

}  // namespace sys
}  // namespace osipc
