// Sleeping and waking on a 32-bit word in shared memory, across processes.
// Linux: futex(2) without FUTEX_PRIVATE_FLAG (the word may be mapped by other
// processes). macOS: __ulock_wait/__ulock_wake with the shared flag (the same
// mechanism libc++ uses; untested in CI). Elsewhere: -ENOSYS.
#pragma once
#include <stdint.h>

namespace osipc {
namespace sys {

// Sleeps while *addr == expected, for at most timeout_ns (< 0: no limit).
// Returns 0 when woken (possibly spuriously), -EAGAIN when *addr != expected,
// -ETIMEDOUT, -EINTR, or another -errno.
int FutexWait(uint32_t* addr, uint32_t expected, int64_t timeout_ns);
// Wakes up to `count` sleepers; returns how many were woken or -errno.
int FutexWake(uint32_t* addr, int count);

}  // namespace sys
}  // namespace osipc
