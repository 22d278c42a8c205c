/* Reading and writing osipc Value and SharedArray segments from C (Linux).
 * Layout: docs/interop/values.md. Header-only; link with nothing extra.
 *
 *   struct osipc_value *v = osipc_value_open("/osipc-123-abc", &err);
 *   int32_t *cells = (int32_t *)osipc_value_data(v);
 *   __atomic_fetch_add(&cells[0], 1, __ATOMIC_SEQ_CST);   // as Value.add(1)
 *   osipc_lock(v); cells[0] += 1; osipc_unlock(v);          // as getLock().withLock()
 *   (osipc_lock returns EOWNERDEAD when it took the lock from a dead holder)
 */
#ifndef OSIPC_VALUE_H
#define OSIPC_VALUE_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __linux__
#include <linux/futex.h>
#include <sys/syscall.h>
#endif

#define OSIPC_VALUE_MAGIC 0x4C56534Fu /* "OSVL" read as a little-endian u32 */
#define OSIPC_VALUE_VERSION 2
#define OSIPC_VALUE_HEADER_SIZE 128
#define OSIPC_VALUE_FLAG_LOCK 1u
#define OSIPC_VALUE_FLAG_ARRAY 2u

struct osipc_value {
  uint32_t magic;        /* OSIPC_VALUE_MAGIC, written last by the creator */
  uint16_t version;      /* 2 */
  uint16_t header_size;  /* 128: the data's offset */
  uint8_t typecode;      /* 'b' 'B' 'h' 'H' 'i' 'I' 'l' 'L' 'q' 'Q' 'f' 'd' 'c' */
  uint8_t item_size;     /* bytes per element */
  uint16_t flags;        /* OSIPC_VALUE_FLAG_* */
  uint32_t reserved0;
  uint64_t count;        /* elements (1 for a Value) */
  uint8_t reserved1[40];
  /* The lock area: osipc's Lock (docs/interop/sync.md, "The mutex"). */
  uint32_t lock_state;   /* 0 free; else owner pid (bits 0..29) | OSIPC_LOCK_WAITERS */
  uint32_t lock_rec_pid; /* the pid whose start time lock_start holds */
  uint32_t lock_start[2];/* that process's start time (clock ticks since boot), low, high */
  uint8_t lock_rest[48]; /* reserved, 0 */
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
/* The lock: the same robust, process-owned mutex as osipc's Lock
 * (docs/interop/sync.md). The owner is the whole process (its pid), so do not
 * take it from two threads of one process at once. */
#include <time.h>

#define OSIPC_LOCK_WAITERS 0x80000000u
#define OSIPC_LOCK_PID_MASK 0x3fffffffu
#define OSIPC_LOCK_CHECK_MS 150 /* longest sleep between two looks at the owner */

/* Field 22 of /proc/<pid>/stat (start time in clock ticks since boot).
 * Returns 0 with *gone = 1 when the process does not exist or is a zombie,
 * 0 with *gone = 0 when it cannot tell. */
static inline uint64_t osipc_start_time(pid_t pid, int *gone) {
  char path[64], buf[1024];
  *gone = 0;
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) { *gone = errno == ENOENT || errno == ESRCH; return 0; }
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) { *gone = n < 0 && errno == ESRCH; return 0; }
  buf[n] = 0;
  char *p = strrchr(buf, ')'); /* the command name may hold spaces and ')' */
  if (!p || p[1] != ' ') return 0;
  p += 2; /* field 3: the state */
  if (*p == 'Z' || *p == 'X') { *gone = 1; return 0; }
  for (int field = 3; field < 22; field++) {
    p = strchr(p, ' ');
    if (!p) return 0;
    p++;
  }
  return strtoull(p, NULL, 10);
}

/* Is the owner in state word v gone? *suspect carries a start-time mismatch
 * from the previous look (a reused pid, or an owner that has not published its
 * record yet: believed on the second look in a row). */
static inline int osipc_owner_dead(struct osipc_value *v, uint32_t state, uint32_t *suspect) {
  pid_t pid = (pid_t)(state & OSIPC_LOCK_PID_MASK);
  if (pid == 0) return 1;
  int gone;
  uint64_t start = osipc_start_time(pid, &gone);
  if (gone) return 1;
  if (start == 0) return 0; /* cannot tell: assume alive */
  if (__atomic_load_n(&v->lock_rec_pid, __ATOMIC_SEQ_CST) != (uint32_t)pid) return 0;
  uint64_t recorded = (uint64_t)__atomic_load_n(&v->lock_start[0], __ATOMIC_SEQ_CST) |
                      (uint64_t)__atomic_load_n(&v->lock_start[1], __ATOMIC_SEQ_CST) << 32;
  if (recorded == start) { *suspect = 0; return 0; }
  if (*suspect == state) return 1;
  *suspect = state;
  return 0;
}

