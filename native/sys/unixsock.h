// AF_UNIX stream sockets by address, for Listener/Client: a filesystem path
// or (Linux) an abstract name. Every socket is close-on-exec and non-blocking.
// Plain POSIX: each call returns >= 0 or -errno.
#pragma once
#include <stddef.h>

namespace osipc {
namespace sys {

// `name` holds `len` bytes: a path, or for an abstract name a leading '\0'
// followed by the name (no terminator). -ENAMETOOLONG past sun_path.
// Returns the listening fd.
int UnixListen(const char* name, size_t len, int backlog);

// accept4(2): a connected fd, or -EAGAIN when none is waiting.
int UnixAccept(int listen_fd);

// Starts a connection. Returns 0 with *fd connected, 1 with *fd in progress
// (wait until writable, then SocketError), or -errno (-EAGAIN: the
// listener's backlog is full, try again later; *fd is then not open).
int UnixConnect(const char* name, size_t len, int* fd);

// The pending error of a socket (SO_ERROR) as -errno, or 0.
int SocketError(int fd);

}  // namespace sys
}  // namespace osipc
