#include "sys/semaphore.h"

#include <errno.h>
#include <fcntl.h>
#include <time.h>

namespace osipc {
namespace sys {

namespace {
int64_t Now(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}
}  // namespace

int SemOpen(const char* name, bool create, unsigned mode, unsigned value, sem_t** out) {
  sem_t* s;
  do {
    s = create ? sem_open(name, O_CREAT | O_EXCL, static_cast<mode_t>(mode), value) : sem_open(name, 0);
  } while (s == SEM_FAILED && errno == EINTR);
  if (s == SEM_FAILED) return -errno;
  *out = s;
  return 0;
}

int SemClose(sem_t* sem) { return sem_close(sem) == 0 ? 0 : -errno; }

int SemUnlink(const char* name) { return sem_unlink(name) == 0 ? 0 : -errno; }

int SemPost(sem_t* sem) { return sem_post(sem) == 0 ? 0 : -errno; }

int SemTryWait(sem_t* sem) {
  for (;;) {
    if (sem_trywait(sem) == 0) return 0;
    if (errno != EINTR) return -errno;
  }
}

int SemWaitUntil(sem_t* sem, int64_t deadline_ns) {
  if (deadline_ns < 0) {
    for (;;) {
      if (sem_wait(sem) == 0) return 0;
      if (errno != EINTR) return -errno;
    }
  }
#if defined(__APPLE__)
  for (;;) {
    int r = SemTryWait(sem);
    if (r != -EAGAIN) return r;
    if (Now(CLOCK_MONOTONIC) >= deadline_ns) return -ETIMEDOUT;
    struct timespec ms = {0, 1000000};
    nanosleep(&ms, nullptr);
  }
#else
  for (;;) {
    int64_t left = deadline_ns - Now(CLOCK_MONOTONIC);
    if (left <= 0) {
      int r = SemTryWait(sem);
      return r == -EAGAIN ? -ETIMEDOUT : r;
    }
    // sem_timedwait takes a CLOCK_REALTIME instant: convert the remaining
    // time each round (a clock step shortens or stretches one round only).
    int64_t at = Now(CLOCK_REALTIME) + left;
    struct timespec ts = {static_cast<time_t>(at / 1000000000LL), static_cast<long>(at % 1000000000LL)};
    if (sem_timedwait(sem, &ts) == 0) return 0;
    if (errno == EINTR) continue;
    if (errno == ETIMEDOUT) continue;  // re-checked against the monotonic deadline
    return -errno;
  }
#endif
}

int SemGetValue(sem_t* sem, int* value) {
#if defined(__APPLE__)
  (void)sem;
  (void)value;
  return -ENOSYS;
#else
  return sem_getvalue(sem, value) == 0 ? 0 : -errno;
#endif
}

}  // namespace sys
}  // namespace osipc
