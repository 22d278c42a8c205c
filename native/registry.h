// Each *_wrap.cc registers its exports with OSIPC_REGISTER, so adding a
// primitive touches only its own files (binding.gyp globs native/**.cc).
#pragma once
#include <napi.h>

namespace osipc {

using InitFn = void (*)(Napi::Env env, Napi::Object exports);

struct Registration {
  Registration(const char* name, InitFn fn);
};

// Called once per environment (main thread or worker) by addon.cc.
void InitAll(Napi::Env env, Napi::Object exports);

}  // namespace osipc

#define OSIPC_REGISTER(name, fn) \
  static ::osipc::Registration osipc_registration_##name(#name, fn)
