#include "sys/futex.h"

#include <errno.h>
#include <limits.h>

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#elif defined(__APPLE__)
extern "C" int __ulock_wait(uint32_t operation, void* addr, uint64_t value, uint32_t timeout_us);
extern "C" int __ulock_wake(uint32_t operation, void* addr, uint64_t wake_value);
#define OSIPC_UL_COMPARE_AND_WAIT_SHARED 3
#define OSIPC_ULF_WAKE_ALL 0x00000100
#define OSIPC_ULF_NO_ERRNO 0x01000000
#endif

namespace osipc {
namespace sys {

#if defined(__linux__)

int FutexWait(uint32_t* addr, uint32_t expected, int64_t timeout_ns) {
  struct timespec ts;
  struct timespec* tsp = nullptr;
  if (timeout_ns >= 0) {
    ts.tv_sec = timeout_ns / 1000000000LL;
    ts.tv_nsec = timeout_ns % 1000000000LL;
    tsp = &ts;
  }
  // Relative timeout; callers loop against their own absolute deadline.
  long r = syscall(SYS_futex, addr, FUTEX_WAIT, expected, tsp, nullptr, 0);
  if (r == 0) return 0;
  int err = errno;
  if (err == EWOULDBLOCK) return -EAGAIN;
  return -err;
}

int FutexWake(uint32_t* addr, int count) {
  long r = syscall(SYS_futex, addr, FUTEX_WAKE, count, nullptr, nullptr, 0);
  return r < 0 ? -errno : static_cast<int>(r);
}

#elif defined(__APPLE__)

int FutexWait(uint32_t* addr, uint32_t expected, int64_t timeout_ns) {
  if (__atomic_load_n(addr, __ATOMIC_SEQ_CST) != expected) return -EAGAIN;
  uint32_t timeout_us = 0;  // 0 means no limit for __ulock_wait.
  if (timeout_ns >= 0) {
    int64_t us = (timeout_ns + 999) / 1000;
    timeout_us = us <= 0 ? 1 : (us > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(us));
  }
  int r = __ulock_wait(OSIPC_UL_COMPARE_AND_WAIT_SHARED | OSIPC_ULF_NO_ERRNO, addr, expected,
                       timeout_us);
  if (r >= 0) return 0;
  return r;  // -ETIMEDOUT, -EINTR, -EFAULT
}

int FutexWake(uint32_t* addr, int count) {
  uint32_t op = OSIPC_UL_COMPARE_AND_WAIT_SHARED | OSIPC_ULF_NO_ERRNO;
  if (count > 1) op |= OSIPC_ULF_WAKE_ALL;
  int r = __ulock_wake(op, addr, 0);
  if (r == -ENOENT) return 0;  // nobody was waiting
  return r < 0 ? r : 1;
}

#else

int FutexWait(uint32_t*, uint32_t, int64_t) { return -ENOSYS; }
int FutexWake(uint32_t*, int) { return -ENOSYS; }

#endif

}  // namespace sys
}  // namespace osipc
