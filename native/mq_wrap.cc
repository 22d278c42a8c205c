// POSIX message queues for TypeScript (lib/os/message-queue.ts):
//   mqOpen(name, oflag, mode, maxMessages, messageSize) -> descriptor
//   mqClose(mqd), mqUnlink(name), mqUnlinkIfSame(name, mqd) -> boolean
//   mqGetAttributes(mqd) -> { flags, maxMessages, messageSize, currentMessages }
//   mqSend(mqd, data, priority, timeoutMs) -> 0, -EAGAIN or -ETIMEDOUT
//   mqReceive(mqd, buffer, offset, timeoutMs) -> length + priority * 2^32, -EAGAIN or -ETIMEDOUT
// timeoutMs 0 is one non-blocking attempt; Infinity waits for ever (Sync forms).
// Descriptors still open when the environment ends (a worker exits, the
// process ends) are closed by an env cleanup hook.
#include <errno.h>
#include <fcntl.h>

#include <initializer_list>
#include <set>
#include <utility>

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

// Send and receive are called once per message: plain napi (one
// napi_get_cb_info, one napi_get_typedarray_info), numbers in and out.

// The bytes of typed array `value` (any element type; data already offset).
bool ViewBytes(napi_env env, napi_value value, uint8_t** data, size_t* len) {
  napi_typedarray_type type;
  size_t length;
  void* base = nullptr;
  if (napi_get_typedarray_info(env, value, &type, &length, &base, nullptr, nullptr) != napi_ok) {
    napi_throw_type_error(env, nullptr, "data must be a typed array");
    return false;
  }
  size_t size = 1;
  switch (type) {
    case napi_int16_array: case napi_uint16_array: size = 2; break;
    case napi_int32_array: case napi_uint32_array: case napi_float32_array: size = 4; break;
    case napi_float64_array: case napi_bigint64_array: case napi_biguint64_array: size = 8; break;
    default: break;
  }
  *data = static_cast<uint8_t*>(base);
  *len = length * size;
  return true;
}

bool Numbers(napi_env env, const napi_value* argv, std::initializer_list<std::pair<size_t, double*>> out) {
  for (auto& [i, p] : out) {
    if (napi_get_value_double(env, argv[i], p) != napi_ok) {
      napi_throw_type_error(env, nullptr, "argument must be a number");
      return false;
    }
  }
  return true;
}

napi_value Num(napi_env env, double v) {
  napi_value out;
  napi_create_double(env, v, &out);
  return out;
}

// mqSend(mqd, data, priority, timeoutMs) -> 0, -EAGAIN or -ETIMEDOUT
napi_value Send(napi_env env, napi_callback_info cb) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, cb, &argc, argv, nullptr, nullptr);
  double fd, priority, timeoutMs;
  uint8_t* data;
  size_t len;
  if (argc < 4) {
    napi_throw_type_error(env, nullptr, "mqSend(mqd, data, priority, timeoutMs)");
    return nullptr;
  }
  if (!ViewBytes(env, argv[1], &data, &len) || !Numbers(env, argv, {{0, &fd}, {2, &priority}, {3, &timeoutMs}}))
    return nullptr;
  int r = sys::MqSend(static_cast<int>(fd), data, len, static_cast<unsigned>(priority), timeoutMs);
  if (r < 0 && r != -EAGAIN && r != -ETIMEDOUT) {
    ThrowErrno(Napi::Env(env), -r, "mq_send");
    return nullptr;
  }
  return Num(env, r);
}

// mqReceive(mqd, buffer, offset, timeoutMs) -> length + priority * 2^32 (the
// message lands at buffer[offset..]), -EAGAIN or -ETIMEDOUT. Packing the
// priority into the result spares an output array per call.
napi_value Receive(napi_env env, napi_callback_info cb) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, cb, &argc, argv, nullptr, nullptr);
  double fd, offset, timeoutMs;
  uint8_t* buf;
  size_t cap;
  if (argc < 4) {
    napi_throw_type_error(env, nullptr, "mqReceive(mqd, buffer, offset, timeoutMs)");
    return nullptr;
  }
  if (!ViewBytes(env, argv[1], &buf, &cap) || !Numbers(env, argv, {{0, &fd}, {2, &offset}, {3, &timeoutMs}}))
    return nullptr;
  if (!(offset >= 0) || offset > static_cast<double>(cap)) {
    napi_throw_range_error(env, nullptr, "offset must be inside the buffer");
    return nullptr;
  }
  size_t off = static_cast<size_t>(offset);
  unsigned priority = 0;
  ssize_t n = sys::MqReceive(static_cast<int>(fd), buf + off, cap - off, &priority, timeoutMs);
  if (n < 0 && n != -EAGAIN && n != -ETIMEDOUT) {
    ThrowErrno(Napi::Env(env), static_cast<int>(-n), "mq_receive");
    return nullptr;
  }
  if (n < 0) return Num(env, static_cast<double>(n));
  return Num(env, static_cast<double>(n) + static_cast<double>(priority) * 4294967296.0);
}

Napi::Value RawFunction(Napi::Env env, const char* name, napi_callback cb) {
  napi_value fn;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, nullptr, &fn);
  return Napi::Value(env, fn);
}

void Init(Napi::Env env, Napi::Object exports) {
  OpenSet* open = new OpenSet();
  napi_add_env_cleanup_hook(env, CloseAll, open);
  exports.Set("mqOpen", Napi::Function::New(env, Open, "mqOpen", open));
  exports.Set("mqClose", Napi::Function::New(env, Close, "mqClose", open));
  exports.Set("mqUnlink", Napi::Function::New(env, Unlink));
  exports.Set("mqUnlinkIfSame", Napi::Function::New(env, UnlinkIfSame));
  exports.Set("mqGetAttributes", Napi::Function::New(env, GetAttributes));
  exports.Set("mqSend", RawFunction(env, "mqSend", Send));
  exports.Set("mqReceive", RawFunction(env, "mqReceive", Receive));
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
