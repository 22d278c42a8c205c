/* POSIX message queues between two processes, 64-byte messages, depth 10
 * (the default /proc/sys/fs/mqueue/msg_max): the C figure MessageQueue is
 * compared with.
 *   posix_mq tput <messages>   the child sends, the parent receives: prints messages/s
 *   posix_mq rtt <round trips> ping and pong queues: prints microseconds per round trip */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SIZE 64

static void die(const char *what) {
  perror(what);
  exit(1);
}

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static mqd_t make(const char *name) {
  struct mq_attr attr = {0};
  attr.mq_maxmsg = 10;
  attr.mq_msgsize = SIZE;
  mqd_t q = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
  if (q == (mqd_t)-1) die("mq_open");
  return q;
}

static void put(mqd_t q, const char *buf) {
  while (mq_send(q, buf, SIZE, 0) < 0)
    if (errno != EINTR) die("mq_send");
}

static void get(mqd_t q, char *buf) {
  while (mq_receive(q, buf, SIZE, NULL) < 0)
    if (errno != EINTR) die("mq_receive");
}

int main(int argc, char **argv) {
  if (argc != 3 || (strcmp(argv[1], "tput") && strcmp(argv[1], "rtt"))) {
    fprintf(stderr, "usage: %s tput|rtt <count>\n", argv[0]);
    return 2;
  }
  int rtt = strcmp(argv[1], "rtt") == 0;
  long n = atol(argv[2]);
  long warm = n / 10 < 1000 ? n / 10 : 1000;
  char a[64], b[64];
  snprintf(a, sizeof a, "/osipc-%d-bench-a", (int)getpid());
  snprintf(b, sizeof b, "/osipc-%d-bench-b", (int)getpid());
  mqd_t qa = make(a), qb = rtt ? make(b) : (mqd_t)-1;
  /* Unlinked at once: the descriptors keep them alive, nothing is left behind. */
  mq_unlink(a);
  if (rtt) mq_unlink(b);
  char buf[SIZE];
  memset(buf, 'x', SIZE);

  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    if (rtt) {
      for (long i = 0; i < warm + n; i++) {
        get(qa, buf);
        put(qb, buf);
      }
    } else {
      for (long i = 0; i < warm + n; i++) put(qa, buf);
    }
    _exit(0);
  }
  double t0 = 0;
  for (long i = 0; i < warm + n; i++) {
    if (i == warm) t0 = now_us();
    if (rtt) {
      put(qa, buf);
      get(qb, buf);
    } else {
      get(qa, buf);
    }
  }
  double us = now_us() - t0;
  waitpid(pid, NULL, 0);
  if (rtt) printf("%.3f\n", us / n);
  else printf("%.0f\n", n / (us / 1e6));
  return 0;
}
