// The wait service: runs blocking waits (futex, sem_timedwait, System V
// polling) on osipc's own threads, never on libuv's threadpool, and settles a
// Promise on the JS thread when each ends. Waits run in bounded slices so that
// cancellation and environment teardown are prompt, and so that more pending
// waits than threads still all make progress (round robin).
#pragma once
#include <napi.h>

#include <atomic>
#include <cstdint>
#include <memory>

namespace osipc {

class WaitJob {
 public:
  virtual ~WaitJob() = default;
  // On a wait thread: wait at most `slice_ns`. Return true when finished.
  virtual bool Step(int64_t slice_ns) = 0;
  // On any thread: make a blocked Step return soon (e.g. wake the futex).
  virtual void Interrupt() {}
  // On the JS thread, once: the value the Promise resolves with. `cancelled`
  // is true when cancelWait() asked for it; a job that had already finished
  // reports its real outcome (a semaphore it took must not be lost).
  virtual Napi::Value Result(Napi::Env env, bool cancelled) = 0;

  std::atomic<bool> cancelled{false};
};

// Starts `job`; returns [promise, id]. `ref`: keep the event loop alive while
// it waits (false for background watchers).
Napi::Value StartWait(Napi::Env env, std::unique_ptr<WaitJob> job, bool ref = true);

// CLOCK_MONOTONIC now, in nanoseconds.
int64_t MonotonicNs();

}  // namespace osipc
