#include "sys/fdpass.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

namespace osipc {
namespace sys {

namespace {
#ifdef MSG_NOSIGNAL
constexpr int kSendFlags = MSG_DONTWAIT | MSG_NOSIGNAL;
#else
constexpr int kSendFlags = MSG_DONTWAIT;  // macOS: SO_NOSIGPIPE on the socket
#endif
#ifdef MSG_CMSG_CLOEXEC
constexpr int kRecvFlags = MSG_DONTWAIT | MSG_CMSG_CLOEXEC;
#else
constexpr int kRecvFlags = MSG_DONTWAIT;
#endif
}  // namespace

ssize_t SendWithFds(int sock, const struct iovec* iov, int iovcnt, const int* fds, int nfds) {
  if (nfds < 0 || nfds > kMaxFdsPerMessage) return -EINVAL;
  union {
    char buf[CMSG_SPACE(sizeof(int) * kMaxFdsPerMessage)];
    struct cmsghdr align;
  } control;
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_iov = const_cast<struct iovec*>(iov);
  msg.msg_iovlen = iovcnt;
  if (nfds > 0) {
    memset(control.buf, 0, sizeof control.buf);
    msg.msg_control = control.buf;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
    struct cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
    memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * nfds);
  }
  ssize_t n;
  do n = sendmsg(sock, &msg, kSendFlags);
  while (n < 0 && errno == EINTR);
  if (n < 0) return errno == EWOULDBLOCK ? -EAGAIN : -errno;
  return n;
}

ssize_t RecvWithFds(int sock, void* buf, size_t len, int* fds, int max_fds, int* nfds,
                    bool* truncated) {
  struct iovec iov = {buf, len};
  return RecvWithFdsV(sock, &iov, 1, fds, max_fds, nfds, truncated);
}

ssize_t RecvWithFdsV(int sock, const struct iovec* iov, int iovcnt, int* fds, int max_fds,
                     int* nfds, bool* truncated) {
  *nfds = 0;
  *truncated = false;
  union {
    char buf[CMSG_SPACE(sizeof(int) * kMaxFdsPerMessage)];
    struct cmsghdr align;
  } control;
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_iov = const_cast<struct iovec*>(iov);
  msg.msg_iovlen = iovcnt;
  msg.msg_control = control.buf;
  msg.msg_controllen = sizeof control.buf;
  ssize_t n;
  do n = recvmsg(sock, &msg, kRecvFlags);
  while (n < 0 && errno == EINTR);
  if (n < 0) return errno == EWOULDBLOCK ? -EAGAIN : -errno;
  if (msg.msg_flags & MSG_CTRUNC) *truncated = true;
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    int count = static_cast<int>((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
    const unsigned char* data = CMSG_DATA(c);
    for (int i = 0; i < count; i++) {
      int fd;
      memcpy(&fd, data + i * sizeof(int), sizeof fd);
#ifndef MSG_CMSG_CLOEXEC
      fcntl(fd, F_SETFD, FD_CLOEXEC);
#endif
      if (*nfds < max_fds) {
        fds[(*nfds)++] = fd;
      } else {
        close(fd);
        *truncated = true;
      }
    }
  }
  return n;
}

}  // namespace sys
}  // namespace osipc
