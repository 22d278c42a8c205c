// Named semaphores for TypeScript (lib/os/named-semaphore.ts):
//   semOpen(name, create, mode, value) -> handle     semClose(handle)
//   semUnlink(name)   semPost(handle)   semTryWait(handle) -> bool
//   semWaitSync(handle, timeoutMs) -> bool
//   semWaitAsync(handle, timeoutMs, ref) -> [Promise<bool | 'cancelled'>, id]
//   semGetValue(handle) -> number (ENOSYS on macOS)
// A handle shares ownership of the sem_t* with the waits running on the wait
// service, so close() while a wait runs never frees what a thread still uses.
#include <errno.h>
#include <math.h>

#include <memory>
#include <string>

#include "errors.h"
#include "registry.h"
#include "sys/semaphore.h"
#include "wait_service.h"

namespace osipc {
namespace {

struct Sem {
  sem_t* sem;
  std::string name;
  explicit Sem(sem_t* s, std::string n) : sem(s), name(std::move(n)) {}
  ~Sem() { sys::SemClose(sem); }
};
using SemRef = std::shared_ptr<Sem>;

// The JS handle: an External owning one reference (null once closed).
Napi::Value MakeHandle(Napi::Env env, SemRef sem) {
  auto* ref = new SemRef(std::move(sem));
  return Napi::External<SemRef>::New(env, ref, [](Napi::Env, SemRef* r) { delete r; });
}

bool HandleArg(const Napi::CallbackInfo& info, SemRef* out) {
  if (info.Length() < 1 || !info[0].IsExternal()) {
    Napi::TypeError::New(info.Env(), "handle must be a semaphore handle").ThrowAsJavaScriptException();
    return false;
  }
  SemRef* r = info[0].As<Napi::External<SemRef>>().Data();
  if (!*r) {
    ThrowErrno(info.Env(), EBADF, "sem_wait");
    return false;
  }
  *out = *r;
  return true;
}

int64_t DeadlineFromMs(const Napi::CallbackInfo& info, size_t i) {
  double ms = -1;
  if (info.Length() > i && info[i].IsNumber()) ms = info[i].As<Napi::Number>().DoubleValue();
  if (isnan(ms) || ms < 0 || isinf(ms) || ms > 9.0e12) return -1;
  return MonotonicNs() + static_cast<int64_t>(ms * 1e6);
}

Napi::Value Open(const Napi::CallbackInfo& info) {
  std::string name;
  int32_t mode, value;
  if (!ArgString(info, 0, &name) || !ArgInt32(info, 2, &mode) || !ArgInt32(info, 3, &value)) return {};
  bool create = info[1].ToBoolean();
  sem_t* s;
  int r = sys::SemOpen(name.c_str(), create, static_cast<unsigned>(mode), static_cast<unsigned>(value), &s);
  if (r < 0) {
    ThrowErrno(info.Env(), -r, "sem_open", name);
    return {};
  }
  return MakeHandle(info.Env(), std::make_shared<Sem>(s, name));
}

Napi::Value Close(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsExternal()) return {};
  info[0].As<Napi::External<SemRef>>().Data()->reset();  // sem_close once no wait uses it
  return {};
}

Napi::Value Unlink(const Napi::CallbackInfo& info) {
  std::string name;
  if (!ArgString(info, 0, &name)) return {};
  int r = sys::SemUnlink(name.c_str());
  if (r < 0) ThrowErrno(info.Env(), -r, "sem_unlink", name);
  return {};
}

Napi::Value Post(const Napi::CallbackInfo& info) {
  SemRef s;
  if (!HandleArg(info, &s)) return {};
  int r = sys::SemPost(s->sem);
  if (r < 0) ThrowErrno(info.Env(), -r, "sem_post", s->name);
  return {};
}

Napi::Value TryWait(const Napi::CallbackInfo& info) {
  SemRef s;
  if (!HandleArg(info, &s)) return {};
  int r = sys::SemTryWait(s->sem);
  if (r == 0 || r == -EAGAIN) return Napi::Boolean::New(info.Env(), r == 0);
  ThrowErrno(info.Env(), -r, "sem_trywait", s->name);
  return {};
}

Napi::Value WaitSync(const Napi::CallbackInfo& info) {
  SemRef s;
  if (!HandleArg(info, &s)) return {};
  int r = sys::SemWaitUntil(s->sem, DeadlineFromMs(info, 1));
  if (r == 0 || r == -ETIMEDOUT) return Napi::Boolean::New(info.Env(), r == 0);
  ThrowErrno(info.Env(), -r, "sem_timedwait", s->name);
  return {};
}

class SemWaitJob : public WaitJob {
 public:
  SemWaitJob(SemRef sem, int64_t deadline) : sem_(std::move(sem)), deadline_(deadline) {}

  bool Step(int64_t slice_ns) override {
    int64_t until = MonotonicNs() + slice_ns;
    if (deadline_ >= 0 && deadline_ < until) until = deadline_;
    int r = sys::SemWaitUntil(sem_->sem, until);
    if (r == -ETIMEDOUT && (deadline_ < 0 || until < deadline_)) return false;  // slice over
    outcome_ = r;
    return true;
  }

  Napi::Value Result(Napi::Env env, bool cancelled) override {
    if (cancelled) {
      // Cancelled after it took the semaphore: give it back, nobody will use it.
      if (outcome_ == 0) sys::SemPost(sem_->sem);
      return Napi::String::New(env, "cancelled");
    }
    if (outcome_ == 0 || outcome_ == -ETIMEDOUT) return Napi::Boolean::New(env, outcome_ == 0);
    ThrowErrno(env, -outcome_, "sem_timedwait", sem_->name);
    return env.Undefined();
  }

 private:
  SemRef sem_;
  int64_t deadline_;
  int outcome_ = 1;
};

Napi::Value WaitAsync(const Napi::CallbackInfo& info) {
  SemRef s;
  if (!HandleArg(info, &s)) return {};
  bool ref = info.Length() <= 2 || info[2].ToBoolean();
  return StartWait(info.Env(), std::make_unique<SemWaitJob>(s, DeadlineFromMs(info, 1)), ref);
}

Napi::Value GetValue(const Napi::CallbackInfo& info) {
  SemRef s;
  if (!HandleArg(info, &s)) return {};
  int v = 0;
  int r = sys::SemGetValue(s->sem, &v);
  if (r < 0) {
    ThrowErrno(info.Env(), -r, "sem_getvalue", s->name);
    return {};
  }
  return Napi::Number::New(info.Env(), v);
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("semOpen", Napi::Function::New(env, Open));
  exports.Set("semClose", Napi::Function::New(env, Close));
  exports.Set("semUnlink", Napi::Function::New(env, Unlink));
  exports.Set("semPost", Napi::Function::New(env, Post));
  exports.Set("semTryWait", Napi::Function::New(env, TryWait));
  exports.Set("semWaitSync", Napi::Function::New(env, WaitSync));
  exports.Set("semWaitAsync", Napi::Function::New(env, WaitAsync));
  exports.Set("semGetValue", Napi::Function::New(env, GetValue));
}

}  // namespace
}  // namespace osipc

OSIPC_REGISTER(semaphore, osipc::Init);
