/* System V message queues between two processes, 64-byte messages: the C
 * figure SysVMessageQueue is compared with. One private queue; round trips
 * use type 1 for pings and type 2 for pongs.
 *   sysv_mq tput <messages>   the child sends, the parent receives: prints messages/s
 *   sysv_mq rtt <round trips> prints microseconds per round trip */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SIZE 64

struct msg {
  long mtype;
  char mtext[SIZE];
};

static void die(const char *what) {
  perror(what);
  exit(1);
}

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void put(int q, struct msg *m, long type) {
  m->mtype = type;
  while (msgsnd(q, m, SIZE, 0) < 0)
    if (errno != EINTR) die("msgsnd");
}

static void get(int q, struct msg *m, long type) {
  while (msgrcv(q, m, SIZE, type, 0) < 0)
    if (errno != EINTR) die("msgrcv");
}

int main(int argc, char **argv) {
  if (argc != 3 || (strcmp(argv[1], "tput") && strcmp(argv[1], "rtt"))) {
    fprintf(stderr, "usage: %s tput|rtt <count>\n", argv[0]);
    return 2;
  }
  int rtt = strcmp(argv[1], "rtt") == 0;
  long n = atol(argv[2]);
  long warm = n / 10 < 1000 ? n / 10 : 1000;
  int q = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
  if (q < 0) die("msgget");
  struct msg m;
  memset(m.mtext, 'x', SIZE);

  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    for (long i = 0; i < warm + n; i++) {
      if (rtt) {
        get(q, &m, 1);
        put(q, &m, 2);
      } else {
        put(q, &m, 1);
      }
    }
    _exit(0);
  }
  double t0 = 0;
  for (long i = 0; i < warm + n; i++) {
    if (i == warm) t0 = now_us();
    if (rtt) {
      put(q, &m, 1);
      get(q, &m, 2);
    } else {
      get(q, &m, 1);
    }
  }
  double us = now_us() - t0;
  waitpid(pid, NULL, 0);
  msgctl(q, IPC_RMID, NULL);
  if (rtt) printf("%.3f\n", us / n);
  else printf("%.0f\n", n / (us / 1e6));
  return 0;
}
