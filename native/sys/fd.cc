#include "sys/fd.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace osipc {
namespace sys {

int SetNonBlocking(int fd, bool on) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0) return -errno;
  int next = on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
  if (next != flags && fcntl(fd, F_SETFL, next) < 0) return -errno;
  return 0;
}

int SetCloseOnExec(int fd, bool on) {
  int flags = fcntl(fd, F_GETFD);
  if (flags < 0) return -errno;
  int next = on ? (flags | FD_CLOEXEC) : (flags & ~FD_CLOEXEC);
  if (next != flags && fcntl(fd, F_SETFD, next) < 0) return -errno;
  return 0;
}

int MakePipe(int fds[2], bool nonblocking) {
#ifdef __linux__
  if (pipe2(fds, O_CLOEXEC | (nonblocking ? O_NONBLOCK : 0)) < 0) return -errno;
  return 0;
#else
  // macOS has no pipe2; nothing else forks in this process between the calls
  // except other threads' exec, which the addon never does.
  if (pipe(fds) < 0) return -errno;
  for (int i = 0; i < 2; i++) {
    int err = SetCloseOnExec(fds[i], true);
    if (err == 0 && nonblocking) err = SetNonBlocking(fds[i], true);
    if (err < 0) {
      close(fds[0]);
      close(fds[1]);
      return err;
    }
  }
  return 0;
#endif
}

int MakeSocketPair(int fds[2], bool nonblocking) {
#ifdef SOCK_CLOEXEC
  int type = SOCK_STREAM | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0);
  if (socketpair(AF_UNIX, type, 0, fds) < 0) return -errno;
  return 0;
#else
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) < 0) return -errno;
  for (int i = 0; i < 2; i++) {
    int err = SetCloseOnExec(fds[i], true);
    if (err == 0 && nonblocking) err = SetNonBlocking(fds[i], true);
    if (err < 0) {
      close(fds[0]);
      close(fds[1]);
      return err;
    }
  }
#ifdef SO_NOSIGPIPE
  int one = 1;
  setsockopt(fds[0], SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
  setsockopt(fds[1], SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
#endif
  return 0;
#endif
}

ssize_t ReadSome(int fd, void* buf, size_t len) {
  ssize_t n;
  do n = read(fd, buf, len);
  while (n < 0 && errno == EINTR);
  return n < 0 ? -errno : n;
}

ssize_t WriteSome(int fd, const void* buf, size_t len) {
  ssize_t n;
  // Node ignores SIGPIPE, so a write with no reader returns EPIPE.
  do n = write(fd, buf, len);
  while (n < 0 && errno == EINTR);
  return n < 0 ? -errno : n;
}

int Close(int fd) {
  // Never retried: on Linux the fd is released even when close reports EINTR.
  if (close(fd) < 0 && errno != EINTR) return -errno;
  return 0;
}

}  // namespace sys
}  // namespace osipc
