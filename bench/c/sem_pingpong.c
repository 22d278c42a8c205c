/* Round trip between two processes over two POSIX named semaphores: the
 * parent posts "ping" and waits on "pong"; the child does the reverse.
 * Usage: sem_pingpong <iterations>. Prints microseconds per round trip. */
#include <errno.h>
#include <fcntl.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what) {
  perror(what);
  exit(1);
}

static void wait_on(sem_t *s) {
  while (sem_wait(s) != 0)
    if (errno != EINTR) die("sem_wait");
}

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 100000;
  char ping_name[64], pong_name[64];
  snprintf(ping_name, sizeof ping_name, "/osipc-%d-bench-ping", (int)getpid());
  snprintf(pong_name, sizeof pong_name, "/osipc-%d-bench-pong", (int)getpid());
  sem_t *ping = sem_open(ping_name, O_CREAT | O_EXCL, 0600, 0);
  sem_t *pong = sem_open(pong_name, O_CREAT | O_EXCL, 0600, 0);
  if (ping == SEM_FAILED || pong == SEM_FAILED) die("sem_open");
  sem_unlink(ping_name);
  sem_unlink(pong_name);
  long warm = n / 10 + 1;
  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    for (long i = 0; i < warm + n; i++) {
      wait_on(ping);
      sem_post(pong);
    }
    _exit(0);
  }
  for (long i = 0; i < warm; i++) {
    sem_post(ping);
    wait_on(pong);
  }
  double t0 = now_us();
  for (long i = 0; i < n; i++) {
    sem_post(ping);
    wait_on(pong);
  }
  double t = now_us() - t0;
  waitpid(pid, NULL, 0);
  printf("%.3f\n", t / n);
  return 0;
}
