// POSIX message queues for TypeScript (lib/os/message-queue.ts):
//   mqOpen(name, oflag, mode, maxMessages, messageSize) -> descriptor
//   mqClose(mqd), mqUnlink(name), mqUnlinkIfSame(name, mqd) -> boolean
//   mqGetAttributes(mqd) -> { flags, maxMessages, messageSize, currentMessages }
//   mqSend(mqd, data, priority, timeoutMs) -> 0, -EAGAIN or -ETIMEDOUT
//   mqReceive(mqd, buffer, priorityOut, timeoutMs) -> length, -EAGAIN or -ETIMEDOUT
// timeoutMs 0 is one non-blocking attempt; Infinity waits for ever (Sync forms).
// Descriptors still open when the environment ends (a worker exits, the
// process ends) are closed by an env cleanup hook.
#include <errno.h>
#include <fcntl.h>

#include <set>

#include "errors.h"
#include "registry.h"
#include "sys/mq.h"

namespace osipc {
namespace {

// Descriptors this environment opened and has not closed yet.
struct OpenSet {
  std::set<int> fds;
};

void CloseAll(void* arg) {
  OpenSet* open = static_cast<OpenSet*>(arg);
  for (int fd : open->fds) sys::MqClose(fd);
  delete open;
}

OpenSet* Tracked(const Napi::CallbackInfo& info) { return static_cast<OpenSet*>(info.Data()); }

Napi::Value Open(const Napi::CallbackInfo& info) {
  std::string name;
  int32_t oflag, mode;
  int64_t maxMessages, messageSize;
  if (!ArgString(info, 0, &name) || !ArgInt32(info, 1, &oflag) || !ArgInt32(info, 2, &mode) ||
      !ArgInt64(info, 3, &maxMessages) || !ArgInt64(info, 4, &messageSize))
    return {};
  int fd = sys::MqOpen(name.c_str(), oflag, mode, static_cast<long>(maxMessages),
                       static_cast<long>(messageSize));
  if (fd < 0) {
    ThrowErrno(info.Env(), -fd, "mq_open", name);
    return {};
  }
  Tracked(info)->fds.insert(fd);
  return Napi::Number::New(info.Env(), fd);
}

Napi::Value Close(const Napi::CallbackInfo& info) {
  int32_t fd;
  if (!ArgInt32(info, 0, &fd)) return {};
  OpenSet* open = Tracked(info);
  // Only descriptors this environment opened: a stale number never closes
  // an fd that now belongs to something else.
  if (open->fds.erase(fd) == 0) {
    ThrowErrno(info.Env(), EBADF, "mq_close");
    return {};
  }
  int err = sys::MqClose(fd);
  if (err < 0) ThrowErrno(info.Env(), -err, "mq_close");
  return {};
}

Napi::Value Unlink(const Napi::CallbackInfo& info) {
  std::string name;
  if (!ArgString(info, 0, &name)) return {};
  int err = sys::MqUnlink(name.c_str());
  if (err < 0) ThrowErrno(info.Env(), -err, "mq_unlink", name);
  return {};
}

Napi::Value UnlinkIfSame(const Napi::CallbackInfo& info) {
  std::string name;
  int32_t fd;
  if (!ArgString(info, 0, &name) || !ArgInt32(info, 1, &fd)) return {};
  int r = sys::MqUnlinkIfSame(name.c_str(), fd);
  if (r < 0) {
    ThrowErrno(info.Env(), -r, "mq_unlink", name);
    return {};
  }
  return Napi::Boolean::New(info.Env(), r == 1);
}

Napi::Value GetAttributes(const Napi::CallbackInfo& info) {
  int32_t fd;
  if (!ArgInt32(info, 0, &fd)) return {};
  sys::MqAttributes attr;
  int err = sys::MqGetAttributes(fd, &attr);
  if (err < 0) {
    ThrowErrno(info.Env(), -err, "mq_getattr");
    return {};
  }
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("flags", Napi::Number::New(env, static_cast<double>(attr.flags)));
  out.Set("maxMessages", Napi::Number::New(env, static_cast<double>(attr.maxMessages)));
  out.Set("messageSize", Napi::Number::New(env, static_cast<double>(attr.messageSize)));
  out.Set("currentMessages", Napi::Number::New(env, static_cast<double>(attr.currentMessages)));
  return out;
}

Napi::Value Send(const Napi::CallbackInfo& info) {
  int32_t fd;
  uint8_t* data;
  size_t len;
  int64_t priority;
  double timeoutMs;
  if (!ArgInt32(info, 0, &fd) || !ArgBytes(info, 1, &data, &len) || !ArgInt64(info, 2, &priority) ||
      !ArgDouble(info, 3, &timeoutMs))
    return {};
  int r = sys::MqSend(fd, data, len, static_cast<unsigned>(priority), timeoutMs);
  if (r < 0 && r != -EAGAIN && r != -ETIMEDOUT) {
    ThrowErrno(info.Env(), -r, "mq_send");
    return {};
  }
  return Napi::Number::New(info.Env(), r);
}

Napi::Value Receive(const Napi::CallbackInfo& info) {
  int32_t fd;
  uint8_t* buf;
  size_t cap;
  double timeoutMs;
  if (!ArgInt32(info, 0, &fd) || !ArgBytes(info, 1, &buf, &cap)) return {};
  if (info.Length() < 3 || !info[2].IsTypedArray() ||
      info[2].As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array) {
    Napi::TypeError::New(info.Env(), "argument 2 must be a Uint32Array").ThrowAsJavaScriptException();
    return {};
  }
  if (!ArgDouble(info, 3, &timeoutMs)) return {};
  unsigned priority = 0;
  ssize_t n = sys::MqReceive(fd, buf, cap, &priority, timeoutMs);
  if (n < 0 && n != -EAGAIN && n != -ETIMEDOUT) {
    ThrowErrno(info.Env(), static_cast<int>(-n), "mq_receive");
    return {};
  }
  if (n >= 0) {
    Napi::Uint32Array out = info[2].As<Napi::Uint32Array>();
    if (out.ElementLength() > 0) out[0] = priority;
  }
  return Napi::Number::New(info.Env(), static_cast<double>(n));
}

void Init(Napi::Env env, Napi::Object exports) {
  OpenSet* open = new OpenSet();
  napi_add_env_cleanup_hook(env, CloseAll, open);
  exports.Set("mqOpen", Napi::Function::New(env, Open, "mqOpen", open));
  exports.Set("mqClose", Napi::Function::New(env, Close, "mqClose", open));
  exports.Set("mqUnlink", Napi::Function::New(env, Unlink));
  exports.Set("mqUnlinkIfSame", Napi::Function::New(env, UnlinkIfSame));
  exports.Set("mqGetAttributes", Napi::Function::New(env, GetAttributes));
  exports.Set("mqSend", Napi::Function::New(env, Send));
  exports.Set("mqReceive", Napi::Function::New(env, Receive));
  Napi::Object c = Napi::Object::New(env);
  c.Set("MQ_PRIO_MAX", Napi::Number::New(env, static_cast<double>(sys::MqPriorityLimit())));
  c.Set("O_RDONLY", Napi::Number::New(env, O_RDONLY));
  c.Set("O_WRONLY", Napi::Number::New(env, O_WRONLY));
  c.Set("O_RDWR", Napi::Number::New(env, O_RDWR));
  c.Set("O_CREAT", Napi::Number::New(env, O_CREAT));
  c.Set("O_EXCL", Napi::Number::New(env, O_EXCL));
  c.Set("O_NONBLOCK", Napi::Number::New(env, O_NONBLOCK));
  c.Set("EAGAIN", Napi::Number::New(env, EAGAIN));
  c.Set("ETIMEDOUT", Napi::Number::New(env, ETIMEDOUT));
  exports.Set("mqConstants", c);
}

}  // namespace
}  // namespace osipc

OSIPC_REGISTER(mq, osipc::Init);
