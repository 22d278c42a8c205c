#include "errors.h"

#include <uv.h>

#include <errno.h>

#include <cctype>
#include <cstring>

namespace osipc {

namespace {

// errno values libuv has no name for (it answers "Unknown system error N")
// but that IPC calls return: waitpid's ECHILD, msgrcv's ENOMSG and EIDRM,
// execve's ENOEXEC, robust mutexes' EOWNERDEAD...
struct Extra {
  int err;
  const char* name;
};
const Extra kExtra[] = {
    {ECHILD, "ECHILD"},         {ENOEXEC, "ENOEXEC"},     {EIDRM, "EIDRM"},
    {ENOMSG, "ENOMSG"},         {EDEADLK, "EDEADLK"},     {ENOLCK, "ENOLCK"},
    {EOWNERDEAD, "EOWNERDEAD"}, {ENOTRECOVERABLE, "ENOTRECOVERABLE"},
    {ESTALE, "ESTALE"},         {EDQUOT, "EDQUOT"},       {E2BIG, "E2BIG"},
};

const char* ExtraName(int err) {
  for (const Extra& e : kExtra) {
    if (e.err == err) return e.name;
  }
  return nullptr;
}

}  // namespace

Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall,
                       const std::string& path) {
  // libuv error codes are -errno on Unix, which gives Node's names and texts.
  const char* code = uv_err_name(-err);
  std::string text = uv_strerror(-err);
  if (strncmp(code, "Unknown", 7) == 0 && ExtraName(err) != nullptr) {
    code = ExtraName(err);
    text = strerror(err);  // "No child processes" -> as libuv writes it
    if (!text.empty()) text[0] = static_cast<char>(tolower(static_cast<unsigned char>(text[0])));
  }
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

uint8_t* ViewData(const Napi::TypedArray& ta) {
  void* data = nullptr;
  napi_status status = napi_get_typedarray_info(ta.Env(), ta, nullptr, nullptr, &data, nullptr, nullptr);
  return status == napi_ok ? static_cast<uint8_t*>(data) : nullptr;
}

bool ArgBytes(const Napi::CallbackInfo& info, size_t i, uint8_t** data, size_t* len) {
  if (info.Length() <= i || !info[i].IsTypedArray()) return ArgTypeError(info, i, "a Uint8Array");
  Napi::TypedArray ta = info[i].As<Napi::TypedArray>();
  *data = ViewData(ta);
  *len = ta.ByteLength();
  return true;
}

}  // namespace osipc
