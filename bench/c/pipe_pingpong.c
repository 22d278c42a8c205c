/* Round trip of one byte between two processes over two pipes: the physical
 * limit of a pipe wake-up. Usage: pipe_pingpong <iterations>
 * Prints microseconds per round trip (one number, one line). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what) {
  perror(what);
  exit(1);
}

static void put(int fd, char c) {
  ssize_t r;
  do r = write(fd, &c, 1); while (r < 0 && errno == EINTR);
  if (r != 1) die("write");
}

/* Returns 0 at end of file. */
static int get(int fd, char *c) {
  ssize_t r;
  do r = read(fd, c, 1); while (r < 0 && errno == EINTR);
  if (r < 0) die("read");
  return (int)r;
}

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 100000;
  if (n <= 0) {
    fprintf(stderr, "usage: %s <iterations>\n", argv[0]);
    return 2;
  }
  int ping[2], pong[2];
  if (pipe(ping) < 0 || pipe(pong) < 0) die("pipe");

  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    close(ping[1]);
    close(pong[0]);
    char c;
    while (get(ping[0], &c) == 1) put(pong[1], c);
    _exit(0);
  }
  close(ping[0]);
  close(pong[1]);

  char c = 'x';
  long warm = n / 10 < 1000 ? n / 10 : 1000;
  for (long i = 0; i < warm; i++) {
    put(ping[1], c);
    if (get(pong[0], &c) != 1) die("peer closed");
  }
  double t0 = now_us();
  for (long i = 0; i < n; i++) {
    put(ping[1], c);
    if (get(pong[0], &c) != 1) die("peer closed");
  }
  double t1 = now_us();

  close(ping[1]); /* the peer reads end of file and exits */
  waitpid(pid, NULL, 0);
  printf("%.3f\n", (t1 - t0) / n);
  return 0;
}
