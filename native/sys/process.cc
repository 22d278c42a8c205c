#include "sys/process.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <string>
#include <utility>
#include <vector>

#ifdef __linux__
#include <sched.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#endif

namespace osipc {
namespace sys {

namespace {

// ---- the child side: async-signal-safe calls only ---------------------------

struct ChildReport {
  int stage;
  int err;
};

// Reports the failure to the parent through the close-on-exec pipe and leaves.
[[noreturn]] void ChildFail(int report_fd, int stage, int err) {
  ChildReport r = {stage, err};
  ssize_t n;
  do {
    n = write(report_fd, &r, sizeof r);
  } while (n < 0 && errno == EINTR);
  _exit(127);
}

struct ChildArgs {
  const SpawnPlan* plan;
  int report_fd;
  pid_t parent_pid;
};

// Runs in the child between clone/fork and exec. It shares the parent's memory
// on Linux (CLONE_VM, the parent thread suspended until exec), so it writes
// nothing but errno and its own stack.
[[noreturn]] void ChildMain(const ChildArgs& a) {
  const SpawnPlan& p = *a.plan;
  int report_fd = a.report_fd;

  // Every handler back to SIG_DFL (Node ignores SIGPIPE and catches others; a
  // handler of the parent must never run here), then an empty mask. The
  // parent blocked every signal before starting us, so none ran in between.
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  for (int sig = 1; sig < NSIG; sig++) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    sigaction(sig, &dfl, nullptr);  // EINVAL for libc-reserved signals: fine
  }

#ifdef __linux__
  if (p.death_signal > 0) {
    if (prctl(PR_SET_PDEATHSIG, p.death_signal) < 0) ChildFail(report_fd, kStageDeathSignal, errno);
    // The parent may have died before prctl took effect: then we have been
    // reparented already and nobody will send the signal.
    if (getppid() != a.parent_pid) {
      kill(getpid(), p.death_signal);
      _exit(127);
    }
  }
#endif

  int n = p.fd_count;
  int limit = n > 3 ? n : 3;  // child fds [0, limit) are decided by the map

  // The report pipe must survive the dup2 calls: move it above every target.
  if (report_fd < limit) {
    int moved = fcntl(report_fd, F_DUPFD_CLOEXEC, limit);
    if (moved < 0) ChildFail(report_fd, kStageDup, errno);
    report_fd = moved;
  }

  // dup2(src, t) would clobber a later source equal to t. Copy every source
  // below `limit` above it first (close-on-exec copies, gone at exec); sources
  // at or above `limit` cannot collide with a target. The copies live in a
  // scratch array the parent allocated.
  int* sources = p.scratch;
  for (int t = 0; t < n; t++) {
    int src = p.fd_map[t];
    if (src >= 0 && src < limit) {
      // Reuse the copy made for an earlier target with the same source.
      int copy = -1;
      for (int u = 0; u < t; u++) {
        if (p.fd_map[u] == src) {
          copy = sources[u];
          break;
        }
      }
      if (copy < 0) {
        copy = fcntl(src, F_DUPFD_CLOEXEC, limit);
        if (copy < 0) ChildFail(report_fd, kStageDup, errno);
      }
      sources[t] = copy;
    } else {
      sources[t] = src;
    }
  }
  for (int t = 0; t < limit; t++) {
    int src = t < n ? sources[t] : -1;
    if (src < 0) {
      close(t);
      continue;
    }
    // src != t here (src >= limit > t), so dup2 always clears close-on-exec.
    int r;
    do {
      r = dup2(src, t);
    } while (r < 0 && errno == EINTR);
    if (r < 0) ChildFail(report_fd, kStageDup, errno);
    // As libuv does: a program expects blocking stdio.
    if (t <= 2) {
      int fl = fcntl(t, F_GETFL);
      if (fl >= 0 && (fl & O_NONBLOCK)) fcntl(t, F_SETFL, fl & ~O_NONBLOCK);
    }
  }

  if (p.cwd != nullptr && chdir(p.cwd) < 0) ChildFail(report_fd, kStageChdir, errno);

  sigset_t empty;
  sigemptyset(&empty);
  sigprocmask(SIG_SETMASK, &empty, nullptr);

  // execvp's rules: try each candidate; remember EACCES; stop at an error
  // that is not "not here".
  int err = ENOENT;
  bool saw_eacces = false;
  for (int i = 0; i < p.candidate_count; i++) {
    execve(p.candidates[i], p.argv, p.envp);
    err = errno;
    if (err == EACCES) {
      saw_eacces = true;
    } else if (err != ENOENT && err != ENOTDIR && err != ESTALE && err != ENODEV &&
               err != ETIMEDOUT && err != ELOOP && err != ENAMETOOLONG) {
      break;
    }
  }
  if (saw_eacces && (err == ENOENT || err == ENOTDIR)) err = EACCES;
  ChildFail(report_fd, kStageExec, err);
}

#ifdef __linux__
int CloneEntry(void* arg) { ChildMain(*static_cast<ChildArgs*>(arg)); }
#endif

int MakeReportPipe(int fds[2]) {
#ifdef __linux__
  if (pipe2(fds, O_CLOEXEC) < 0) return -errno;
#else
  if (pipe(fds) < 0) return -errno;
  fcntl(fds[0], F_SETFD, FD_CLOEXEC);
  fcntl(fds[1], F_SETFD, FD_CLOEXEC);
#endif
  return 0;
}

}  // namespace

pid_t Spawn(const SpawnPlan& plan, int* stage) {
  *stage = kStageNone;
  int report[2];
  int err = MakeReportPipe(report);
  if (err < 0) return err;

  ChildArgs args = {&plan, report[1], getpid()};

  // No handler of ours may run in the child: block everything until the
  // child has reset its handlers (it unblocks before exec).
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);

