// System V message queues for TypeScript (lib/os/sysv-message-queue.ts):
//   sysvGet(key, flags) -> id                  (msgget)
//   sysvFtok(path, id) -> key
//   sysvStat(qid) -> { key, mode, uid, ..., currentMessages, maxBytes, ... }
//   sysvRemove(qid)                            (msgctl IPC_RMID)
//   sysvSend(qid, msgbuf, len, type, timeoutMs) -> 0, -EAGAIN or -ETIMEDOUT
//   sysvReceive(qid, msgbuf, type, timeoutMs, typeOut) -> length, -EAGAIN or -ETIMEDOUT
//   sysvSendAsync(qid, data, type, timeoutMs) -> [Promise<true | null | 'cancelled'>, id]
//   sysvReceiveAsync(qid, cap, type, timeoutMs) -> [Promise<{ data, type } | null | 'cancelled'>, id]
// A msgbuf is a Uint8Array laid out as `struct msgbuf`: the long mtype
// (sysvConstants.HEADER bytes, written/read here) then the text.
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sched.h>
#include <time.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <vector>

#include "errors.h"
#include "registry.h"
#include "sys/sysvmq.h"
#include "wait_service.h"

namespace osipc {
namespace {

std::string KeyText(long key) {
  char text[32];
  snprintf(text, sizeof text, "0x%08lx", static_cast<unsigned long>(key) & 0xffffffffUL);
  return text;
}

Napi::Value Get(const Napi::CallbackInfo& info) {
  int64_t key;
  int32_t flags;
  if (!ArgInt64(info, 0, &key) || !ArgInt32(info, 1, &flags)) return {};
  int id = sys::SysvGet(static_cast<long>(key), flags);
  if (id < 0) {
    ThrowErrno(info.Env(), -id, "msgget", KeyText(static_cast<long>(key)));
    return {};
  }
  return Napi::Number::New(info.Env(), id);
}

Napi::Value Ftok(const Napi::CallbackInfo& info) {
  std::string path;
  int32_t id;
  if (!ArgString(info, 0, &path) || !ArgInt32(info, 1, &id)) return {};
  long key = 0;
  int err = sys::SysvFtok(path.c_str(), id, &key);
  if (err < 0) {
    ThrowErrno(info.Env(), -err, "ftok", path);
    return {};
  }
  return Napi::Number::New(info.Env(), static_cast<double>(key));
}

Napi::Value Stat(const Napi::CallbackInfo& info) {
  int32_t qid;
  if (!ArgInt32(info, 0, &qid)) return {};
  sys::SysvStat st;
  int err = sys::SysvStatQueue(qid, &st);
  if (err < 0) {
    ThrowErrno(info.Env(), -err, "msgctl");
    return {};
  }
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  auto num = [&](const char* k, double v) { o.Set(k, Napi::Number::New(env, v)); };
  num("key", static_cast<double>(static_cast<int32_t>(st.key)));
  num("mode", st.mode);
  num("uid", st.uid);
  num("gid", st.gid);
  num("cuid", st.cuid);
  num("cgid", st.cgid);
  num("currentMessages", static_cast<double>(st.currentMessages));
  num("maxBytes", static_cast<double>(st.maxBytes));
  num("currentBytes", static_cast<double>(st.currentBytes));
  num("lastSendPid", static_cast<double>(st.lastSendPid));
  num("lastReceivePid", static_cast<double>(st.lastReceivePid));
  num("lastSendTime", static_cast<double>(st.lastSendTime));
  num("lastReceiveTime", static_cast<double>(st.lastReceiveTime));
  num("lastChangeTime", static_cast<double>(st.lastChangeTime));
  return o;
}

Napi::Value Remove(const Napi::CallbackInfo& info) {
  int32_t qid;
  if (!ArgInt32(info, 0, &qid)) return {};
  int err = sys::SysvRemove(qid);
  if (err < 0) ThrowErrno(info.Env(), -err, "msgctl");
  return {};
}

Napi::Value Send(const Napi::CallbackInfo& info) {
  int32_t qid;
  uint8_t* msg;
  size_t cap;
  int64_t len;
  double type, timeoutMs;
  if (!ArgInt32(info, 0, &qid) || !ArgBytes(info, 1, &msg, &cap) || !ArgInt64(info, 2, &len) ||
      !ArgDouble(info, 3, &type) || !ArgDouble(info, 4, &timeoutMs))
    return {};
  if (len < 0 || static_cast<uint64_t>(len) + sys::kSysvHeader > cap) {
    Napi::RangeError::New(info.Env(), "length must fit in the message buffer").ThrowAsJavaScriptException();
    return {};
  }
  long mtype = static_cast<long>(type);
  memcpy(msg, &mtype, sizeof mtype);
  int r = sys::SysvSend(qid, msg, static_cast<size_t>(len), timeoutMs);
  if (r < 0 && r != -EAGAIN && r != -ETIMEDOUT) {
    ThrowErrno(info.Env(), -r, "msgsnd");
    return {};
  }
  return Napi::Number::New(info.Env(), r);
}

Napi::Value Receive(const Napi::CallbackInfo& info) {
  int32_t qid;
  uint8_t* buf;
  size_t cap;
  double type, timeoutMs;
  if (!ArgInt32(info, 0, &qid) || !ArgBytes(info, 1, &buf, &cap) || !ArgDouble(info, 2, &type) ||
      !ArgDouble(info, 3, &timeoutMs))
    return {};
  if (info.Length() < 5 || !info[4].IsTypedArray() ||
      info[4].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
    Napi::TypeError::New(info.Env(), "argument 4 must be a Float64Array").ThrowAsJavaScriptException();
    return {};
  }
  // Optional argument 5: where in the buffer the message lands (a receive slab).
  int64_t offset = 0;
  if (info.Length() > 5 && !ArgInt64(info, 5, &offset)) return {};
  if (offset < 0 || static_cast<uint64_t>(offset) > cap) {
    Napi::RangeError::New(info.Env(), "offset must be inside the buffer").ThrowAsJavaScriptException();
    return {};
  }
  buf += offset;
  cap -= static_cast<size_t>(offset);
  if (cap < sys::kSysvHeader) {
    Napi::RangeError::New(info.Env(), "message buffer too small").ThrowAsJavaScriptException();
    return {};
  }
  ssize_t n = sys::SysvReceive(qid, buf, cap - sys::kSysvHeader, static_cast<long>(type), timeoutMs);
  if (n < 0 && n != -EAGAIN && n != -ETIMEDOUT) {
    ThrowErrno(info.Env(), static_cast<int>(-n), "msgrcv");
    return {};
  }
  if (n >= 0) {
    long mtype;
    memcpy(&mtype, buf, sizeof mtype);
    Napi::Float64Array out = info[4].As<Napi::Float64Array>();
    if (out.ElementLength() > 0) out[0] = static_cast<double>(mtype);
  }
  return Napi::Number::New(info.Env(), static_cast<double>(n));
}

// A Promise-form wait on the wait service's threads. System V has nothing to
// block on with a timeout or a way to interrupt, so a job retries IPC_NOWAIT:
// first for up to kYieldNs with sched_yield() between attempts (a reply that
// is on its way arrives within that, and on a shared CPU the yield lets the
// sender run), then with sleeps growing from kFirstPauseNs to kMaxPauseNs. A
// message arriving after a long idle wait is picked up within about
// kMaxPauseNs, and a pending wait costs at most ~1000 short wakeups a second.
// Cancellation is seen between attempts, so within one pause.
// Short pauses mean little under the default 50 us of timer slack: lower it
// on the wait thread while a System V job runs, and put it back after.
struct SlackGuard {
#ifdef PR_SET_TIMERSLACK
  int previous = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
  SlackGuard() { prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0); }
  ~SlackGuard() {
    if (previous > 0) prctl(PR_SET_TIMERSLACK, static_cast<unsigned long>(previous), 0, 0, 0);
  }
#endif
};

class SysvWaitJob : public WaitJob {
 public:
  static constexpr int64_t kYieldNs = 20 * 1000;
  static constexpr int64_t kFirstPauseNs = 10 * 1000;
  static constexpr int64_t kMaxPauseNs = 1000 * 1000;

