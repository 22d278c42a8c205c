#include "sys/liveness.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

namespace osipc {
namespace sys {

#if defined(__linux__)

int64_t ProcessStartTime(int pid) {
  if (pid <= 0) return -ESRCH;
  char path[40];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  int fd;
  do {
    fd = open(path, O_RDONLY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return errno == ENOENT ? -ESRCH : -errno;
  char buf[1024];
  ssize_t n;
  do {
    n = read(fd, buf, sizeof buf - 1);
  } while (n < 0 && errno == EINTR);
  int err = errno;
  close(fd);
  if (n < 0) return err == ESRCH ? -ESRCH : -err;  // the process went away while we read
  buf[n] = '\0';
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so
  // fields are counted from the last ')'.
  char* p = strrchr(buf, ')');
  if (p == nullptr || p[1] != ' ') return -EIO;
  p += 2;
  char state = *p;
  if (state == 'Z' || state == 'X' || state == 'x') return -ESRCH;
  // Field 3 is the state; the start time is field 22.
  for (int field = 3; field < 22; field++) {
    p = strchr(p, ' ');
    if (p == nullptr) return -EIO;
    p++;
  }
  char* end;
  unsigned long long ticks = strtoull(p, &end, 10);
  if (end == p) return -EIO;
  return static_cast<int64_t>(ticks);
}

#else

int64_t ProcessStartTime(int pid) {
  if (pid <= 0) return -ESRCH;
  if (kill(pid, 0) == 0 || errno == EPERM) return 0;
  return -errno;
}

#endif

}  // namespace sys
}  // namespace osipc
