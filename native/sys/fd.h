// File descriptor basics: pipes, socketpairs, non-blocking read/write, close.
// Plain POSIX: each returns >= 0 or -errno.
#pragma once
#include <stddef.h>
#include <sys/types.h>

namespace osipc {
namespace sys {

// fds[0] reads, fds[1] writes. Both close-on-exec; non-blocking when asked.
int MakePipe(int fds[2], bool nonblocking);
// A connected pair of AF_UNIX stream sockets, close-on-exec.
int MakeSocketPair(int fds[2], bool nonblocking);
int SetNonBlocking(int fd, bool on);
int SetCloseOnExec(int fd, bool on);
// Bytes read (0 at end of file) or -errno (-EAGAIN when it would block).
ssize_t ReadSome(int fd, void* buf, size_t len);
// Bytes written or -errno (-EAGAIN when it would block, -EPIPE when no reader).
ssize_t WriteSome(int fd, const void* buf, size_t len);
// close(2) without retrying EINTR (the fd is gone either way on Linux).
int Close(int fd);

}  // namespace sys
}  // namespace osipc
