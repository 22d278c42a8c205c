// Is a process still alive, and is it the same process that a pid named
// earlier? A lock word records its owner's pid plus the process's start time,
// so a waiter can tell a dead owner (or a reused pid) from a live one.
#pragma once
#include <stdint.h>

namespace osipc {
namespace sys {

// Linux: the start time of `pid` in clock ticks since boot (field 22 of
// /proc/<pid>/stat), or -ESRCH when there is no such process or it is a
// zombie (dead, not yet reaped). macOS: 0 when kill(pid, 0) finds the process
// (start time unknown; a zombie counts as alive), -ESRCH otherwise.
int64_t ProcessStartTime(int pid);

}  // namespace sys
}  // namespace osipc
