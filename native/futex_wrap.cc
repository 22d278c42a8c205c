// futex for TypeScript, on a 32-bit word of an ArrayBuffer (normally a
// SharedMemory mapping):
//   futexWaitSync(buffer, byteOffset, expected, timeoutMs) -> 'ok' | 'not-equal' | 'timed-out'
//   futexWaitAsync(buffer, byteOffset, expected, timeoutMs, ref) -> [Promise<… | 'cancelled'>, id]
//   futexWake(buffer, byteOffset, count) -> number woken
// timeoutMs < 0 or Infinity waits without limit. 'ok' may be spurious: callers
// re-check their condition, as with Atomics.wait.
#include <errno.h>
#include <limits.h>
#include <math.h>

#include "errors.h"
#include "registry.h"
#include "sys/futex.h"
#include "wait_service.h"

namespace osipc {
namespace {

// Unpacks (buffer, byteOffset) into the address of an aligned 32-bit word.
bool WordArg(const Napi::CallbackInfo& info, uint32_t** word, Napi::ArrayBuffer* keep) {
  if (info.Length() < 1 || !info[0].IsArrayBuffer()) {
    Napi::TypeError::New(info.Env(), "buffer must be an ArrayBuffer").ThrowAsJavaScriptException();
    return false;
  }
  int64_t offset;
  if (!ArgInt64(info, 1, &offset)) return false;
  Napi::ArrayBuffer ab = info[0].As<Napi::ArrayBuffer>();
  if (offset < 0 || offset % 4 != 0 || static_cast<uint64_t>(offset) + 4 > ab.ByteLength()) {
    Napi::RangeError::New(info.Env(), "byteOffset must be 4-aligned and inside the buffer")
        .ThrowAsJavaScriptException();
    return false;
  }
  *word = reinterpret_cast<uint32_t*>(static_cast<uint8_t*>(ab.Data()) + offset);
  if (keep) *keep = ab;
  return true;
}

// timeoutMs (Infinity or negative: none) -> ns (-1: none).
int64_t TimeoutNs(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || !info[i].IsNumber()) return -1;
  double ms = info[i].As<Napi::Number>().DoubleValue();
  if (isnan(ms) || ms < 0 || isinf(ms) || ms > 9.0e12) return -1;
  return static_cast<int64_t>(ms * 1e6);
}

const char* OutcomeName(int r) {
  switch (r) {
    case 0: return "ok";
    case -EAGAIN: return "not-equal";
    case -ETIMEDOUT: return "timed-out";
    default: return nullptr;
  }
}

Napi::Value WaitSync(const Napi::CallbackInfo& info) {
  uint32_t* word;
  int32_t expected;
  if (!WordArg(info, &word, nullptr) || !ArgInt32(info, 2, &expected)) return {};
  int64_t timeout = TimeoutNs(info, 3);
  int64_t deadline = timeout < 0 ? -1 : MonotonicNs() + timeout;
  for (;;) {
    int64_t left = deadline < 0 ? -1 : deadline - MonotonicNs();
    if (deadline >= 0 && left <= 0) return Napi::String::New(info.Env(), "timed-out");
    int r = sys::FutexWait(word, static_cast<uint32_t>(expected), left);
    if (r == -EINTR) continue;
    const char* name = OutcomeName(r);
    if (name == nullptr) {
      ThrowErrno(info.Env(), -r, "futex_wait");
      return {};
    }
    return Napi::String::New(info.Env(), name);
  }
}

class FutexWaitJob : public WaitJob {
 public:
  FutexWaitJob(Napi::ArrayBuffer buffer, uint32_t* word, uint32_t expected, int64_t timeout_ns)
      : buffer_(Napi::Persistent(buffer)), word_(word), expected_(expected),
        deadline_(timeout_ns < 0 ? -1 : MonotonicNs() + timeout_ns) {}

  bool Step(int64_t slice_ns) override {
    int64_t wait = slice_ns;
    if (deadline_ >= 0) {
      int64_t left = deadline_ - MonotonicNs();
      if (left <= 0) {
        outcome_ = -ETIMEDOUT;
        return true;
      }
      if (left < wait) wait = left;
    }
    int r = sys::FutexWait(word_, expected_, wait);
    if (r == -ETIMEDOUT || r == -EINTR) return false;  // slice over: check again
    outcome_ = r;
    return true;
  }

  // Wakes every sleeper on the word; they re-check, as after any spurious wake.
  void Interrupt() override { sys::FutexWake(word_, INT_MAX); }

  Napi::Value Result(Napi::Env env, bool cancelled) override {
    if (cancelled && outcome_ == 1) return Napi::String::New(env, "cancelled");
    const char* name = OutcomeName(outcome_);
    if (name == nullptr) {
      if (cancelled) return Napi::String::New(env, "cancelled");
      ThrowErrno(env, -outcome_, "futex_wait");
      return env.Undefined();
    }
    return Napi::String::New(env, name);
  }

 private:
  Napi::Reference<Napi::ArrayBuffer> buffer_;  // keeps the mapping's buffer alive
  uint32_t* word_;
  uint32_t expected_;
  int64_t deadline_;
  int outcome_ = 1;  // 1: not finished
};

Napi::Value WaitAsync(const Napi::CallbackInfo& info) {
  uint32_t* word;
  int32_t expected;
  Napi::ArrayBuffer ab;
  if (!WordArg(info, &word, &ab) || !ArgInt32(info, 2, &expected)) return {};
  bool ref = info.Length() <= 4 || info[4].ToBoolean();
  auto job = std::make_unique<FutexWaitJob>(ab, word, static_cast<uint32_t>(expected),
                                            TimeoutNs(info, 3));
  return StartWait(info.Env(), std::move(job), ref);
}

Napi::Value Wake(const Napi::CallbackInfo& info) {
  uint32_t* word;
  int32_t count;
  if (!WordArg(info, &word, nullptr) || !ArgInt32(info, 2, &count)) return {};
  int r = sys::FutexWake(word, count < 0 ? INT_MAX : count);
  if (r < 0) {
    ThrowErrno(info.Env(), -r, "futex_wake");
    return {};
  }
  return Napi::Number::New(info.Env(), r);
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("futexWaitSync", Napi::Function::New(env, WaitSync));
  exports.Set("futexWaitAsync", Napi::Function::New(env, WaitAsync));
  exports.Set("futexWake", Napi::Function::New(env, Wake));
}

}  // namespace
}  // namespace osipc

OSIPC_REGISTER(futex, osipc::Init);
