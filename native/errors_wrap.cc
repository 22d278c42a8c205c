// Test hook for the error helper: makeErrnoError(errno, syscall, path?).
#include "errors.h"
#include "registry.h"

namespace osipc {
namespace {

Napi::Value MakeErrnoError(const Napi::CallbackInfo& info) {
  int32_t err;
  std::string syscall, path;
  if (!ArgInt32(info, 0, &err) || !ArgString(info, 1, &syscall)) return {};
  if (info.Length() > 2 && info[2].IsString()) ArgString(info, 2, &path);
  return ErrnoError(info.Env(), err, syscall.c_str(), path).Value();
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("makeErrnoError", Napi::Function::New(env, MakeErrnoError));
}

}  // namespace
}  // namespace osipc

OSIPC_REGISTER(errors, osipc::Init);
