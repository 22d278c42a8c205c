// POSIX shared memory: shm_open + ftruncate + mmap. Plain POSIX, -errno results.
#pragma once
#include <stddef.h>
#include <sys/types.h>

namespace osipc {
namespace sys {

struct Mapping {
  void* addr = nullptr;
  size_t size = 0;
};

// Creates `name` exclusively with exactly `mode` (umask does not apply), sizes it
// and maps it shared. On failure nothing is left behind. The fd is closed: the
// mapping keeps the segment.
int ShmCreate(const char* name, size_t size, int mode, Mapping* out);
// Maps an existing segment at its current size. `readonly` opens it O_RDONLY and
// maps it copy-on-write, so writes through it stay private and never fault.
int ShmOpen(const char* name, bool readonly, Mapping* out);
int ShmUnlink(const char* name);
// A nameless segment of `size` bytes (memfd on Linux; elsewhere a shm_open name
// removed at once): returns its close-on-exec fd or -errno. It travels as an fd.
int ShmAnonymous(size_t size);
// Maps the segment behind `fd` shared, at its current size (the fd stays open).
int ShmMapFd(int fd, Mapping* out);
int Unmap(const Mapping& m);
// Free bytes on the filesystem that backs POSIX shared memory, or -errno.
long long ShmFreeBytes();

}  // namespace sys
}  // namespace osipc
