#include "sys/shm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

namespace osipc {
namespace sys {

static int OpenRetrying(const char* name, int flags, int mode) {
  int fd;
  do fd = shm_open(name, flags, mode);
  while (fd < 0 && errno == EINTR);
  return fd < 0 ? -errno : fd;
}

static int MapFd(int fd, size_t size, bool readonly, Mapping* out) {
  int prot = PROT_READ | PROT_WRITE;
  int flags = readonly ? MAP_PRIVATE : MAP_SHARED;
  void* addr = mmap(nullptr, size, prot, flags, fd, 0);
  if (addr == MAP_FAILED) return -errno;
  out->addr = addr;
  out->size = size;
  return 0;
}

int ShmCreate(const char* name, size_t size, int mode, Mapping* out) {
  int fd = OpenRetrying(name, O_RDWR | O_CREAT | O_EXCL, mode);
  if (fd < 0) return fd;
  int err = 0;
  if (fchmod(fd, mode) < 0) err = -errno;
  if (err == 0) {
    int r;
    do r = ftruncate(fd, static_cast<off_t>(size));
    while (r < 0 && errno == EINTR);
    if (r < 0) err = -errno;
  }
  if (err == 0) err = MapFd(fd, size, false, out);
  close(fd);
  if (err < 0) shm_unlink(name);
  return err;
}

int ShmOpen(const char* name, bool readonly, Mapping* out) {
  int fd = OpenRetrying(name, readonly ? O_RDONLY : O_RDWR, 0);
  if (fd < 0) return fd;
  struct stat st;
  int err = 0;
  if (fstat(fd, &st) < 0) err = -errno;
  // An empty segment (a creator that has not sized it yet) cannot be mapped.
  else if (st.st_size <= 0) err = -EINVAL;
  else err = MapFd(fd, static_cast<size_t>(st.st_size), readonly, out);
  close(fd);
  return err;
}

int ShmAnonymous(size_t size) {
  int fd;
#ifdef __linux__
  fd = memfd_create("osipc", MFD_CLOEXEC);
  if (fd < 0) return -errno;
#else
  char name[64];
  for (int attempt = 0;; attempt++) {
    snprintf(name, sizeof name, "/osipc-%d-anon%lx", (int)getpid(), (unsigned long)random());
    fd = OpenRetrying(name, O_RDWR | O_CREAT | O_EXCL, 0600);
    if (fd >= 0 || fd != -EEXIST || attempt > 100) break;
  }
  if (fd < 0) return fd;
  shm_unlink(name);
  fcntl(fd, F_SETFD, FD_CLOEXEC);
#endif
  int r;
  do r = ftruncate(fd, static_cast<off_t>(size));
  while (r < 0 && errno == EINTR);
  if (r < 0) {
    int err = -errno;
    close(fd);
    return err;
  }
  return fd;
}

int ShmMapFd(int fd, Mapping* out) {
  struct stat st;
  if (fstat(fd, &st) < 0) return -errno;
  if (st.st_size <= 0) return -EINVAL;
  return MapFd(fd, static_cast<size_t>(st.st_size), false, out);
}

int ShmUnlink(const char* name) { return shm_unlink(name) < 0 ? -errno : 0; }

int Unmap(const Mapping& m) { return munmap(m.addr, m.size) < 0 ? -errno : 0; }

long long ShmFreeBytes() {
#ifdef __linux__
  struct statvfs vfs;
  if (statvfs("/dev/shm", &vfs) < 0) return -errno;
  return static_cast<long long>(vfs.f_bavail) * static_cast<long long>(vfs.f_frsize);
#else
  return -ENOSYS;
#endif
}

}  // namespace sys
}  // namespace osipc
