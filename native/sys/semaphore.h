// POSIX named semaphores (sem_open), shared by name with any process: C
// (sem_open), Python (posix_ipc), osipc. Linux keeps them as /dev/shm/sem.<name>.
#pragma once
#include <semaphore.h>
#include <stdint.h>

namespace osipc {
namespace sys {

// Opens `name`; with `create`, makes it (O_CREAT|O_EXCL) with `mode` and
// `value`. Returns 0 and sets *out, or -errno.
int SemOpen(const char* name, bool create, unsigned mode, unsigned value, sem_t** out);
int SemClose(sem_t* sem);
int SemUnlink(const char* name);
int SemPost(sem_t* sem);
// 0 when taken, -EAGAIN when the value is 0, or -errno.
int SemTryWait(sem_t* sem);
// Waits until taken (0) or the CLOCK_MONOTONIC deadline `deadline_ns` passes
// (-ETIMEDOUT); deadline_ns < 0 waits without limit. EINTR is retried.
// macOS has no sem_timedwait: sem_trywait and 1 ms sleeps.
int SemWaitUntil(sem_t* sem, int64_t deadline_ns);
// The value (Linux), or -ENOSYS (macOS).
int SemGetValue(sem_t* sem, int* value);

}  // namespace sys
}  // namespace osipc
