#include "sys/mq.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <optional>

#include "sys/msg_deadline.h"

#ifdef __linux__
#include <mqueue.h>
#include <poll.h>
#include <signal.h>
#endif

namespace osipc {
namespace sys {

#ifdef __linux__

long MqPriorityLimit() {
  long n = sysconf(_SC_MQ_PRIO_MAX);
  return n > 0 ? n : MQ_PRIO_MAX;
}

int MqOpen(const char* name, int oflag, int mode, long maxMessages, long messageSize) {
  struct mq_attr attr = {};
  struct mq_attr* attrp = nullptr;
  if ((oflag & O_CREAT) && (maxMessages > 0 || messageSize > 0)) {
    // The kernel wants both or neither; a missing one takes the system default.
    attr.mq_maxmsg = maxMessages;
    attr.mq_msgsize = messageSize;
    attrp = &attr;
  }
  mqd_t q;
  do q = mq_open(name, oflag | O_CLOEXEC | O_NONBLOCK, static_cast<mode_t>(mode), attrp);
  while (q == static_cast<mqd_t>(-1) && errno == EINTR);
  return q == static_cast<mqd_t>(-1) ? -errno : static_cast<int>(q);
}

int MqClose(int mqd) {
  // Never retried: the descriptor is released even when close reports EINTR.
  if (mq_close(mqd) < 0 && errno != EINTR) return -errno;
  return 0;
}

int MqUnlink(const char* name) { return mq_unlink(name) < 0 ? -errno : 0; }

int MqUnlinkIfSame(const char* name, int mqd) {
  struct stat mine, named;
  if (fstat(mqd, &mine) < 0) return -errno;
  mqd_t other = mq_open(name, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (other == static_cast<mqd_t>(-1)) return errno == ENOENT ? 0 : -errno;
  int err = fstat(other, &named) < 0 ? -errno : 0;
  mq_close(other);
  if (err < 0) return err;
  if (named.st_ino != mine.st_ino || named.st_dev != mine.st_dev) return 0;
  if (mq_unlink(name) < 0) return errno == ENOENT ? 0 : -errno;
  return 1;
}

int MqGetAttributes(int mqd, MqAttributes* out) {
  struct mq_attr attr;
  if (mq_getattr(mqd, &attr) < 0) return -errno;
  out->flags = attr.mq_flags;
  out->maxMessages = attr.mq_maxmsg;
  out->messageSize = attr.mq_msgsize;
  out->currentMessages = attr.mq_curmsgs;
  return 0;
}

// Waits until `events` is ready on mqd or the deadline passes. 0 when ready
// (or worth another try), -ETIMEDOUT, or -errno. The descriptor stays
// non-blocking, so readiness is only a hint and the caller retries.
static int WaitReady(int mqd, short events, const MsgDeadline& deadline) {
  struct pollfd p = {mqd, events, 0};
  for (;;) {
    int n;
    if (deadline.forever) {
      n = ppoll(&p, 1, nullptr, nullptr);
    } else {
      long long left = deadline.RemainingNs();
      if (left == 0) return -ETIMEDOUT;
      struct timespec ts = NsToTimespec(left);
      n = ppoll(&p, 1, &ts, nullptr);
    }
    if (n > 0) return 0;
    if (n == 0) {
      if (!deadline.forever && deadline.RemainingNs() == 0) return -ETIMEDOUT;
      continue;
    }
    if (errno != EINTR) return -errno;
  }
}

int MqSend(int mqd, const void* data, size_t len, unsigned priority, double timeoutMs) {
  std::optional<MsgDeadline> deadline;
  for (;;) {
    if (mq_send(mqd, static_cast<const char*>(data), len, priority) == 0) return 0;
    if (errno == EINTR) continue;
    if (errno != EAGAIN) return -errno;
    if (timeoutMs == 0) return -EAGAIN;
    // The clock is read only once a wait is needed (never for a try).
    if (!deadline) deadline.emplace(timeoutMs);
    int err = WaitReady(mqd, POLLOUT, *deadline);
    if (err < 0) return err;
  }
}

ssize_t MqReceive(int mqd, void* buf, size_t cap, unsigned* priority, double timeoutMs) {
  std::optional<MsgDeadline> deadline;
  for (;;) {
    ssize_t n = mq_receive(mqd, static_cast<char*>(buf), cap, priority);
    if (n >= 0) return n;
    if (errno == EINTR) continue;
    if (errno != EAGAIN) return -errno;
    if (timeoutMs == 0) return -EAGAIN;
    if (!deadline) deadline.emplace(timeoutMs);
    int err = WaitReady(mqd, POLLIN, *deadline);
    if (err < 0) return err;
  }
}

#else  // no POSIX message queues (macOS)

long MqPriorityLimit() { return 0; }
int MqOpen(const char*, int, int, long, long) { return -ENOSYS; }
int MqClose(int) { return -ENOSYS; }
int MqUnlink(const char*) { return -ENOSYS; }
int MqUnlinkIfSame(const char*, int) { return -ENOSYS; }
int MqGetAttributes(int, MqAttributes*) { return -ENOSYS; }
int MqSend(int, const void*, size_t, unsigned, double) { return -ENOSYS; }
ssize_t MqReceive(int, void*, size_t, unsigned*, double) { return -ENOSYS; }

#endif

}  // namespace sys
}  // namespace osipc
