#include "sys/sysvmq.h"

#include <errno.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <time.h>

#include "sys/msg_deadline.h"

namespace osipc {
namespace sys {

int SysvGet(long key, int flags) {
  int id = msgget(static_cast<key_t>(key), flags);
  return id < 0 ? -errno : id;
}

int SysvFtok(const char* path, int id, long* key) {
  errno = 0;
  key_t k = ftok(path, id);
  if (k == static_cast<key_t>(-1) && errno != 0) return -errno;
  *key = static_cast<long>(k);
  return 0;
}

int SysvStatQueue(int qid, SysvStat* out) {
  struct msqid_ds ds;
  if (msgctl(qid, IPC_STAT, &ds) < 0) return -errno;
#ifdef __linux__
  out->key = ds.msg_perm.__key;
  out->currentBytes = ds.__msg_cbytes;
#else
  out->key = ds.msg_perm._key;
  out->currentBytes = ds.msg_cbytes;
#endif
  out->uid = ds.msg_perm.uid;
  out->gid = ds.msg_perm.gid;
  out->cuid = ds.msg_perm.cuid;
  out->cgid = ds.msg_perm.cgid;
  out->mode = ds.msg_perm.mode & 0777;
  out->currentMessages = ds.msg_qnum;
  out->maxBytes = ds.msg_qbytes;
  out->lastSendPid = ds.msg_lspid;
  out->lastReceivePid = ds.msg_lrpid;
  out->lastSendTime = ds.msg_stime;
  out->lastReceiveTime = ds.msg_rtime;
  out->lastChangeTime = ds.msg_ctime;
  return 0;
}

int SysvRemove(int qid) { return msgctl(qid, IPC_RMID, nullptr) < 0 ? -errno : 0; }

// The sleep between IPC_NOWAIT attempts: short at first, for a reply that is
// about to arrive, then longer, so an idle wait costs about 500 wakeups a
// second at most.
static long long NextPause(long long pauseNs) {
  const long long kMax = 2000000;  // 2 ms
  long long next = pauseNs * 2;
  return next > kMax ? kMax : next;
}

static int Pause(const MsgDeadline& deadline, long long* pauseNs) {
  long long left = deadline.RemainingNs();
  if (left == 0) return -ETIMEDOUT;
  struct timespec ts = NsToTimespec(*pauseNs < left ? *pauseNs : left);
  nanosleep(&ts, nullptr);  // EINTR only shortens one pause
  *pauseNs = NextPause(*pauseNs);
  return 0;
}

int SysvSend(int qid, void* msg, size_t len, double timeoutMs) {
  MsgDeadline deadline(timeoutMs);
  const int flags = deadline.forever ? 0 : IPC_NOWAIT;
  long long pauseNs = 20000;
  for (;;) {
    if (msgsnd(qid, msg, len, flags) == 0) return 0;
    if (errno == EINTR) continue;
    if (errno != EAGAIN) return -errno;
    if (timeoutMs == 0) return -EAGAIN;
    int err = Pause(deadline, &pauseNs);
    if (err < 0) return err;
  }
}

ssize_t SysvReceive(int qid, void* buf, size_t cap, long type, double timeoutMs) {
  MsgDeadline deadline(timeoutMs);
  const int flags = deadline.forever ? 0 : IPC_NOWAIT;
  long long pauseNs = 20000;
  for (;;) {
    ssize_t n = msgrcv(qid, buf, cap, type, flags);
    if (n >= 0) return n;
    if (errno == EINTR) continue;
    // Linux says ENOMSG for "nothing there" with IPC_NOWAIT; some systems EAGAIN.
    if (errno != ENOMSG && errno != EAGAIN) return -errno;
    if (timeoutMs == 0) return -EAGAIN;
    int err = Pause(deadline, &pauseNs);
    if (err < 0) return err;
  }
}

}  // namespace sys
}  // namespace osipc
