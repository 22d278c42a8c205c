#include "sys/unixsock.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "sys/fd.h"

namespace osipc {
namespace sys {

namespace {

int FillAddress(const char* name, size_t len, struct sockaddr_un* addr, socklen_t* addrlen) {
  memset(addr, 0, sizeof *addr);
  addr->sun_family = AF_UNIX;
  const bool abstract = len > 0 && name[0] == '\0';
  // A path needs room for its terminating NUL; an abstract name does not.
  if (len == 0 || len > sizeof addr->sun_path - (abstract ? 0 : 1)) return -ENAMETOOLONG;
  memcpy(addr->sun_path, name, len);
  *addrlen = static_cast<socklen_t>(offsetof(struct sockaddr_un, sun_path) + len +
                                    (abstract ? 0 : 1));
  return 0;
}

int NewSocket() {
#ifdef SOCK_CLOEXEC
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  return fd < 0 ? -errno : fd;
#else
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0) return -errno;
  int err = SetCloseOnExec(fd, true);
  if (err == 0) err = SetNonBlocking(fd, true);
  if (err < 0) {
    close(fd);
    return err;
  }
#ifdef SO_NOSIGPIPE
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
#endif
  return fd;
#endif
}

}  // namespace

int UnixListen(const char* name, size_t len, int backlog) {
  struct sockaddr_un addr;
  socklen_t addrlen;
  int err = FillAddress(name, len, &addr, &addrlen);
  if (err < 0) return err;
  int fd = NewSocket();
  if (fd < 0) return fd;
  if (bind(fd, reinterpret_cast<struct sockaddr*>(&addr), addrlen) < 0 ||
      listen(fd, backlog) < 0) {
    err = -errno;
    close(fd);
    return err;
  }
  return fd;
}

int UnixAccept(int listen_fd) {
  int fd;
#ifdef __linux__
  do fd = accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) return errno == EWOULDBLOCK ? -EAGAIN : -errno;
  return fd;
#else
  do fd = accept(listen_fd, nullptr, nullptr);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) return errno == EWOULDBLOCK ? -EAGAIN : -errno;
  int err = SetCloseOnExec(fd, true);
  if (err == 0) err = SetNonBlocking(fd, true);
  if (err < 0) {
    close(fd);
    return err;
  }
#ifdef SO_NOSIGPIPE
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
#endif
  return fd;
#endif
}

int UnixConnect(const char* name, size_t len, int* out) {
  struct sockaddr_un addr;
  socklen_t addrlen;
  int err = FillAddress(name, len, &addr, &addrlen);
  if (err < 0) return err;
  int fd = NewSocket();
  if (fd < 0) return fd;
  int rc;
  do rc = connect(fd, reinterpret_cast<struct sockaddr*>(&addr), addrlen);
  while (rc < 0 && errno == EINTR);
  if (rc == 0) {
    *out = fd;
    return 0;
  }
  if (errno == EINPROGRESS) {
    *out = fd;
    return 1;
  }
  err = errno == EWOULDBLOCK ? -EAGAIN : -errno;
  close(fd);
  return err;
}

int SocketError(int fd) {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) return -errno;
  return -err;
}

}  // namespace sys
}  // namespace osipc