  // Send: `data` is the text; receive: `cap` is the largest text.
  SysvWaitJob(int qid, bool send, long type, const uint8_t* data, size_t len, size_t cap, double timeoutMs)
      : qid_(qid), send_(send), type_(type), len_(len),
        deadline_(timeoutMs < 0 || isinf(timeoutMs) ? -1
                  : MonotonicNs() + static_cast<int64_t>(timeoutMs * 1e6)) {
    buf_.resize(sys::kSysvHeader + (send ? len : cap));
    if (send) {
      memcpy(buf_.data(), &type_, sizeof type_);
      if (len > 0) memcpy(buf_.data() + sys::kSysvHeader, data, len);
    }
  }

  bool Step(int64_t slice_ns) override {
    int64_t slice_end = MonotonicNs() + slice_ns;
    if (yield_until_ == 0) yield_until_ = MonotonicNs() + kYieldNs;
    SlackGuard slack;
    for (;;) {
      if (cancelled) return true;
      ssize_t r = send_ ? msgsnd(qid_, buf_.data(), len_, IPC_NOWAIT)
                        : msgrcv(qid_, buf_.data(), buf_.size() - sys::kSysvHeader, type_, IPC_NOWAIT);
      if (r >= 0) {
        outcome_ = Outcome::kDone;
        received_ = static_cast<size_t>(r);
        return true;
      }
      if (errno != EINTR && errno != EAGAIN && errno != ENOMSG) {
        outcome_ = Outcome::kError;
        err_ = errno;
        return true;
      }
      int64_t now = MonotonicNs();
      if (deadline_ >= 0 && now >= deadline_) {
        outcome_ = Outcome::kTimedOut;
        return true;
      }
      if (now >= slice_end) return false;
      if (now < yield_until_) {
        sched_yield();
        continue;
      }
      int64_t pause = pause_ns_;
      if (slice_end - now < pause) pause = slice_end - now;
      if (deadline_ >= 0 && deadline_ - now < pause) pause = deadline_ - now;
      struct timespec ts = {static_cast<time_t>(pause / 1000000000LL), static_cast<long>(pause % 1000000000LL)};
      nanosleep(&ts, nullptr);
      pause_ns_ = pause_ns_ * 2 > kMaxPauseNs ? kMaxPauseNs : pause_ns_ * 2;
    }
  }

