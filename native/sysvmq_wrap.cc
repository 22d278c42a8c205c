// System V message queues for TypeScript (lib/os/sysv-message-queue.ts):
//   sysvGet(key, flags) -> id                  (msgget)
//   sysvFtok(path, id) -> key
//   sysvStat(qid) -> { key, mode, uid, ..., currentMessages, maxBytes, ... }
//   sysvRemove(qid)                            (msgctl IPC_RMID)
//   sysvSend(qid, msgbuf, len, type, timeoutMs) -> 0, -EAGAIN or -ETIMEDOUT
//   sysvReceive(qid, msgbuf, type, timeoutMs, typeOut) -> length, -EAGAIN or -ETIMEDOUT
// A msgbuf is a Uint8Array laid out as `struct msgbuf`: the long mtype
// (sysvConstants.HEADER bytes, written/read here) then the text.
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>

#include "errors.h"
#include "registry.h"
#include "sys/sysvmq.h"

namespace osipc {
namespace {

std::string KeyText(long key) {
  char text[32];
  snprintf(text, sizeof text, "0x%08lx", static_cast<unsigned long>(key) & 0xffffffffUL);
  return text;
}

bool ArgBytes(const Napi::CallbackInfo& info, size_t i, uint8_t** data, size_t* len) {
  if (info.Length() <= i || !info[i].IsTypedArray()) {
    Napi::TypeError::New(info.Env(), "argument " + std::to_string(i) + " must be a Uint8Array")
        .ThrowAsJavaScriptException();
    return false;
  }
  Napi::TypedArray ta = info[i].As<Napi::TypedArray>();
  *data = static_cast<uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
  *len = ta.ByteLength();
  return true;
}

Napi::Value Get(const Napi::CallbackInfo& info) {
  int64_t key;
  int32_t flags;
  if (!ArgInt64(info, 0, &key) || !ArgInt32(info, 1, &flags)) return {};
  int id = sys::SysvGet(static_cast<long>(key), flags);
  if (id < 0) {
    ThrowErrno(info.Env(), -id, "msgget", KeyText(static_cast<long>(key)));
    return {};
  }
  return Napi::Number::New(info.Env(), id);
}

Napi::Value Ftok(const Napi::CallbackInfo& info) {
  std::string path;
  int32_t id;
  if (!ArgString(info, 0, &path) || !ArgInt32(info, 1, &id)) return {};
  long key = 0;
  int err = sys::SysvFtok(path.c_str(), id, &key);
  if (err < 0) {
    ThrowErrno(info.Env(), -err, "ftok", path);
    return {};
  }
  return Napi::Number::New(info.Env(), static_cast<double>(key));
}

Napi::Value Stat(const Napi::CallbackInfo& info) {
  int32_t qid;
  if (!ArgInt32(info, 0, &qid)) return {};
  sys::SysvStat st;
  int err = sys::SysvStatQueue(qid, &st);
  if (err < 0) {
    ThrowErrno(info.Env(), -err, "msgctl");
    return {};
  }
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  auto num = [&](const char* k, double v) { o.Set(k, Napi::Number::New(env, v)); };
  num("key", static_cast<double>(static_cast<int32_t>(st.key)));
  num("mode", st.mode);
  num("uid", st.uid);
  num("gid", st.gid);
  num("cuid", st.cuid);
  num("cgid", st.cgid);
  num("currentMessages", static_cast<double>(st.currentMessages));
  num("maxBytes", static_cast<double>(st.maxBytes));
  num("currentBytes", static_cast<double>(st.currentBytes));
  num("lastSendPid", static_cast<double>(st.lastSendPid));
  num("lastReceivePid", static_cast<double>(st.lastReceivePid));
  num("lastSendTime", static_cast<double>(st.lastSendTime));
  num("lastReceiveTime", static_cast<double>(st.lastReceiveTime));
  num("lastChangeTime", static_cast<double>(st.lastChangeTime));
  return o;
}

Napi::Value Remove(const Napi::CallbackInfo& info) {
  int32_t qid;
  if (!ArgInt32(info, 0, &qid)) return {};
  int err = sys::SysvRemove(qid);
  if (err < 0) ThrowErrno(info.Env(), -err, "msgctl");
  return {};
}

Napi::Value Send(const Napi::CallbackInfo& info) {
  int32_t qid;
  uint8_t* msg;
  size_t cap;
  int64_t len;
  double type, timeoutMs;
  if (!ArgInt32(info, 0, &qid) || !ArgBytes(info, 1, &msg, &cap) || !ArgInt64(info, 2, &len) ||
      !ArgDouble(info, 3, &type) || !ArgDouble(info, 4, &timeoutMs))
    return {};
  if (len < 0 || static_cast<uint64_t>(len) + sys::kSysvHeader > cap) {
    Napi::RangeError::New(info.Env(), "length must fit in the message buffer").ThrowAsJavaScriptException();
    return {};
  }
  long mtype = static_cast<long>(type);
  memcpy(msg, &mtype, sizeof mtype);
  int r = sys::SysvSend(qid, msg, static_cast<size_t>(len), timeoutMs);
  if (r < 0 && r != -EAGAIN && r != -ETIMEDOUT) {
    ThrowErrno(info.Env(), -r, "msgsnd");
    return {};
  }
  return Napi::Number::New(info.Env(), r);
}

Napi::Value Receive(const Napi::CallbackInfo& info) {
  int32_t qid;
  uint8_t* buf;
  size_t cap;
  double type, timeoutMs;
  if (!ArgInt32(info, 0, &qid) || !ArgBytes(info, 1, &buf, &cap) || !ArgDouble(info, 2, &type) ||
      !ArgDouble(info, 3, &timeoutMs))
    return {};
  if (info.Length() < 5 || !info[4].IsTypedArray() ||
      info[4].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
    Napi::TypeError::New(info.Env(), "argument 4 must be a Float64Array").ThrowAsJavaScriptException();
    return {};
  }
  if (cap < sys::kSysvHeader) {
    Napi::RangeError::New(info.Env(), "message buffer too small").ThrowAsJavaScriptException();
    return {};
  }
  ssize_t n = sys::SysvReceive(qid, buf, cap - sys::kSysvHeader, static_cast<long>(type), timeoutMs);
  if (n < 0 && n != -EAGAIN && n != -ETIMEDOUT) {
    ThrowErrno(info.Env(), static_cast<int>(-n), "msgrcv");
    return {};
  }
  if (n >= 0) {
    long mtype;
    memcpy(&mtype, buf, sizeof mtype);
    Napi::Float64Array out = info[4].As<Napi::Float64Array>();
    if (out.ElementLength() > 0) out[0] = static_cast<double>(mtype);
  }
  return Napi::Number::New(info.Env(), static_cast<double>(n));
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("sysvGet", Napi::Function::New(env, Get));
  exports.Set("sysvFtok", Napi::Function::New(env, Ftok));
  exports.Set("sysvStat", Napi::Function::New(env, Stat));
  exports.Set("sysvRemove", Napi::Function::New(env, Remove));
  exports.Set("sysvSend", Napi::Function::New(env, Send));
  exports.Set("sysvReceive", Napi::Function::New(env, Receive));
  Napi::Object c = Napi::Object::New(env);
  c.Set("IPC_PRIVATE", Napi::Number::New(env, static_cast<double>(IPC_PRIVATE)));
  c.Set("IPC_CREAT", Napi::Number::New(env, IPC_CREAT));
  c.Set("IPC_EXCL", Napi::Number::New(env, IPC_EXCL));
  c.Set("HEADER", Napi::Number::New(env, static_cast<double>(sys::kSysvHeader)));
  // Largest message type: LONG_MAX, capped where a double stops being exact.
  c.Set("TYPE_MAX", Napi::Number::New(env, sizeof(long) >= 8 ? 9007199254740991.0 : 2147483647.0));
  c.Set("EAGAIN", Napi::Number::New(env, EAGAIN));
  c.Set("ETIMEDOUT", Napi::Number::New(env, ETIMEDOUT));
  exports.Set("sysvConstants", c);
}

}  // namespace
}  // namespace osipc

OSIPC_REGISTER(sysvmq, osipc::Init);
