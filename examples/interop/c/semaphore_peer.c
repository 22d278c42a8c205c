/* Named semaphore peer of examples/interop/semaphore.js.
 *   semaphore_peer PING PONG ROUNDS
 * Opens two semaphores Node created (by name; it never creates them). ROUNDS
 * times: waits for PING (at most 20 s), then posts PONG.
 * Build: cc -O2 -Wall -Wextra -o semaphore_peer semaphore_peer.c -pthread
 */
#include <errno.h>
#include <fcntl.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void die(const char *call, const char *name) {
  fprintf(stderr, "semaphore_peer: %s %s: %s\n", call, name, strerror(errno));
  exit(1);
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s PING PONG ROUNDS\n", argv[0]);
    return 2;
  }
  int rounds = atoi(argv[3]);
  sem_t *ping = sem_open(argv[1], 0); /* 0: open only; O_CREAT would need a mode and value */
  if (ping == SEM_FAILED) die("sem_open", argv[1]);
  sem_t *pong = sem_open(argv[2], 0);
  if (pong == SEM_FAILED) die("sem_open", argv[2]);

  for (int round = 1; round <= rounds; round++) {
    /* sem_timedwait takes an absolute CLOCK_REALTIME deadline. */
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 20;
    while (sem_timedwait(ping, &deadline) != 0) {
      if (errno == EINTR) continue; /* a signal: wait again, same deadline */
      die("sem_timedwait", argv[1]); /* ETIMEDOUT: Node never posted */
    }
    printf("C: round %d: got ping, posting pong\n", round);
    fflush(stdout);
    if (sem_post(pong) != 0) die("sem_post", argv[2]);
  }
  sem_close(ping);
  sem_close(pong); /* close only: the names are Node's to unlink */
  return 0;
}