  pid_t pid;
#ifdef __linux__
  // vfork semantics with a stack of its own (as glibc's posix_spawn): no page
  // tables copied, and the child cannot scribble on this function's frame.
  const size_t stack_size = 64 * 1024;
  void* stack = mmap(nullptr, stack_size, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) {
    pid = -errno;
  } else {
    pid = clone(CloneEntry, static_cast<char*>(stack) + stack_size,
                CLONE_VM | CLONE_VFORK | SIGCHLD, &args);
    if (pid < 0) pid = -errno;
    munmap(stack, stack_size);
  }
#else
  pid = fork();
  if (pid == 0) ChildMain(args);
  if (pid < 0) pid = -errno;
#endif

  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  close(report[1]);

  if (pid < 0) {
    close(report[0]);
    return pid;
  }

  // EOF: exec succeeded (the pipe closed on exec). A report: it failed, and
  // the child has _exit-ed; reap it so no zombie remains.
  ChildReport r;
  ssize_t n;
  do {
    n = read(report[0], &r, sizeof r);
  } while (n < 0 && errno == EINTR);
  close(report[0]);
  if (n == static_cast<ssize_t>(sizeof r)) {
    int status;
    WaitPid(pid, &status, false);
    *stage = r.stage;
    return -r.err;
  }
  return pid;
}

pid_t WaitPid(pid_t pid, int* status, bool nohang) {
  pid_t r;
  do {
    r = waitpid(pid, status, nohang ? WNOHANG : 0);
  } while (r < 0 && errno == EINTR);
  return r < 0 ? -errno : r;
}

int PidfdOpen(pid_t pid) {
#if defined(__linux__) && defined(SYS_pidfd_open)
  long fd = syscall(SYS_pidfd_open, pid, 0);
  if (fd < 0) return -errno;
  return static_cast<int>(fd);  // pidfds are always close-on-exec
#else
  (void)pid;
  return -ENOSYS;
#endif
}

int PidfdSendSignal(int pidfd, int sig) {
#if defined(__linux__) && defined(SYS_pidfd_send_signal)
  if (syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0) < 0) return -errno;
  return 0;
#else
  (void)pidfd;
  (void)sig;
  return -ENOSYS;
#endif
}

int PollReadable(int fd, int timeout_ms) {
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  int64_t deadline_ms = timeout_ms < 0 ? -1
      : static_cast<int64_t>(start.tv_sec) * 1000 + start.tv_nsec / 1000000 + timeout_ms;
  for (;;) {
    int wait_ms = -1;
    if (deadline_ms >= 0) {
      struct timespec now;
      clock_gettime(CLOCK_MONOTONIC, &now);
      int64_t left = deadline_ms - (static_cast<int64_t>(now.tv_sec) * 1000 + now.tv_nsec / 1000000);
      wait_ms = left < 0 ? 0 : static_cast<int>(left);
    }
    struct pollfd pfd = {fd, POLLIN, 0};
    int r = poll(&pfd, 1, wait_ms);
    if (r >= 0) return r > 0 ? 1 : 0;
    if (errno != EINTR) return -errno;
  }
}

int Kill(pid_t pid, int sig) {
  if (kill(pid, sig) < 0) return -errno;
  return 0;
}

#ifdef __linux__
namespace {

using Range = std::pair<uintptr_t, uintptr_t>;

// The mappings marked "do not copy on fork" (VmFlags "dc" in smaps).
int DontForkRanges(std::vector<Range>* out) {
  int fd = open("/proc/self/smaps", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  std::string text;
  char buf[65536];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      close(fd);
      return -err;
    }
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  Range current = {0, 0};
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    const char* line = text.c_str() + pos;
    size_t len = end - pos;
    if (len > 8 && strncmp(line, "VmFlags:", 8) == 0) {
      std::string flags(line + 8, len - 8);
      if (flags.find(" dc") != std::string::npos && current.second > current.first) {
        out->push_back(current);
      }
    } else if (len > 0 && isxdigit(static_cast<unsigned char>(line[0]))) {
      char* dash = nullptr;
      unsigned long long lo = strtoull(line, &dash, 16);
      if (dash != nullptr && *dash == '-') {
        unsigned long long hi = strtoull(dash + 1, nullptr, 16);
        current = {static_cast<uintptr_t>(lo), static_cast<uintptr_t>(hi)};
      }
    }
    pos = end + 1;
  }
  return 0;
}

}  // namespace

pid_t ForkWithHeap() {
  std::vector<Range> ranges;
  int err = DontForkRanges(&ranges);
  if (err < 0) return err;
  for (const Range& r : ranges) {
    madvise(reinterpret_cast<void*>(r.first), r.second - r.first, MADV_DOFORK);
  }
  pid_t pid = fork();
  if (pid < 0) pid = -errno;
  if (pid != 0) {
    // Back as V8 wants it in the parent: later children (child_process.spawn)
    // need not copy the heap's page tables.
    for (const Range& r : ranges) {
      madvise(reinterpret_cast<void*>(r.first), r.second - r.first, MADV_DONTFORK);
    }
  }
  return pid;
}
#else
pid_t ForkWithHeap() { return -ENOSYS; }
#endif

}  // namespace sys
}  // namespace osipc
