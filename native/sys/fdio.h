// fd I/O helpers beyond read/write: gathered writes, a bounded poll(2) wait,
// and the count of unread bytes. Plain POSIX: each returns >= 0 or -errno.
#pragma once
#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

namespace osipc {
namespace sys {

// writev(2): bytes written or -errno (-EAGAIN when it would block).
ssize_t WriteV(int fd, const struct iovec* iov, int iovcnt);

// readv(2): bytes read (0 at end of file) or -errno (-EAGAIN when it would block).
ssize_t ReadV(int fd, const struct iovec* iov, int iovcnt);

// Waits until `fd` has any of `events` (POLLIN/POLLOUT), for at most
// `timeout_ms` (< 0: for ever), against one absolute deadline across EINTR.
// Returns the revents (including POLLHUP/POLLERR/POLLNVAL), 0 on timeout.
int PollFd(int fd, int events, double timeout_ms);

// fcntl(F_DUPFD_CLOEXEC): a duplicate of fd, close-on-exec.
int DupCloseOnExec(int fd);

// Linux F_SETPIPE_SZ: grows a pipe's buffer; returns the size it got, or
// -ENOSYS elsewhere. -EPERM past /proc/sys/fs/pipe-max-size for non-root.
int SetPipeSize(int fd, int size);

// Bytes waiting to be read on a pipe or socket (FIONREAD).
int BytesReadable(int fd);

}  // namespace sys
}  // namespace osipc