  Napi::Value Result(Napi::Env env, bool cancelled) override {
    // A message taken before the cancellation took effect is delivered, never dropped.
    if (outcome_ == Outcome::kDone) {
      if (send_) return Napi::Boolean::New(env, true);
      long mtype;
      memcpy(&mtype, buf_.data(), sizeof mtype);
      Napi::Object out = Napi::Object::New(env);
      out.Set("data", Napi::Buffer<uint8_t>::Copy(env, buf_.data() + sys::kSysvHeader, received_));
      out.Set("type", Napi::Number::New(env, static_cast<double>(mtype)));
      return out;
    }
    if (cancelled) return Napi::String::New(env, "cancelled");
    if (outcome_ == Outcome::kError) {
      ThrowErrno(env, err_, send_ ? "msgsnd" : "msgrcv");
      return env.Undefined();
    }
    return env.Null();  // timed out
  }

 private:
  enum class Outcome { kPending, kDone, kTimedOut, kError };
  int qid_;
  bool send_;
  long type_;
  size_t len_;
  int64_t deadline_;
  std::vector<uint8_t> buf_;
  int64_t pause_ns_ = kFirstPauseNs;
  int64_t yield_until_ = 0;
  Outcome outcome_ = Outcome::kPending;
  size_t received_ = 0;
  int err_ = 0;
};

Napi::Value SendAsync(const Napi::CallbackInfo& info) {
  int32_t qid;
  uint8_t* data;
  size_t len;
  double type, timeoutMs;
  if (!ArgInt32(info, 0, &qid) || !ArgBytes(info, 1, &data, &len) || !ArgDouble(info, 2, &type) ||
      !ArgDouble(info, 3, &timeoutMs))
    return {};
  auto job = std::make_unique<SysvWaitJob>(qid, true, static_cast<long>(type), data, len, 0, timeoutMs);
  return StartWait(info.Env(), std::move(job));
}

Napi::Value ReceiveAsync(const Napi::CallbackInfo& info) {
  int32_t qid;
  int64_t cap;
  double type, timeoutMs;
  if (!ArgInt32(info, 0, &qid) || !ArgInt64(info, 1, &cap) || !ArgDouble(info, 2, &type) ||
      !ArgDouble(info, 3, &timeoutMs))
    return {};
  if (cap < 0 || cap > (1 << 30)) {
    Napi::RangeError::New(info.Env(), "cap out of range").ThrowAsJavaScriptException();
    return {};
  }
  auto job = std::make_unique<SysvWaitJob>(qid, false, static_cast<long>(type), nullptr, 0,
                                           static_cast<size_t>(cap), timeoutMs);
  return StartWait(info.Env(), std::move(job));
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("sysvGet", Napi::Function::New(env, Get));
  exports.Set("sysvFtok", Napi::Function::New(env, Ftok));
  exports.Set("sysvStat", Napi::Function::New(env, Stat));
  exports.Set("sysvRemove", Napi::Function::New(env, Remove));
  exports.Set("sysvSend", Napi::Function::New(env, Send));
  exports.Set("sysvReceive", Napi::Function::New(env, Receive));
  exports.Set("sysvSendAsync", Napi::Function::New(env, SendAsync));
  exports.Set("sysvReceiveAsync", Napi::Function::New(env, ReceiveAsync));
  Napi::Object c = Napi::Object::New(env);
  c.Set("IPC_PRIVATE", Napi::Number::New(env, static_cast<double>(IPC_PRIVATE)));
  c.Set("IPC_CREAT", Napi::Number::New(env, IPC_CREAT));
  c.Set("IPC_EXCL", Napi::Number::New(env, IPC_EXCL));
  c.Set("HEADER", Napi::Number::New(env, static_cast<double>(sys::kSysvHeader)));
  // Largest message type: LONG_MAX, capped where a double stops being exact.
  c.Set("TYPE_MAX", Napi::Number::New(env, sizeof(long) >= 8 ? 9007199254740991.0 : 2147483647.0));
  c.Set("EAGAIN", Napi::Number::New(env, EAGAIN));
  c.Set("ETIMEDOUT", Napi::Number::New(env, ETIMEDOUT));
  exports.Set("sysvConstants", c);
}

}  // namespace
}  // namespace osipc

OSIPC_REGISTER(sysvmq, osipc::Init);
