// The owned-object list and the signal cleanup handler (sys/owned.h) for
// lib/ownership.ts:
//   ownedAdd(kind, name) -> slot (or -errno: the object is then covered by the
//                           exit hook and the tracker only)
//   ownedRemove(slot)
//   ownedSetTrackerFd(fd)
//   signalCleanupInstall(signo) -> 1 installed, 0 not needed
//   signalCleanupRemove(signo)  -> 1 restored, 0 not ours any more
//   signalCleanupActive(signo)  -> boolean
#include "errors.h"
#include "registry.h"
#include "sys/owned.h"

namespace osipc {
namespace {

Napi::Value Add(const Napi::CallbackInfo& info) {
  int32_t kind;
  std::string name;
  if (!ArgInt32(info, 0, &kind) || !ArgString(info, 1, &name)) return {};
  return Napi::Number::New(info.Env(), sys::OwnedAdd(kind, name.c_str()));
}

Napi::Value Remove(const Napi::CallbackInfo& info) {
  int32_t slot;
  if (!ArgInt32(info, 0, &slot)) return {};
  sys::OwnedRemove(slot);
  return info.Env().Undefined();
}

Napi::Value SetTrackerFd(const Napi::CallbackInfo& info) {
  int32_t fd;
  if (!ArgInt32(info, 0, &fd)) return {};
  sys::OwnedSetTrackerFd(fd);
  return info.Env().Undefined();
}

Napi::Value Install(const Napi::CallbackInfo& info) {
  int32_t sig;
  if (!ArgInt32(info, 0, &sig)) return {};
  int r = sys::SignalCleanupInstall(sig);
  if (r < 0) {
    ThrowErrno(info.Env(), -r, "sigaction");
    return {};
  }
  return Napi::Number::New(info.Env(), r);
}

Napi::Value RemoveHandler(const Napi::CallbackInfo& info) {
  int32_t sig;
  if (!ArgInt32(info, 0, &sig)) return {};
  int r = sys::SignalCleanupRemove(sig);
  if (r < 0) {
    ThrowErrno(info.Env(), -r, "sigaction");
    return {};
  }
  return Napi::Number::New(info.Env(), r);
}

Napi::Value Active(const Napi::CallbackInfo& info) {
  int32_t sig;
  if (!ArgInt32(info, 0, &sig)) return {};
  return Napi::Boolean::New(info.Env(), sys::SignalCleanupActive(sig));
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("ownedAdd", Napi::Function::New(env, Add));
  exports.Set("ownedRemove", Napi::Function::New(env, Remove));
  exports.Set("ownedSetTrackerFd", Napi::Function::New(env, SetTrackerFd));
  exports.Set("signalCleanupInstall", Napi::Function::New(env, Install));
  exports.Set("signalCleanupRemove", Napi::Function::New(env, RemoveHandler));
  exports.Set("signalCleanupActive", Napi::Function::New(env, Active));
}

}  // namespace
}  // namespace osipc

OSIPC_REGISTER(ownership, osipc::Init);
