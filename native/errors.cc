#include "errors.h"

#include <uv.h>

#include <errno.h>

#include <cstring>

namespace osipc {

// Codes the IPC calls return that libuv has no name for (it would say
// "Unknown system error -43"): named here, with the C library's text.
static const char* ExtraErrName(int err) {
  switch (err) {
#ifdef EIDRM
    case EIDRM: return "EIDRM";
#endif
#ifdef ENOMSG
    case ENOMSG: return "ENOMSG";
#endif
#ifdef EDEADLK
    case EDEADLK: return "EDEADLK";
#endif
#ifdef ENOLCK
    case ENOLCK: return "ENOLCK";
#endif
#ifdef EOWNERDEAD
    case EOWNERDEAD: return "EOWNERDEAD";
#endif
#ifdef ENOTRECOVERABLE
    case ENOTRECOVERABLE: return "ENOTRECOVERABLE";
#endif
    default: return nullptr;
  }
}

Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall,
                       const std::string& path) {
  // libuv error codes are -errno on Unix, which gives Node's names and texts.
  const char* extra = ExtraErrName(err);
  const char* code = extra ? extra : uv_err_name(-err);
  std::string text = extra ? strerror(err) : uv_strerror(-err);
  // Node's texts are lower case ("no such file or directory").
  if (extra && !text.empty() && text[0] >= 'A' && text[0] <= 'Z') text[0] = static_cast<char>(text[0] - 'A' + 'a');
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
