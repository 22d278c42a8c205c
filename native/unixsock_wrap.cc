// AF_UNIX stream sockets by address, for Listener/Client:
//   unixListen(name: Buffer, backlog) -> fd
//   unixAccept(fd) -> connected fd, or -EAGAIN
//   unixConnect(name: Buffer) -> [status, fd]: status 0 connected, 1 in
//       progress (wait writable, then socketError), -EAGAIN backlog full (no fd)
//   socketError(fd) -> 0 or -errno (SO_ERROR)
// A name starting with a NUL byte is a Linux abstract name. Errors carry the
// name as `path` ('@' standing for the leading NUL).
#include <errno.h>

#include <string>

#include "errors.h"
#include "registry.h"
#include "sys/unixsock.h"

namespace osipc {
namespace {

bool ArgName(const Napi::CallbackInfo& info, size_t i, std::string* out) {
  if (info.Length() <= i || !info[i].IsBuffer()) {
    Napi::TypeError::New(info.Env(), "name must be a Buffer").ThrowAsJavaScriptException();
    return false;
  }
  Napi::Buffer<char> b = info[i].As<Napi::Buffer<char>>();
  out->assign(b.Data(), b.Length());
  return true;
}

std::string Display(const std::string& name) {
  if (!name.empty() && name[0] == '\0') return "@" + name.substr(1);
  return name;
}

Napi::Value Listen(const Napi::CallbackInfo& info) {
  std::string name;
  int32_t backlog;
  if (!ArgName(info, 0, &name) || !ArgInt32(info, 1, &backlog)) return {};
  int fd = sys::UnixListen(name.data(), name.size(), backlog);
  if (fd < 0) {
    ThrowErrno(info.Env(), -fd, fd == -ENAMETOOLONG ? "bind" : "listen", Display(name));
    return {};
  }
  return Napi::Number::New(info.Env(), fd);
}

Napi::Value Accept(const Napi::CallbackInfo& info) {
  int32_t fd;
  if (!ArgInt32(info, 0, &fd)) return {};
  int r = sys::UnixAccept(fd);
  if (r < 0 && r != -EAGAIN) {
    ThrowErrno(info.Env(), -r, "accept");
    return {};
  }
  return Napi::Number::New(info.Env(), r);
}

Napi::Value Connect(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name;
  if (!ArgName(info, 0, &name)) return {};
  int fd = -1;
  int r = sys::UnixConnect(name.data(), name.size(), &fd);
  if (r < 0 && r != -EAGAIN) {
    ThrowErrno(env, -r, "connect", Display(name));
    return {};
  }
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, Napi::Number::New(env, r));
  out.Set(1u, Napi::Number::New(env, fd));
  return out;
}

Napi::Value SocketError(const Napi::CallbackInfo& info) {
  int32_t fd;
  if (!ArgInt32(info, 0, &fd)) return {};
  return Napi::Number::New(info.Env(), sys::SocketError(fd));
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("unixListen", Napi::Function::New(env, Listen));
  exports.Set("unixAccept", Napi::Function::New(env, Accept));
  exports.Set("unixConnect", Napi::Function::New(env, Connect));
  exports.Set("socketError", Napi::Function::New(env, SocketError));
}

}  // namespace
}  // namespace osipc

OSIPC_REGISTER(unixsock, osipc::Init);
