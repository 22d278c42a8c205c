// Node-style system errors from errno values.
#pragma once
#include <napi.h>
#include <string>

namespace osipc {

// Builds an Error like Node's own system errors:
//   message "ENOENT: no such file or directory, shm_open '/x'"
//   .code 'ENOENT', .errno -2, .syscall 'shm_open', .path '/x' (when given)
// `err` is a positive errno value.
Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall,
                       const std::string& path = std::string());

// Throws ErrnoError (NAPI_DISABLE_CPP_EXCEPTIONS: the caller returns at once).
void ThrowErrno(Napi::Env env, int err, const char* syscall,
                const std::string& path = std::string());

// Argument helpers for the wraps. The TypeScript layer validates first, so
// these only guard against misuse of the raw binding; they throw a TypeError.
bool ArgInt32(const Napi::CallbackInfo& info, size_t i, int32_t* out);
bool ArgInt64(const Napi::CallbackInfo& info, size_t i, int64_t* out);
bool ArgDouble(const Napi::CallbackInfo& info, size_t i, double* out);
bool ArgString(const Napi::CallbackInfo& info, size_t i, std::string* out);
// The bytes of a typed array argument (any view; see ViewData).
bool ArgBytes(const Napi::CallbackInfo& info, size_t i, uint8_t** data, size_t* len);

// The first byte of a typed array's view. Unlike ta.ArrayBuffer().Data(), it
// works for views over a SharedArrayBuffer (which napi does not count as an
// ArrayBuffer: Data() would leave an exception pending and return null, and
// the next throw would abort the process) and gives null for a detached view.
uint8_t* ViewData(const Napi::TypedArray& ta);

}  // namespace osipc
