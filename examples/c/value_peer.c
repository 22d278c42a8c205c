/* A C program on an osipc Value of typecode 'i' (examples/c/osipc_value.h).
 *   value_peer NAME read          prints the value
 *   value_peer NAME add N         N atomic adds of 1, as Value.add(1)
 *   value_peer NAME lockinc N     N times: lock, value += 1, unlock
 *   value_peer NAME hold MS       takes the lock, prints "holding", keeps it MS ms
 * Build: cc -O2 -o value_peer value_peer.c
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "osipc_value.h"

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s NAME read|add N|lockinc N|hold MS\n", argv[0]);
    return 2;
  }
  int err = 0;
  size_t size = 0;
  struct osipc_value *v = osipc_value_open(argv[1], &err, &size);
  if (!v) {
    fprintf(stderr, "%s: %s\n", argv[1], err == EPROTO ? "not a valid osipc Value" : strerror(err));
    return 1;
  }
  if (v->typecode != 'i') {
    fprintf(stderr, "%s: typecode '%c', this program handles 'i'\n", argv[1], v->typecode);
    return 1;
  }
  int32_t *cell = (int32_t *)osipc_value_data(v);
  long n = argc > 3 ? atol(argv[3]) : 0;
  if (strcmp(argv[2], "read") == 0) {
    printf("%d\n", __atomic_load_n(cell, __ATOMIC_SEQ_CST));
  } else if (strcmp(argv[2], "add") == 0) {
    for (long i = 0; i < n; i++) __atomic_fetch_add(cell, 1, __ATOMIC_SEQ_CST);
  } else if (strcmp(argv[2], "lockinc") == 0) {
    if (!(v->flags & OSIPC_VALUE_FLAG_LOCK)) {
      fprintf(stderr, "%s: made without a lock\n", argv[1]);
      return 1;
    }
    for (long i = 0; i < n; i++) {
      if (osipc_lock(v) == EOWNERDEAD) fprintf(stderr, "%s: took the lock from a holder that died\n", argv[1]);
      *(volatile int32_t *)cell = *(volatile int32_t *)cell + 1;
      if (osipc_unlock(v) != 0) {
        fprintf(stderr, "%s: unlock refused: this process does not hold the lock\n", argv[1]);
        return 1;
      }
    }
  } else if (strcmp(argv[2], "hold") == 0) {
    if (!(v->flags & OSIPC_VALUE_FLAG_LOCK)) {
      fprintf(stderr, "%s: made without a lock\n", argv[1]);
      return 1;
    }
    osipc_lock(v);
    printf("holding\n");
    fflush(stdout);
    usleep((useconds_t)n * 1000);
    osipc_unlock(v);
  } else {
    fprintf(stderr, "unknown command %s\n", argv[2]);
    return 2;
  }
  munmap(v, size);
  return 0;
}
