// One absolute CLOCK_MONOTONIC deadline for the message-queue waits, so that
// retries after EINTR or a lost race never stretch the caller's timeout.
#pragma once
#include <math.h>
#include <time.h>

namespace osipc {
namespace sys {

struct MsgDeadline {
  bool forever;
  struct timespec at;

  // timeoutMs < 0 (or infinite) waits for ever.
  explicit MsgDeadline(double timeoutMs) : forever(timeoutMs < 0 || isinf(timeoutMs)), at{} {
    if (forever) return;
    clock_gettime(CLOCK_MONOTONIC, &at);
    double whole = floor(timeoutMs / 1000);
    at.tv_sec += static_cast<time_t>(whole);
    at.tv_nsec += static_cast<long>((timeoutMs - whole * 1000) * 1e6);
    if (at.tv_nsec >= 1000000000L) {
      at.tv_sec += 1;
      at.tv_nsec -= 1000000000L;
    }
  }

  // Nanoseconds left (0 once passed); meaningless when forever.
  long long RemainingNs() const {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long long left = (static_cast<long long>(at.tv_sec) - now.tv_sec) * 1000000000LL +
                     (at.tv_nsec - now.tv_nsec);
    return left > 0 ? left : 0;
  }
};

inline struct timespec NsToTimespec(long long ns) {
  struct timespec ts;
  ts.tv_sec = static_cast<time_t>(ns / 1000000000LL);
  ts.tv_nsec = static_cast<long>(ns % 1000000000LL);
  return ts;
}

}  // namespace sys
}  // namespace osipc
