/* Reading and writing osipc Value and SharedArray segments from C (Linux).
 * Layout: docs/interop/values.md. Header-only; link with nothing extra.
 *
 *   struct osipc_value *v = osipc_value_open("/osipc-123-abc", &err);
 *   int32_t *cells = (int32_t *)osipc_value_data(v);
 *   __atomic_fetch_add(&cells[0], 1, __ATOMIC_SEQ_CST);   // as Value.add(1)
 *   osipc_lock(v); cells[0] += 1; osipc_unlock(v);          // as getLock().withLock()
 */
#ifndef OSIPC_VALUE_H
#define OSIPC_VALUE_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __linux__
#include <linux/futex.h>
#include <sys/syscall.h>
#endif

#define OSIPC_VALUE_MAGIC 0x4C56534Fu /* "OSVL" read as a little-endian u32 */
#define OSIPC_VALUE_VERSION 1
#define OSIPC_VALUE_HEADER_SIZE 128
#define OSIPC_VALUE_FLAG_LOCK 1u
#define OSIPC_VALUE_FLAG_ARRAY 2u

struct osipc_value {
  uint32_t magic;        /* OSIPC_VALUE_MAGIC, written last by the creator */
  uint16_t version;      /* 1 */
  uint16_t header_size;  /* 128: the data's offset */
  uint8_t typecode;      /* 'b' 'B' 'h' 'H' 'i' 'I' 'l' 'L' 'q' 'Q' 'f' 'd' 'c' */
  uint8_t item_size;     /* bytes per element */
  uint16_t flags;        /* OSIPC_VALUE_FLAG_* */
  uint32_t reserved0;
  uint64_t count;        /* elements (1 for a Value) */
  uint8_t reserved1[40];
  uint32_t lock_word;    /* 0 unlocked, 1 locked, 2 locked with sleepers */
  uint8_t lock_rest[60];
  /* data follows at offset 128 */
};

_Static_assert(sizeof(struct osipc_value) == OSIPC_VALUE_HEADER_SIZE, "header is 128 bytes");

static inline int osipc_item_size(uint8_t code) {
  switch (code) {
    case 'b': case 'B': case 'c': return 1;
    case 'h': case 'H': return 2;
    case 'i': case 'I': case 'f': return 4;
    case 'l': case 'L': case 'q': case 'Q': case 'd': return 8;
    default: return 0;
  }
}

static inline void *osipc_value_data(struct osipc_value *v) {
  return (uint8_t *)v + OSIPC_VALUE_HEADER_SIZE;
}

/* Maps and validates a segment by name. Returns NULL with *err set (an errno
 * value, or EPROTO for a header that is not a valid Value/Array). *size_out
 * (optional) gets the mapping size for munmap. */
static inline struct osipc_value *osipc_value_open(const char *name, int *err, size_t *size_out) {
  int fd = shm_open(name, O_RDWR | O_CLOEXEC, 0);
  if (fd < 0) { *err = errno; return NULL; }
  struct stat st;
  if (fstat(fd, &st) < 0) { *err = errno; close(fd); return NULL; }
  size_t size = (size_t)st.st_size;
  if (size < OSIPC_VALUE_HEADER_SIZE) { *err = EPROTO; close(fd); return NULL; }
  void *addr = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  if (addr == MAP_FAILED) { *err = errno; return NULL; }
  struct osipc_value *v = (struct osipc_value *)addr;
  int item = osipc_item_size(v->typecode);
  if (__atomic_load_n(&v->magic, __ATOMIC_ACQUIRE) != OSIPC_VALUE_MAGIC ||
      v->version != OSIPC_VALUE_VERSION || v->header_size != OSIPC_VALUE_HEADER_SIZE ||
      item == 0 || v->item_size != item || v->count == 0 ||
      v->count > (size - OSIPC_VALUE_HEADER_SIZE) / (size_t)item) {
    munmap(addr, size);
    *err = EPROTO;
    return NULL;
  }
  if (size_out) *size_out = size;
  return v;
}

#ifdef __linux__
/* The lock (while osipc's stand-in lock is in use: Drepper's futex mutex). */
static inline void osipc_lock(struct osipc_value *v) {
  uint32_t c = 0;
  if (__atomic_compare_exchange_n(&v->lock_word, &c, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) return;
  while (__atomic_exchange_n(&v->lock_word, 2, __ATOMIC_ACQUIRE) != 0)
    syscall(SYS_futex, &v->lock_word, FUTEX_WAIT, 2, NULL, NULL, 0);
}

static inline void osipc_unlock(struct osipc_value *v) {
  if (__atomic_exchange_n(&v->lock_word, 0, __ATOMIC_RELEASE) == 2)
    syscall(SYS_futex, &v->lock_word, FUTEX_WAKE, 1, NULL, NULL, 0);
}
#endif

#endif /* OSIPC_VALUE_H */
