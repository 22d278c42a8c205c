#include "errors.h"

#include <uv.h>

#include <cstring>

namespace osipc {

Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall,
                       const std::string& path) {
  // libuv error codes are -errno on Unix, which gives Node's names and texts.
  const char* code = uv_err_name(-err);
  const char* text = uv_strerror(-err);
  std::string message = std::string(code) + ": " + text + ", " + syscall;
  if (!path.empty()) message += " '" + path + "'";
  Napi::Error error = Napi::Error::New(env, message);
  Napi::Object obj = error.Value();
  obj.Set("errno", Napi::Number::New(env, -err));
  obj.Set("code", Napi::String::New(env, code));
  obj.Set("syscall", Napi::String::New(env, syscall));
  if (!path.empty()) obj.Set("path", Napi::String::New(env, path));
  return error;
}

void ThrowErrno(Napi::Env env, int err, const char* syscall,
                const std::string& path) {
  ErrnoError(env, err, syscall, path).ThrowAsJavaScriptException();
}

static bool ArgTypeError(const Napi::CallbackInfo& info, size_t i,
                         const char* what) {
  Napi::TypeError::New(info.Env(), "argument " + std::to_string(i) +
                                       " must be " + what)
      .ThrowAsJavaScriptException();
  return false;
}

bool ArgInt32(const Napi::CallbackInfo& info, size_t i, int32_t* out) {
  if (info.Length() <= i || !info[i].IsNumber())
    return ArgTypeError(info, i, "a number");
  *out = info[i].As<Napi::Number>().Int32Value();
  return true;
}

bool ArgInt64(const Napi::CallbackInfo& info, size_t i, int64_t* out) {
  if (info.Length() <= i || !info[i].IsNumber())
    return ArgTypeError(info, i, "a number");
  *out = info[i].As<Napi::Number>().Int64Value();
  return true;
}

bool ArgDouble(const Napi::CallbackInfo& info, size_t i, double* out) {
  if (info.Length() <= i || !info[i].IsNumber())
    return ArgTypeError(info, i, "a number");
  *out = info[i].As<Napi::Number>().DoubleValue();
  return true;
}

bool ArgString(const Napi::CallbackInfo& info, size_t i, std::string* out) {
  if (info.Length() <= i || !info[i].IsString())
    return ArgTypeError(info, i, "a string");
  *out = info[i].As<Napi::String>().Utf8Value();
  return true;
}

}  // namespace osipc
