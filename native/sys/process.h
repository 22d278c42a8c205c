// Starting, signalling and reaping processes. Plain POSIX, no napi: every
// function returns >= 0 or -errno.
#pragma once
#include <sys/types.h>

namespace osipc {
namespace sys {

// Everything the child needs, prepared by the parent BEFORE the child exists:
// between fork and exec the child makes only async-signal-safe calls, so it
// must not allocate, format or search anything.
struct SpawnPlan {
  // Paths to try in order (execvp's PATH search done by the caller); the child
  // stops at the first that is not ENOENT/EACCES/ENOTDIR-like.
  const char* const* candidates;
  int candidate_count;
  char* const* argv;  // NULL-terminated
  char* const* envp;  // NULL-terminated (the caller passes environ to inherit)
  const char* cwd;    // NULL: stay in the parent's directory
  // fd_map[t] is the parent fd that becomes child fd t, or -1: child fd t is
  // closed. Child fds 0..2 that the map does not reach are closed too.
  const int* fd_map;
  int fd_count;
  // fd_count ints of scratch space the child writes (it cannot allocate).
  int* scratch;
  // Linux: signal sent to the child when the parent (thread) dies; 0 = none.
  int death_signal;
};

// Where a spawn failed in the child, reported to the parent with the errno.
enum SpawnStage { kStageNone = 0, kStageDup = 1, kStageChdir = 2, kStageExec = 3, kStageDeathSignal = 4 };

// Starts the child (vfork-style clone on Linux, fork elsewhere). Returns the
// pid, or -errno; *stage tells which step failed in the child (kStageNone
// when the failure was in the parent, e.g. EAGAIN from clone).
pid_t Spawn(const SpawnPlan& plan, int* stage);

// waitpid with EINTR retried. Returns the pid, 0 (WNOHANG and still running)
// or -errno; *status receives the raw wait status.
pid_t WaitPid(pid_t pid, int* status, bool nohang);

// A pollable fd that becomes readable when `pid` exits (pidfd_open, Linux >=
// 5.3), close-on-exec; -ENOSYS where there is none.
int PidfdOpen(pid_t pid);
// kill(2) through a pidfd: never signals a reused pid. -ENOSYS where missing.
int PidfdSendSignal(int pidfd, int sig);
// Waits up to timeout_ms (-1: for ever) for fd to become readable; 1 ready,
// 0 timed out, -errno. One absolute deadline across EINTR.
int PollReadable(int fd, int timeout_ms);

int Kill(pid_t pid, int sig);

// fork() for experiments (Linux): first marks every mapping MADV_DOFORK (V8
// marks its heap MADV_DONTFORK and a child without it segfaults), forks, and
// in the parent puts MADV_DONTFORK back on the ranges that had it. Returns 0
// in the child, the pid in the parent, or -errno. -ENOSYS elsewhere.
pid_t ForkWithHeap();

}  // namespace sys
}  // namespace osipc
