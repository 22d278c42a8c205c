// POSIX message queues (Linux). Plain POSIX: each call returns >= 0 or -errno.
// On Linux an mqd_t is a file descriptor, so it can be polled; elsewhere every
// call returns -ENOSYS (macOS has no POSIX message queues).
#pragma once
#include <stddef.h>
#include <sys/types.h>

namespace osipc {
namespace sys {

struct MqAttributes {
  long flags;
  long maxMessages;
  long messageSize;
  long currentMessages;
};

// Highest priority + 1 (MQ_PRIO_MAX); 0 where POSIX mq does not exist.
long MqPriorityLimit();

// mq_open. With O_CREAT, `maxMessages`/`messageSize` > 0 set the attributes
// (0 takes the system defaults). Always adds O_CLOEXEC and O_NONBLOCK: waits
// happen by polling the descriptor, never inside mq_send/mq_receive.
// Returns the descriptor or -errno.
int MqOpen(const char* name, int oflag, int mode, long maxMessages, long messageSize);
int MqClose(int mqd);
int MqUnlink(const char* name);
// Unlinks `name` only while it still names the queue open as `mqd` (same
// inode), so a closing owner never removes a queue someone made after it.
// Returns 1 when unlinked, 0 when the name is gone or names another queue.
int MqUnlinkIfSame(const char* name, int mqd);
int MqGetAttributes(int mqd, MqAttributes* out);

// One non-blocking attempt when timeoutMs == 0; otherwise waits (poll on the
// descriptor against one CLOCK_MONOTONIC deadline; timeoutMs < 0 waits for
// ever). Returns 0 when sent, -EAGAIN when full (timeoutMs == 0), -ETIMEDOUT.
int MqSend(int mqd, const void* data, size_t len, unsigned priority, double timeoutMs);
// Same waiting rules. Returns the message length and sets *priority, or
// -EAGAIN / -ETIMEDOUT.
ssize_t MqReceive(int mqd, void* buf, size_t cap, unsigned* priority, double timeoutMs);

}  // namespace sys
}  // namespace osipc