/* After acquiring: record this process (pid + start time) as the owner, so
 * waiters can tell whether it is still alive. Skipped when already recorded. */
static inline void osipc_lock_publish(struct osipc_value *v, uint32_t pid) {
  static uint64_t own_start;
  static pid_t own_pid;
  int gone;
  if (own_pid != (pid_t)pid) { own_start = osipc_start_time((pid_t)pid, &gone); own_pid = (pid_t)pid; }
  if (__atomic_load_n(&v->lock_rec_pid, __ATOMIC_SEQ_CST) == pid &&
      __atomic_load_n(&v->lock_start[0], __ATOMIC_SEQ_CST) == (uint32_t)own_start &&
      __atomic_load_n(&v->lock_start[1], __ATOMIC_SEQ_CST) == (uint32_t)(own_start >> 32))
    return;
  __atomic_store_n(&v->lock_rec_pid, 0, __ATOMIC_SEQ_CST);
  __atomic_store_n(&v->lock_start[0], (uint32_t)own_start, __ATOMIC_SEQ_CST);
  __atomic_store_n(&v->lock_start[1], (uint32_t)(own_start >> 32), __ATOMIC_SEQ_CST);
  __atomic_store_n(&v->lock_rec_pid, pid, __ATOMIC_SEQ_CST);
}

static inline int osipc_cas(uint32_t *word, uint32_t expected, uint32_t next) {
  return __atomic_compare_exchange_n(word, &expected, next, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

static inline int64_t osipc_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Takes the lock, waiting as long as it takes. Returns 0, or EOWNERDEAD when
 * it was taken over from a holder that died (the data may be half-updated);
 * either way the caller holds it and must osipc_unlock(). */
static inline int osipc_lock(struct osipc_value *v) {
  uint32_t pid = (uint32_t)getpid();
  if (osipc_cas(&v->lock_state, 0, pid)) { osipc_lock_publish(v, pid); return 0; }
  uint32_t watch_pid = 0, suspect = 0;
  int64_t watch_since = 0;
  for (;;) {
    uint32_t s = __atomic_load_n(&v->lock_state, __ATOMIC_SEQ_CST);
    if (s == 0) {
      /* Taken with WAITERS: others may be asleep, and our unlock must wake them. */
      if (osipc_cas(&v->lock_state, 0, pid | OSIPC_LOCK_WAITERS)) { osipc_lock_publish(v, pid); return 0; }
      continue;
    }
    /* Look at the owner once it has held the lock for a whole check interval. */
    uint32_t owner = s & OSIPC_LOCK_PID_MASK;
    int64_t now = osipc_now_ms();
    if (owner != watch_pid) { watch_pid = owner; watch_since = now; }
    else if (now - watch_since >= OSIPC_LOCK_CHECK_MS) {
      watch_since = now;
      if (osipc_owner_dead(v, s, &suspect)) {
        if (osipc_cas(&v->lock_state, s, pid | OSIPC_LOCK_WAITERS)) { osipc_lock_publish(v, pid); return EOWNERDEAD; }
        continue;
      }
    }
    if (!(s & OSIPC_LOCK_WAITERS) && !osipc_cas(&v->lock_state, s, s | OSIPC_LOCK_WAITERS)) continue;
    struct timespec slice = {0, OSIPC_LOCK_CHECK_MS * 1000000L};
    syscall(SYS_futex, &v->lock_state, FUTEX_WAIT, s | OSIPC_LOCK_WAITERS, &slice, NULL, 0);
  }
}

/* Releases the lock; EPERM (and nothing done) unless this process holds it. */
static inline int osipc_unlock(struct osipc_value *v) {
  uint32_t pid = (uint32_t)getpid();
  uint32_t s = __atomic_load_n(&v->lock_state, __ATOMIC_SEQ_CST);
  if ((s & OSIPC_LOCK_PID_MASK) != pid) return EPERM;
  if (s == pid && osipc_cas(&v->lock_state, pid, 0)) return 0; /* nobody asleep: no syscall */
  if (__atomic_exchange_n(&v->lock_state, 0, __ATOMIC_SEQ_CST) & OSIPC_LOCK_WAITERS)
    syscall(SYS_futex, &v->lock_state, FUTEX_WAKE, 1, NULL, NULL, 0);
  return 0;
}
#endif

#endif /* OSIPC_VALUE_H */
