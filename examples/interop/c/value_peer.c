/* Shared-memory Value peer of examples/interop/value.js.
 *   value_peer NAME N
 * Opens the segment of a Node `new Value('i', ...)` by name, checks its header
 * (docs/interop/values.md), then adds 1 to it N times, each time under the
 * Value's own lock: the same lock Node's value.getLock() takes.
 * Build: cc -O2 -Wall -Wextra -o value_peer value_peer.c
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The layout, a validating open and osipc_lock()/osipc_unlock(). */
#include "../../c/osipc_value.h"

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s NAME N\n", argv[0]);
    return 2;
  }
  alarm(30); /* SIGALRM ends us if something goes wrong on the Node side */
  long n = strtol(argv[2], NULL, 10);

  int err = 0;
  size_t size = 0;
  struct osipc_value *v = osipc_value_open(argv[1], &err, &size);
  if (!v) {
    fprintf(stderr, "value_peer: %s: %s\n", argv[1], err == EPROTO ? "not an osipc Value" : strerror(err));
    return 1;
  }
  if (v->typecode != 'i' || !(v->flags & OSIPC_VALUE_FLAG_LOCK)) {
    fprintf(stderr, "value_peer: %s: expected a Value('i') with a lock\n", argv[1]);
    return 1;
  }
  int32_t *cell = (int32_t *)osipc_value_data(v);
  printf("C: opened %s, typecode '%c', value %d\n", argv[1], v->typecode, __atomic_load_n(cell, __ATOMIC_SEQ_CST));
  fflush(stdout);

  for (long i = 0; i < n; i++) {
    /* EOWNERDEAD: we took the lock from a holder that died; the value may be half-updated. */
    if (osipc_lock(v) == EOWNERDEAD) fprintf(stderr, "value_peer: the previous holder died\n");
    *(volatile int32_t *)cell += 1; /* what `v.value += 1` does in Node */
    if (osipc_unlock(v) != 0) {
      fprintf(stderr, "value_peer: unlock refused\n");
      return 1;
    }
  }
  printf("C: added %ld under the lock\n", n);
  munmap(v, size); /* never unlink: the segment is Node's */
  return 0;
}
