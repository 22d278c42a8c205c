// fd primitives for TypeScript:
//   pipe(nonblocking) / socketpair(nonblocking) -> [fd, fd]
//   read(fd, buffer, offset, length) -> bytes (0 at EOF) or -EAGAIN
//   write(fd, buffer, offset, length) -> bytes or -EAGAIN
//   setNonBlocking(fd, on), setCloseOnExec(fd, on), close(fd)
// Errors other than EAGAIN throw Node-style system errors.
#include <errno.h>

#include "errors.h"
#include "registry.h"
#include "sys/fd.h"

namespace osipc {
namespace {

Napi::Value PairResult(const Napi::CallbackInfo& info, bool socket) {
  bool nonblocking = info.Length() > 0 && info[0].ToBoolean();
  int fds[2];
  int err = socket ? sys::MakeSocketPair(fds, nonblocking) : sys::MakePipe(fds, nonblocking);
  if (err < 0) {
    ThrowErrno(info.Env(), -err, socket ? "socketpair" : "pipe");
    return {};
  }
  Napi::Array out = Napi::Array::New(info.Env(), 2);
  out.Set(0u, Napi::Number::New(info.Env(), fds[0]));
  out.Set(1u, Napi::Number::New(info.Env(), fds[1]));
  return out;
}

Napi::Value Pipe(const Napi::CallbackInfo& info) { return PairResult(info, false); }
Napi::Value SocketPair(const Napi::CallbackInfo& info) { return PairResult(info, true); }

// Checks (fd, buffer, offset, length) and returns the byte range.
bool BufferRange(const Napi::CallbackInfo& info, int32_t* fd, uint8_t** data, size_t* len) {
  int64_t offset, length;
  if (!ArgInt32(info, 0, fd)) return false;
  if (info.Length() < 2 || !info[1].IsTypedArray()) {
    Napi::TypeError::New(info.Env(), "buffer must be a Uint8Array").ThrowAsJavaScriptException();
    return false;
  }
  if (!ArgInt64(info, 2, &offset) || !ArgInt64(info, 3, &length)) return false;
  Napi::TypedArray ta = info[1].As<Napi::TypedArray>();
  size_t size = ta.ByteLength();
  if (offset < 0 || length < 0 || static_cast<uint64_t>(offset) + length > size) {
    Napi::RangeError::New(info.Env(), "offset and length must lie inside the buffer")
        .ThrowAsJavaScriptException();
    return false;
  }
  *data = ViewData(ta) + offset;
  *len = static_cast<size_t>(length);
  return true;
}

Napi::Value Read(const Napi::CallbackInfo& info) {
  int32_t fd;
  uint8_t* data;
  size_t len;
  if (!BufferRange(info, &fd, &data, &len)) return {};
  ssize_t n = sys::ReadSome(fd, data, len);
  if (n < 0 && n != -EAGAIN && n != -EWOULDBLOCK) {
    ThrowErrno(info.Env(), static_cast<int>(-n), "read");
    return {};
  }
  return Napi::Number::New(info.Env(), n < 0 ? -EAGAIN : static_cast<double>(n));
}

Napi::Value Write(const Napi::CallbackInfo& info) {
  int32_t fd;
  uint8_t* data;
  size_t len;
  if (!BufferRange(info, &fd, &data, &len)) return {};
  ssize_t n = sys::WriteSome(fd, data, len);
  if (n < 0 && n != -EAGAIN && n != -EWOULDBLOCK) {
    ThrowErrno(info.Env(), static_cast<int>(-n), "write");
    return {};
  }
  return Napi::Number::New(info.Env(), n < 0 ? -EAGAIN : static_cast<double>(n));
}

Napi::Value FlagSetter(const Napi::CallbackInfo& info, int (*set)(int, bool), const char* name) {
  int32_t fd;
  if (!ArgInt32(info, 0, &fd)) return {};
  int err = set(fd, info.Length() > 1 && info[1].ToBoolean());
  if (err < 0) ThrowErrno(info.Env(), -err, name);
  return {};
}

Napi::Value SetNonBlocking(const Napi::CallbackInfo& info) {
  return FlagSetter(info, sys::SetNonBlocking, "fcntl");
}
Napi::Value SetCloseOnExec(const Napi::CallbackInfo& info) {
  return FlagSetter(info, sys::SetCloseOnExec, "fcntl");
}

Napi::Value Close(const Napi::CallbackInfo& info) {
  int32_t fd;
  if (!ArgInt32(info, 0, &fd)) return {};
  int err = sys::Close(fd);
  if (err < 0) ThrowErrno(info.Env(), -err, "close");
  return {};
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("pipe", Napi::Function::New(env, Pipe));
  exports.Set("socketpair", Napi::Function::New(env, SocketPair));
  exports.Set("read", Napi::Function::New(env, Read));
  exports.Set("write", Napi::Function::New(env, Write));
  exports.Set("setNonBlocking", Napi::Function::New(env, SetNonBlocking));
  exports.Set("setCloseOnExec", Napi::Function::New(env, SetCloseOnExec));
  exports.Set("close", Napi::Function::New(env, Close));
}

}  // namespace
}  // namespace osipc

OSIPC_REGISTER(fd, osipc::Init);
