// FutexRing for TypeScript (lib/os/futex-ring.ts): Promise futex waits that the
// event loop itself wakes from, through an io_uring polled by a Poller.
//   const r = new FutexRing();          // throws ENOSYS where it cannot work
//   r.fd                                 // poll it for READABLE
//   r.wait(buffer, byteOffset, expected, id) -> 0 | -errno   (id: integer > 0)
//   r.cancel(id) -> 0 | -errno
//   r.reap(ids: Float64Array, results: Int32Array) -> count
//   r.close()
// Outcomes are numbers (0 woken, -EAGAIN not equal, -ECANCELED cancelled):
// the JS side keeps the buffers alive while their waits are armed.
#include <errno.h>

#include "errors.h"
#include "registry.h"
#include "sys/futex_ring.h"

namespace osipc {
namespace {

class FutexRingWrap : public Napi::ObjectWrap<FutexRingWrap> {
 public:
  static void Init(Napi::Env env, Napi::Object exports) {
    exports.Set("FutexRing", DefineClass(env, "FutexRing", {
        InstanceAccessor<&FutexRingWrap::Fd>("fd"),
        InstanceMethod<&FutexRingWrap::Wait>("wait"),
        InstanceMethod<&FutexRingWrap::Cancel>("cancel"),
        InstanceMethod<&FutexRingWrap::Reap>("reap"),
        InstanceMethod<&FutexRingWrap::Close>("close"),
    }));
  }

  explicit FutexRingWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<FutexRingWrap>(info) {
    int r = ring_.Open();
    if (r < 0) ThrowErrno(info.Env(), -r, "io_uring_setup");
  }

 private:
  Napi::Value Fd(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), ring_.fd()); }

  Napi::Value Wait(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 4 || !info[0].IsArrayBuffer() || !info[1].IsNumber() || !info[2].IsNumber() ||
        !info[3].IsNumber()) {
      Napi::TypeError::New(env, "wait(buffer, byteOffset, expected, id)").ThrowAsJavaScriptException();
      return {};
    }
    Napi::ArrayBuffer ab = info[0].As<Napi::ArrayBuffer>();
    int64_t off = info[1].As<Napi::Number>().Int64Value();
    double id = info[3].As<Napi::Number>().DoubleValue();
    if (off < 0 || off % 4 != 0 || static_cast<uint64_t>(off) + 4 > ab.ByteLength() || !(id >= 1)) {
      Napi::RangeError::New(env, "byteOffset must be 4-aligned and inside the buffer; id >= 1")
          .ThrowAsJavaScriptException();
      return {};
    }
    auto* word = reinterpret_cast<uint32_t*>(static_cast<uint8_t*>(ab.Data()) + off);
    uint32_t expected = static_cast<uint32_t>(info[2].As<Napi::Number>().Int32Value());
    return Napi::Number::New(env, ring_.Wait(word, expected, static_cast<uint64_t>(id)));
  }

  Napi::Value Cancel(const Napi::CallbackInfo& info) {
    double id = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : 0;
    if (!(id >= 1)) {
      Napi::RangeError::New(info.Env(), "id must be >= 1").ThrowAsJavaScriptException();
      return {};
    }
    return Napi::Number::New(info.Env(), ring_.Cancel(static_cast<uint64_t>(id)));
  }

  Napi::Value Reap(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsTypedArray() || !info[1].IsTypedArray() ||
        info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array ||
        info[1].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
      Napi::TypeError::New(env, "reap(ids: Float64Array, results: Int32Array)").ThrowAsJavaScriptException();
      return {};
    }
    auto ids = info[0].As<Napi::Float64Array>();
    auto results = info[1].As<Napi::Int32Array>();
    size_t max = ids.ElementLength() < results.ElementLength() ? ids.ElementLength() : results.ElementLength();
    if (max > 1024) max = 1024;
    uint64_t raw[1024];
    int n = ring_.Reap(raw, results.Data(), static_cast<int>(max));
    for (int i = 0; i < n; i++) ids[i] = static_cast<double>(raw[i]);
    return Napi::Number::New(env, n);
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    ring_.Close();
    return {};
  }

  sys::FutexRing ring_;
};

void Init(Napi::Env env, Napi::Object exports) { FutexRingWrap::Init(env, exports); }

}  // namespace
}  // namespace osipc

OSIPC_REGISTER(futex_ring, osipc::Init);
