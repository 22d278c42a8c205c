// System V message queues. Plain POSIX: each call returns >= 0 or -errno.
// System V offers no descriptor to poll and no timed receive, so bounded waits
// retry IPC_NOWAIT calls with short sleeps (see SysvSend/SysvReceive).
#pragma once
#include <stddef.h>
#include <sys/types.h>

namespace osipc {
namespace sys {

struct SysvStat {
  long long key;
  unsigned uid, gid, cuid, cgid, mode;
  unsigned long long currentMessages;  // msg_qnum
  unsigned long long maxBytes;         // msg_qbytes
  unsigned long long currentBytes;     // __msg_cbytes (Linux), else -1
  long long lastSendPid, lastReceivePid;
  long long lastSendTime, lastReceiveTime, lastChangeTime;  // seconds, 0 = never
};

// Bytes in front of each message's text: the `long mtype`.
constexpr size_t kSysvHeader = sizeof(long);

// msgget(key, flags): the queue id or -errno.
int SysvGet(long key, int flags);
// ftok(path, id): 0 with *key set, or -errno (keys may be negative).
int SysvFtok(const char* path, int id, long* key);
int SysvStatQueue(int qid, SysvStat* out);
int SysvRemove(int qid);

// `msg` is the caller's `struct msgbuf`: kSysvHeader bytes of type (already
// filled in) followed by `len` bytes of text. timeoutMs == 0 is one
// IPC_NOWAIT attempt; > 0 retries IPC_NOWAIT with sleeps growing from 20 us to
// 2 ms until one CLOCK_MONOTONIC deadline; < 0 (for ever) blocks in msgsnd.
// Returns 0, -EAGAIN (full, timeoutMs == 0), -ETIMEDOUT, or -errno.
int SysvSend(int qid, void* msg, size_t len, double timeoutMs);
// Same waiting rules; `buf` holds kSysvHeader + cap bytes. Returns the text
// length (the type is in the header), -EAGAIN (none, timeoutMs == 0),
// -ETIMEDOUT or -errno (-E2BIG when the message is longer than cap).
ssize_t SysvReceive(int qid, void* buf, size_t cap, long type, double timeoutMs);

}  // namespace sys
}  // namespace osipc
