/* Round trip of one byte between two processes over a socketpair, each side
 * waiting in epoll_wait before it reads, as an event loop does (libuv, and so
 * every Promise-form wait in Node). Against pipe_pingpong (blocking read) it
 * shows what waiting through epoll costs in C itself.
 * Usage: epoll_pingpong <iterations>
 * Prints microseconds per round trip (one number, one line). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
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

/* Waits for the fd in epoll, then reads; returns 0 at end of file. */
static int get(int ep, int fd, char *c) {
  for (;;) {
    ssize_t r = read(fd, c, 1);
    if (r >= 0) return (int)r;
    if (errno == EINTR) continue;
    if (errno != EAGAIN) die("read");
    struct epoll_event ev;
    if (epoll_wait(ep, &ev, 1, -1) < 0 && errno != EINTR) die("epoll_wait");
  }
}

static int watch(int fd) {
  if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0) die("fcntl");
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die("epoll_create1");
  struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
  if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl");
  return ep;
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
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) die("socketpair");

  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    close(sv[0]);
    int ep = watch(sv[1]);
    char c;
    while (get(ep, sv[1], &c) == 1) put(sv[1], c);
    _exit(0);
  }
  close(sv[1]);
  int ep = watch(sv[0]);

  char c = 'x';
  long warm = n / 10 < 1000 ? n / 10 : 1000;
  for (long i = 0; i < warm; i++) {
    put(sv[0], c);
    if (get(ep, sv[0], &c) != 1) die("peer closed");
  }
  double t0 = now_us();
  for (long i = 0; i < n; i++) {
    put(sv[0], c);
    if (get(ep, sv[0], &c) != 1) die("peer closed");
  }
  double t1 = now_us();

  shutdown(sv[0], SHUT_WR); /* the peer reads end of file and exits */
  waitpid(pid, NULL, 0);
  printf("%.3f\n", (t1 - t0) / n);
  return 0;
}
