/* POSIX message queue peer of examples/interop/mq.js.
 *   mq_peer REQUESTS REPLIES
 * Opens two queues Node created (by name; it never creates them), takes the
 * requests highest priority first and answers each on REPLIES, upper-cased,
 * with the same priority, until the request "quit".
 * Build: cc -O2 -Wall -Wextra -o mq_peer mq_peer.c -lrt
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void die(const char *call, const char *name) {
  fprintf(stderr, "mq_peer: %s %s: %s\n", call, name, strerror(errno));
  exit(1);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s REQUESTS REPLIES\n", argv[0]);
    return 2;
  }
  alarm(30); /* SIGALRM ends us if the Node side goes away mid-exchange */

  mqd_t rx = mq_open(argv[1], O_RDONLY);
  if (rx == (mqd_t)-1) die("mq_open", argv[1]);
  mqd_t tx = mq_open(argv[2], O_WRONLY);
  if (tx == (mqd_t)-1) die("mq_open", argv[2]);

  /* mq_receive needs a buffer of at least the queue's mq_msgsize (else EMSGSIZE). */
  struct mq_attr in, out;
  if (mq_getattr(rx, &in) != 0) die("mq_getattr", argv[1]);
  if (mq_getattr(tx, &out) != 0) die("mq_getattr", argv[2]);
  char *buf = malloc((size_t)in.mq_msgsize);
  char *reply = malloc((size_t)out.mq_msgsize);
  if (!buf || !reply) die("malloc", "");

  for (;;) {
    unsigned prio;
    ssize_t n = mq_receive(rx, buf, (size_t)in.mq_msgsize, &prio);
    if (n < 0) die("mq_receive", argv[1]);
    /* Messages are bytes, not C strings: no NUL at the end. */
    if (n == 4 && memcmp(buf, "quit", 4) == 0) break;
    printf("C: got '%.*s' at priority %u\n", (int)n, buf, prio);
    fflush(stdout);
    for (ssize_t i = 0; i < n; i++) buf[i] = (char)toupper((unsigned char)buf[i]);
    int len = snprintf(reply, (size_t)out.mq_msgsize, "%.*s from C", (int)n, buf);
    if (len < 0) die("snprintf", "");
    if (len >= out.mq_msgsize) len = (int)out.mq_msgsize - 1; /* truncated to fit */
    if (mq_send(tx, reply, (size_t)len, prio) != 0) die("mq_send", argv[2]);
  }
  free(buf);
  free(reply);
  mq_close(rx);
  mq_close(tx); /* close only: the queues are Node's to unlink */
  return 0;
}
