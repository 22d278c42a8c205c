#include "sys/owned.h"

#include <errno.h>
#include <fcntl.h>
#include <semaphore.h>
#include <signal.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <unistd.h>
#ifdef __linux__
#include <mqueue.h>
#endif

#include <atomic>
#include <mutex>

#ifdef __linux__
#define OSIPC_IPC_KEY __key
#else
#define OSIPC_IPC_KEY _key
#endif

namespace osipc {
namespace sys {
namespace {

// Slots live in chunks that are never freed, so the handler can walk them at
// any moment: a slot is published (state 1) only after its name is written,
// and the handler skips every slot that is not.
constexpr int kChunkSlots = 64;
struct Slot {
  std::atomic<int> state{0};  // 0 free, 1 owned
  int kind = 0;
  char name[256] = {0};
};
struct Chunk {
  Slot slots[kChunkSlots];
  std::atomic<Chunk*> next{nullptr};
};

Chunk head;
std::mutex writers;  // adds and removes; never taken by the handler
std::atomic<int> tracker_fd{-1};
std::atomic<pid_t> owner_pid{0};
struct sigaction replaced[NSIG];
std::atomic<bool> cleaned{false};

Slot* SlotAt(int n) {
  Chunk* c = &head;
  for (int i = n / kChunkSlots; i > 0 && c != nullptr; i--) c = c->next.load(std::memory_order_acquire);
  return c == nullptr ? nullptr : &c->slots[n % kChunkSlots];
}

// A System V queue is named "0x<key>/<id>": remove queue <id> only while it
// still has that key (ids are reused). Async-signal-safe: parsing and syscalls.
void RemoveSysvQueue(const char* name) {
  if (name[0] != '0' || (name[1] != 'x' && name[1] != 'X')) return;
  unsigned key = 0;
  const char* p = name + 2;
  for (; *p != '/'; p++) {
    int d = (*p >= '0' && *p <= '9') ? *p - '0' : (*p >= 'a' && *p <= 'f') ? *p - 'a' + 10
          : (*p >= 'A' && *p <= 'F') ? *p - 'A' + 10 : -1;
    if (d < 0) return;
    key = key * 16 + static_cast<unsigned>(d);
  }
  int id = 0;
  for (p++; *p >= '0' && *p <= '9'; p++) id = id * 10 + (*p - '0');
  if (*p != '\0' || p[-1] == '/') return;
  struct msqid_ds ds;
  if (msgctl(id, IPC_STAT, &ds) < 0 || static_cast<unsigned>(ds.msg_perm.OSIPC_IPC_KEY) != key) return;
  msgctl(id, IPC_RMID, nullptr);
}

// Async-signal-safe: syscalls only (shm_unlink and sem_unlink are unlink(2) of
// a path built on the stack; mq_unlink and msgctl are syscalls).
void UnlinkOwned() {
  for (Chunk* c = &head; c != nullptr; c = c->next.load(std::memory_order_acquire)) {
    for (Slot& s : c->slots) {
      if (s.state.load(std::memory_order_acquire) != 1) continue;
      switch (s.kind) {
        case kOwnedShm: shm_unlink(s.name); break;
        case kOwnedSem: sem_unlink(s.name); break;
#ifdef __linux__
        case kOwnedMq: mq_unlink(s.name); break;
#endif
        case kOwnedSysvMq: RemoveSysvQueue(s.name); break;
        default: break;
      }
    }
  }
}

void OnSignal(int sig) {
  int saved = errno;
  // A fork() child inherits the handler and the list: the objects are its parent's.
  if (getpid() == owner_pid.load() && !cleaned.exchange(true)) {
    UnlinkOwned();
    int fd = tracker_fd.load();
    if (fd >= 0) {
      ssize_t r = write(fd, "=\n", 2);
      (void)r;
    }
  }
  // As if we had never been there: the replaced action gets the signal.
  sigaction(sig, &replaced[sig], nullptr);
  errno = saved;
  // Not blocked here (SA_NODEFER, and not in sa_mask): delivered at once.
  raise(sig);
}

}  // namespace

int OwnedAdd(int kind, const char* name) {
  if (kind < kOwnedShm || kind > kOwnedSysvMq) return -EINVAL;
  size_t len = strlen(name);
  if (len >= sizeof(Slot::name)) return -ENAMETOOLONG;
  std::lock_guard<std::mutex> lock(writers);
  int n = 0;
  for (Chunk* c = &head;; c = c->next.load(std::memory_order_acquire)) {
    for (Slot& s : c->slots) {
      if (s.state.load(std::memory_order_relaxed) == 0) {
        s.kind = kind;
        memcpy(s.name, name, len + 1);
        s.state.store(1, std::memory_order_release);
        return n;
      }
      n++;
    }
    if (c->next.load(std::memory_order_acquire) == nullptr) {
      Chunk* fresh = new (std::nothrow) Chunk();
      if (fresh == nullptr) return -ENOMEM;
      c->next.store(fresh, std::memory_order_release);
    }
  }
}

void OwnedRemove(int slot) {
  if (slot < 0) return;
  std::lock_guard<std::mutex> lock(writers);
  Slot* s = SlotAt(slot);
  if (s != nullptr) s->state.store(0, std::memory_order_release);
}

void OwnedSetTrackerFd(int fd) { tracker_fd.store(fd); }

bool SignalCleanupActive(int sig) {
  if (sig <= 0 || sig >= NSIG) return false;
  struct sigaction now;
  if (sigaction(sig, nullptr, &now) < 0) return false;
  return !(now.sa_flags & SA_SIGINFO) && now.sa_handler == OnSignal;
}

int SignalCleanupInstall(int sig) {
  if (sig <= 0 || sig >= NSIG) return -EINVAL;
  if (getpid() == 1) return 0;
  if (SignalCleanupActive(sig)) return 0;
  struct sigaction now;
  if (sigaction(sig, nullptr, &now) < 0) return -errno;
  if (!(now.sa_flags & SA_SIGINFO) && now.sa_handler == SIG_IGN) return 0;
  owner_pid.store(getpid());
  cleaned.store(false);
  struct sigaction act;
  memset(&act, 0, sizeof act);
  act.sa_handler = OnSignal;
  // Other signals wait while we clean up; this one is let through again so
  // that raise() in the handler delivers it at once.
  sigfillset(&act.sa_mask);
  sigdelset(&act.sa_mask, sig);
  act.sa_flags = SA_NODEFER;
  replaced[sig] = now;
  if (sigaction(sig, &act, nullptr) < 0) return -errno;
  return 1;
}

int SignalCleanupRemove(int sig) {
  if (!SignalCleanupActive(sig)) return 0;
  if (sigaction(sig, &replaced[sig], nullptr) < 0) return -errno;
  return 1;
}

}  // namespace sys
}  // namespace osipc
