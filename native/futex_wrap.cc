// futex for TypeScript, on a 32-bit word of an ArrayBuffer (normally a
// SharedMemory mapping):
//   futexWaitSync(buffer, byteOffset, expected, timeoutMs) -> 0 ok | 1 not-equal | 2 timed-out
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

// The Sync wait and the wake are on every contended lock round trip, so they
// use plain napi calls (one napi_get_cb_info, no wrapper objects) and return
// numbers, not strings: this halves their cost over the syscall itself.
// futexWaitSync -> 0 'ok', 1 'not-equal', 2 'timed-out' (mapped in futex.ts).
bool FastWord(napi_env env, napi_value buffer, napi_value offset, uint32_t** word) {
  void* data = nullptr;
  size_t length = 0;
  int64_t off = -1;
  if (napi_get_arraybuffer_info(env, buffer, &data, &length) != napi_ok) {
    napi_throw_type_error(env, nullptr, "buffer must be an ArrayBuffer");
    return false;
  }
  if (napi_get_value_int64(env, offset, &off) != napi_ok || off < 0 || off % 4 != 0 ||
      static_cast<uint64_t>(off) + 4 > length) {
    napi_throw_range_error(env, nullptr, "byteOffset must be 4-aligned and inside the buffer");
    return false;
  }
  *word = reinterpret_cast<uint32_t*>(static_cast<uint8_t*>(data) + off);
  return true;
}

napi_value Int(napi_env env, int32_t v) {
  napi_value out;
  napi_create_int32(env, v, &out);
  return out;
}

napi_value WaitSync(napi_env env, napi_callback_info cb) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, cb, &argc, argv, nullptr, nullptr);
  if (argc < 4) {
    napi_throw_type_error(env, nullptr, "futexWaitSync(buffer, byteOffset, expected, timeoutMs)");
    return nullptr;
  }
  uint32_t* word;
  int32_t expected;
  double ms;
  if (!FastWord(env, argv[0], argv[1], &word)) return nullptr;
  if (napi_get_value_int32(env, argv[2], &expected) != napi_ok ||
      napi_get_value_double(env, argv[3], &ms) != napi_ok) {
    napi_throw_type_error(env, nullptr, "expected and timeoutMs must be numbers");
    return nullptr;
  }
  // The timeout is relative and goes to the kernel as it is: no clock reads.
  // EINTR (a signal handler ran) reports a spurious 'ok', which callers
  // already handle by checking their condition and waiting again.
  bool forever = isnan(ms) || ms < 0 || isinf(ms) || ms > 9.0e12;
  if (!forever && ms <= 0) return Int(env, 2);
  int r = sys::FutexWait(word, static_cast<uint32_t>(expected), forever ? -1 : static_cast<int64_t>(ms * 1e6));
  if (r == 0 || r == -EINTR) return Int(env, 0);
  if (r == -EAGAIN) return Int(env, 1);
  if (r == -ETIMEDOUT) return Int(env, 2);
  ThrowErrno(Napi::Env(env), -r, "futex_wait");
  return nullptr;
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

napi_value Wake(napi_env env, napi_callback_info cb) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, cb, &argc, argv, nullptr, nullptr);
  if (argc < 3) {
    napi_throw_type_error(env, nullptr, "futexWake(buffer, byteOffset, count)");
    return nullptr;
  }
  uint32_t* word;
  int32_t count;
  if (!FastWord(env, argv[0], argv[1], &word)) return nullptr;
  if (napi_get_value_int32(env, argv[2], &count) != napi_ok) {
    napi_throw_type_error(env, nullptr, "count must be a number");
    return nullptr;
  }
  int r = sys::FutexWake(word, count < 0 ? INT_MAX : count);
  if (r < 0) {
    ThrowErrno(Napi::Env(env), -r, "futex_wake");
    return nullptr;
  }
  return Int(env, r);
}

Napi::Value RawFunction(Napi::Env env, const char* name, napi_callback cb) {
  napi_value fn;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, nullptr, &fn);
  return Napi::Value(env, fn);
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("futexWaitSync", RawFunction(env, "futexWaitSync", WaitSync));
  exports.Set("futexWaitAsync", Napi::Function::New(env, WaitAsync));
  exports.Set("futexWake", RawFunction(env, "futexWake", Wake));
}

}  // namespace
}  // namespace osipc

OSIPC_REGISTER(futex, osipc::Init);
