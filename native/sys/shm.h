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
int Unmap(const Mapping& m);
// Free bytes on the filesystem that backs POSIX shared memory, or -errno.
long long ShmFreeBytes();

}  // namespace sys
}  // namespace osipc
