// The named objects this process owns, kept where a signal handler can reach
// them, and that handler: on SIGINT/SIGTERM/SIGHUP it unlinks them and hands
// the signal on to the action it replaced (Node's, or the default), so the
// process ends exactly as it would have, even when JavaScript is blocked
// (a Sync wait, a busy loop) and no JS listener could run.
#pragma once

namespace osipc {
namespace sys {

enum OwnedKind { kOwnedShm = 0, kOwnedSem = 1, kOwnedMq = 2, kOwnedSysvMq = 3 };

// Adds (kind, name) to the list; returns a slot number (>= 0) or -errno
// (-ENAMETOOLONG past 255 bytes, -EINVAL for an unknown kind).
int OwnedAdd(int kind, const char* name);
// Takes a slot off the list (an unknown slot is ignored).
void OwnedRemove(int slot);
// The fd of the SIGKILL tracker's pipe (-1: none): the handler tells it that
// everything was cleaned up.
void OwnedSetTrackerFd(int fd);

// Installs the cleanup handler for `sig`, remembering the action it replaces.
// Returns 1 when installed, 0 when not needed (already ours; the signal is
// ignored; this is pid 1, whose default-action signals the kernel drops), -errno.
int SignalCleanupInstall(int sig);
// Puts back the replaced action if the handler is still ours (someone else,
// such as libuv for a JS listener, may have replaced it since). 1 when restored.
int SignalCleanupRemove(int sig);
// True when `sig` is handled by the cleanup handler now.
bool SignalCleanupActive(int sig);

}  // namespace sys
}  // namespace osipc
