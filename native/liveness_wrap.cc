// processStartTime(pid) -> start time (>= 0; 0 where the OS does not say) or
// -1 when the process is gone or a zombie. Used by lock waiters to tell a dead
// owner from a live one (lib/os/liveness.ts).
#include <errno.h>

#include "errors.h"
#include "registry.h"
#include "sys/liveness.h"

namespace osipc {
namespace {

Napi::Value StartTime(const Napi::CallbackInfo& info) {
  int32_t pid;
  if (!ArgInt32(info, 0, &pid)) return {};
  int64_t r = sys::ProcessStartTime(pid);
  if (r == -ESRCH) return Napi::Number::New(info.Env(), -1);
  if (r < 0) {
    ThrowErrno(info.Env(), static_cast<int>(-r), "read", "/proc/<pid>/stat");
    return {};
  }
  return Napi::Number::New(info.Env(), static_cast<double>(r));
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("processStartTime", Napi::Function::New(env, StartTime));
}

}  // namespace
}  // namespace osipc

OSIPC_REGISTER(liveness, osipc::Init);
