// Passing file descriptors over AF_UNIX sockets (SCM_RIGHTS). Plain POSIX:
// each call returns >= 0 or -errno and never blocks (MSG_DONTWAIT), so the
// socket itself may be blocking or not.
#pragma once
#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

namespace osipc {
namespace sys {

// The most fds one message may carry (Linux's SCM_MAX_FD).
constexpr int kMaxFdsPerMessage = 253;

// sendmsg(2) of `iov` with `fds` attached to its first byte. Bytes sent, or
// -errno (-EAGAIN when the socket buffer is full: nothing was sent, fds neither).
ssize_t SendWithFds(int sock, const struct iovec* iov, int iovcnt, const int* fds, int nfds);

// recvmsg(2) into buf. Received fds (close-on-exec) are stored in `fds` and
// counted in *nfds; fds beyond `max_fds` are closed and *truncated set.
// Bytes read (0 at end of file) or -errno (-EAGAIN when nothing is there).
ssize_t RecvWithFds(int sock, void* buf, size_t len, int* fds, int max_fds, int* nfds,
                    bool* truncated);
// The same, scattering into `iov`.
ssize_t RecvWithFdsV(int sock, const struct iovec* iov, int iovcnt, int* fds, int max_fds,
                     int* nfds, bool* truncated);

}  // namespace sys
}  // namespace osipc
