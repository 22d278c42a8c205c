/* System V message queue peer of examples/interop/sysv.js.
 *   sysv_peer KEY            (KEY in C notation: 0x4f001234 or decimal)
 * Opens the queue Node created with that key (never creates it), receives
 * numbers as type 1 and answers each with its square as type 2, until "quit".
 * Build: cc -O2 -Wall -Wextra -o sysv_peer sysv_peer.c
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/msg.h>
#include <unistd.h>

/* What msgsnd/msgrcv move: a long type (> 0), then the bytes. osipc's
 * { type, data } are mtype and mtext. 8192 is Linux's default msgmax. */
struct message {
  long mtype;
  char mtext[8192];
};

static void die(const char *call) {
  fprintf(stderr, "sysv_peer: %s: %s\n", call, strerror(errno));
  exit(1);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s KEY\n", argv[0]);
    return 2;
  }
  alarm(30); /* SIGALRM ends us if the Node side goes away mid-exchange */
  key_t key = (key_t)strtol(argv[1], NULL, 0);
  int id = msgget(key, 0); /* no IPC_CREAT: open only */
  if (id < 0) die("msgget");

  struct message m;
  for (;;) {
    /* msgtyp 1: the first message of type 1. The size excludes the long. */
    ssize_t n = msgrcv(id, &m, sizeof m.mtext, 1, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("msgrcv");
    }
    if (n == 4 && memcmp(m.mtext, "quit", 4) == 0) break;
    /* mtext is bytes, not a C string: copy it with a NUL before parsing. */
    char text[32];
    snprintf(text, sizeof text, "%.*s", (int)(n < 31 ? n : 31), m.mtext);
    long number = strtol(text, NULL, 10);
    printf("C: got %ld, answering %ld\n", number, number * number);
    fflush(stdout);
    m.mtype = 2;
    int len = snprintf(m.mtext, sizeof m.mtext, "%ld", number * number);
    if (msgsnd(id, &m, (size_t)len, 0) != 0) die("msgsnd");
  }
  return 0; /* nothing to close: the queue is Node's to remove */
}
