#include "sys/fdio.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

namespace osipc {
namespace sys {

ssize_t WriteV(int fd, const struct iovec* iov, int iovcnt) {
  ssize_t n;
  do n = writev(fd, iov, iovcnt);
  while (n < 0 && errno == EINTR);
  if (n < 0) return errno == EWOULDBLOCK ? -EAGAIN : -errno;
  return n;
}

ssize_t ReadV(int fd, const struct iovec* iov, int iovcnt) {
  ssize_t n;
  do n = readv(fd, iov, iovcnt);
  while (n < 0 && errno == EINTR);
  if (n < 0) return errno == EWOULDBLOCK ? -EAGAIN : -errno;
  return n;
}

static double NowMs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int PollFd(int fd, int events, double timeout_ms) {
  const bool forever = timeout_ms < 0 || isinf(timeout_ms);
  const double deadline = forever ? 0 : NowMs() + timeout_ms;
  for (;;) {
    int wait = -1;
    if (!forever) {
      double left = deadline - NowMs();
      if (left < 0) left = 0;
      // Round up so a short remainder still sleeps instead of spinning.
      wait = left > 2e9 ? 2000000000 : static_cast<int>(ceil(left));
    }
    struct pollfd p = {fd, static_cast<short>(events), 0};
    int n = poll(&p, 1, wait);
    if (n > 0) return p.revents;
    if (n == 0) {
      if (!forever && NowMs() >= deadline) return 0;
      continue;  // woke early (rounding): wait for the rest
    }
    if (errno != EINTR) return -errno;
  }
}

int DupCloseOnExec(int fd) {
  int r = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  return r < 0 ? -errno : r;
}

int SetPipeSize(int fd, int size) {
#ifdef F_SETPIPE_SZ
  int r = fcntl(fd, F_SETPIPE_SZ, size);
  return r < 0 ? -errno : r;
#else
  return -ENOSYS;
#endif
}

int BytesReadable(int fd) {
  int n = 0;
  if (ioctl(fd, FIONREAD, &n) < 0) return -errno;
  return n;
}

}  // namespace sys
}  // namespace osipc
