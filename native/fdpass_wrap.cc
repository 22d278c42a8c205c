// SCM_RIGHTS for TypeScript:
//   sendFds(sock, chunks: Uint8Array[], start, firstOffset, maxBytes, fds: number[])
//       -> bytes or -EAGAIN (chunks gathered as writev's; the fds travel with
//       the first byte sent)
//   recvFds(sock, buf, offset, length, out: Int32Array) -> bytes (0 at EOF) or -EAGAIN;
//       out[0] = fds received, out[1] = 1 when some were lost (control data
//       truncated), out[2...] = the fds (close-on-exec)
//   recvFdsv(sock, chunks, start, firstOffset, maxBytes, out) -> the same,
//       scattering into chunks (as writev gathers)
#include <errno.h>
#include <sys/uio.h>

#include "errors.h"
#include "registry.h"
#include "sys/fdpass.h"

namespace osipc {

int GatherChunksForSend(const Napi::CallbackInfo& info, size_t arg, struct iovec* iov);

namespace {

Napi::Value SendFds(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int32_t sock;
  if (!ArgInt32(info, 0, &sock)) return {};
  struct iovec iov[64];
  int n = GatherChunksForSend(info, 1, iov);
  if (n < 0) return {};
  if (info.Length() < 6 || !info[5].IsArray()) {
    Napi::TypeError::New(env, "fds must be an array").ThrowAsJavaScriptException();
    return {};
  }
  Napi::Array list = info[5].As<Napi::Array>();
  if (list.Length() > static_cast<uint32_t>(sys::kMaxFdsPerMessage)) {
    Napi::RangeError::New(env, "too many fds for one message").ThrowAsJavaScriptException();
    return {};
  }
  int fds[sys::kMaxFdsPerMessage];
  int nfds = static_cast<int>(list.Length());
  for (int i = 0; i < nfds; i++) {
    Napi::Value v = list.Get(static_cast<uint32_t>(i));
    if (!v.IsNumber()) {
      Napi::TypeError::New(env, "fds must hold numbers").ThrowAsJavaScriptException();
      return {};
    }
    fds[i] = v.As<Napi::Number>().Int32Value();
  }
  if (n == 0) {
    Napi::RangeError::New(env, "fds need at least one byte to travel with")
        .ThrowAsJavaScriptException();
    return {};
  }
  ssize_t sent = sys::SendWithFds(sock, iov, n, fds, nfds);
  if (sent < 0 && sent != -EAGAIN) {
    ThrowErrno(env, static_cast<int>(-sent), "sendmsg");
    return {};
  }
  return Napi::Number::New(env, static_cast<double>(sent));
}

Napi::Value RecvFds(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int32_t sock;
  int64_t offset, length;
  if (!ArgInt32(info, 0, &sock) || !ArgInt64(info, 2, &offset) || !ArgInt64(info, 3, &length))
    return {};
  if (!info[1].IsTypedArray() || info.Length() < 5 || !info[4].IsTypedArray()) {
    Napi::TypeError::New(env, "buffer and out must be typed arrays").ThrowAsJavaScriptException();
    return {};
  }
  Napi::TypedArray ta = info[1].As<Napi::TypedArray>();
  if (offset < 0 || length < 0 || static_cast<uint64_t>(offset + length) > ta.ByteLength()) {
    Napi::RangeError::New(env, "offset and length must lie inside the buffer")
        .ThrowAsJavaScriptException();
    return {};
  }
  Napi::TypedArray out_ta = info[4].As<Napi::TypedArray>();
  if (out_ta.TypedArrayType() != napi_int32_array || out_ta.ElementLength() < 3) {
    Napi::TypeError::New(env, "out must be an Int32Array of at least 3").ThrowAsJavaScriptException();
    return {};
  }
  int32_t* out = reinterpret_cast<int32_t*>(ViewData(out_ta));
  int max_fds = static_cast<int>(out_ta.ElementLength()) - 2;
  uint8_t* data = ViewData(ta) + offset;
  int nfds = 0;
  bool truncated = false;
  ssize_t n = sys::RecvWithFds(sock, data, static_cast<size_t>(length), out + 2, max_fds, &nfds,
                               &truncated);
  out[0] = nfds;
  out[1] = truncated ? 1 : 0;
  if (n < 0 && n != -EAGAIN) {
    ThrowErrno(env, static_cast<int>(-n), "recvmsg");
    return {};
  }
  return Napi::Number::New(env, static_cast<double>(n));
}

Napi::Value RecvFdsV(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int32_t sock;
  if (!ArgInt32(info, 0, &sock)) return {};
  struct iovec iov[64];
  int n = GatherChunksForSend(info, 1, iov);
  if (n < 0) return {};
  if (info.Length() < 6 || !info[5].IsTypedArray()) {
    Napi::TypeError::New(env, "out must be an Int32Array").ThrowAsJavaScriptException();
    return {};
  }
  Napi::TypedArray out_ta = info[5].As<Napi::TypedArray>();
  if (out_ta.TypedArrayType() != napi_int32_array || out_ta.ElementLength() < 3) {
    Napi::TypeError::New(env, "out must be an Int32Array of at least 3").ThrowAsJavaScriptException();
    return {};
  }
  int32_t* out = reinterpret_cast<int32_t*>(ViewData(out_ta));
  out[0] = 0;
  out[1] = 0;
  if (n == 0) return Napi::Number::New(env, -EAGAIN);
  int nfds = 0;
  bool truncated = false;
  ssize_t got = sys::RecvWithFdsV(sock, iov, n, out + 2, static_cast<int>(out_ta.ElementLength()) - 2,
                                  &nfds, &truncated);
  out[0] = nfds;
  out[1] = truncated ? 1 : 0;
  if (got < 0 && got != -EAGAIN) {
    ThrowErrno(env, static_cast<int>(-got), "recvmsg");
    return {};
  }
  return Napi::Number::New(env, static_cast<double>(got));
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("recvFdsv", Napi::Function::New(env, RecvFdsV));
  exports.Set("sendFds", Napi::Function::New(env, SendFds));
  exports.Set("recvFds", Napi::Function::New(env, RecvFds));
}

}  // namespace
}  // namespace osipc

OSIPC_REGISTER(fdpass, osipc::Init);
