// Poller: a uv_poll_t on one fd, so fd-backed objects (pipes, sockets, Linux mq
// descriptors, pidfds) wait for readiness on libuv's own loop with no thread
// and no busy loop. Readiness is a hint: the caller retries its non-blocking
// call and waits again on EAGAIN.
//
//   const p = new Poller(fd);
//   p.onevent = (status, events) => {};  // status: 0 or -errno
//   p.start(events)   // UV_READABLE=1 | UV_WRITABLE=2 | UV_DISCONNECT=4
//   p.stop(); p.ref(); p.unref(); p.close()
//
// libuv allows one poll handle per fd per loop; the TypeScript owner keeps one.
#include <uv.h>

#include "errors.h"
#include "registry.h"

namespace osipc {
namespace {

class Poller : public Napi::ObjectWrap<Poller> {
 public:
  static void Init(Napi::Env env, Napi::Object exports) {
    Napi::Function ctor = DefineClass(env, "Poller", {
        InstanceMethod<&Poller::Start>("start"),
        InstanceMethod<&Poller::Stop>("stop"),
        InstanceMethod<&Poller::Ref>("ref"),
        InstanceMethod<&Poller::Unref>("unref"),
        InstanceMethod<&Poller::Close>("close"),
    });
    exports.Set("Poller", ctor);
  }

  explicit Poller(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Poller>(info) {
    Napi::Env env = info.Env();
    int32_t fd;
    if (!ArgInt32(info, 0, &fd)) return;
    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok) {
      Napi::Error::New(env, "no event loop").ThrowAsJavaScriptException();
      return;
    }
    handle_ = new uv_poll_t();
    int err = uv_poll_init(loop, handle_, fd);
    if (err != 0) {
      delete handle_;
      handle_ = nullptr;
      ThrowErrno(env, -err, "uv_poll_init");
      return;
    }
    handle_->data = this;
    context_ = new Napi::AsyncContext(env, "osipc:Poller");
  }

  ~Poller() override { CloseHandle(); }

 private:
  static void OnPoll(uv_poll_t* handle, int status, int events) {
    Poller* self = static_cast<Poller*>(handle->data);
    if (self == nullptr) return;
    napi_env env = self->Env();
    Napi::HandleScope scope(self->Env());
    // The callback is a property of the JS object, not a strong reference
    // held here, so an abandoned Poller can still be collected.
    Napi::Object obj = self->Value();
    napi_value cb;
    napi_valuetype type;
    if (napi_get_named_property(env, obj, "onevent", &cb) != napi_ok ||
        napi_typeof(env, cb, &type) != napi_ok || type != napi_function) {
      return;
    }
    napi_value argv[2];
    napi_create_int32(env, status, &argv[0]);
    napi_create_int32(env, events, &argv[1]);
    napi_value result;
    // The C call, not node-addon-api's: this runs from libuv with no JS below
    // it, where node-addon-api's throw-on-failure aborts the process. That
    // happens during Node's teardown (FreeEnvironment runs the loop once more
    // and an fd, say a child's pidfd, turns readable): JS cannot run any more,
    // and the event is simply dropped. MakeCallback drains microtasks, so
    // Promise reactions run now.
    napi_status st = napi_make_callback(env, static_cast<napi_async_context>(*self->context_), obj, cb,
                                        2, argv, &result);
    if (st != napi_ok) {
      bool pending = false;
      napi_value err;
      if (napi_is_exception_pending(env, &pending) == napi_ok && pending &&
          napi_get_and_clear_last_exception(env, &err) == napi_ok) {
        // The callback threw: report it as an uncaught exception, as Node does.
        napi_fatal_exception(env, err);
      }
    }
  }

  Napi::Value Start(const Napi::CallbackInfo& info) {
    int32_t events;
    if (!ArgInt32(info, 0, &events)) return {};
    if (handle_ == nullptr) {
      ThrowErrno(info.Env(), EBADF, "uv_poll_start");
      return {};
    }
    int err = uv_poll_start(handle_, events, OnPoll);
    if (err != 0) ThrowErrno(info.Env(), -err, "uv_poll_start");
    return {};
  }

  Napi::Value Stop(const Napi::CallbackInfo& info) {
    if (handle_ != nullptr) uv_poll_stop(handle_);
    return {};
  }

  Napi::Value Ref(const Napi::CallbackInfo& info) {
    if (handle_ != nullptr) uv_ref(reinterpret_cast<uv_handle_t*>(handle_));
    return {};
  }

  Napi::Value Unref(const Napi::CallbackInfo& info) {
    if (handle_ != nullptr) uv_unref(reinterpret_cast<uv_handle_t*>(handle_));
    return {};
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    CloseHandle();
    return {};
  }

  // Idempotent. The handle's memory is freed by libuv's close callback, which
  // runs on a later loop turn, possibly after this object is gone.
  void CloseHandle() {
    if (handle_ == nullptr) return;
    uv_poll_stop(handle_);
    handle_->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(handle_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
    handle_ = nullptr;
    delete context_;
    context_ = nullptr;
  }

  uv_poll_t* handle_ = nullptr;
  Napi::AsyncContext* context_ = nullptr;
};

void Init(Napi::Env env, Napi::Object exports) { Poller::Init(env, exports); }

}  // namespace
}  // namespace osipc

OSIPC_REGISTER(poller, osipc::Init);
