/* 64 KiB chunks streamed through a pipe from a child to the parent: the
 * physical limit of pipe streaming. Usage: pipe_stream <chunks> [chunk_bytes]
 * Prints GB/s (one number, one line), timed after the first eighth. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what) {
  perror(what);
  exit(1);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 16000;
  long size = argc > 2 ? atol(argv[2]) : 65536;
  if (n <= 0 || size <= 0) {
    fprintf(stderr, "usage: %s <chunks> [chunk_bytes]\n", argv[0]);
    return 2;
  }
  char *buf = malloc(size);
  if (!buf) die("malloc");
  memset(buf, 7, size);
  int fds[2];
  if (pipe(fds) < 0) die("pipe");
  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    close(fds[0]);
    for (long i = 0; i < n; i++) {
      long off = 0;
      while (off < size) {
        ssize_t w = write(fds[1], buf + off, size - off);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) die("write");
        off += w;
      }
    }
    _exit(0);
  }
  close(fds[1]);
  long long total = (long long)n * size, got = 0, from = 0;
  long long warm = total / 8;
  double t0 = 0;
  while (got < total) {
    if (t0 == 0 && got >= warm) {
      t0 = now_s();
      from = got;
    }
    ssize_t r = read(fds[0], buf, size);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) die("read");
    got += r;
  }
  double t1 = now_s();
  waitpid(pid, NULL, 0);
  printf("%.3f\n", (got - from) / (t1 - t0) / 1e9);
  return 0;
}
