// Shared memory for TypeScript. A mapping is handed out as an external
// ArrayBuffer; whoever finishes first, an explicit shmUnmap or the buffer's
// garbage collection, unmaps it, exactly once.
//   shmCreate(name, size, mode) -> ArrayBuffer
//   shmOpen(name, readonly) -> ArrayBuffer
//   shmUnmap(buffer)        // munmap + detach: views read as empty, never fault
//   shmUnlink(name)
//   shmAnonymous(size) -> fd  // nameless, close-on-exec; travels as an fd
//   shmMapFd(fd) -> ArrayBuffer
#include <errno.h>

#include <mutex>
#include <unordered_map>

#include "errors.h"
#include "registry.h"
#include "sys/shm.h"

namespace osipc {
namespace {

struct State {
  sys::Mapping mapping;
  bool unmapped = false;
};

// Live mappings by address, so shmUnmap can find the state of a buffer.
// Guarded: worker threads have environments of their own.
std::mutex registry_mu;
std::unordered_map<void*, State*> registry;

void Finalize(napi_env, void* data, void* hint) {
  auto* state = static_cast<State*>(hint);
  {
    // The address may already belong to a newer mapping.
    std::lock_guard<std::mutex> lock(registry_mu);
    auto it = registry.find(data);
    if (it != registry.end() && it->second == state) registry.erase(it);
  }
  if (!state->unmapped) sys::Unmap(state->mapping);
  delete state;
}

Napi::Value Wrap(Napi::Env env, const sys::Mapping& m) {
  auto* state = new State{m};
  {
    std::lock_guard<std::mutex> lock(registry_mu);
    registry[m.addr] = state;
  }
  napi_value ab;
  napi_status status =
      napi_create_external_arraybuffer(env, m.addr, m.size, Finalize, state, &ab);
  if (status != napi_ok) {
    Finalize(env, m.addr, state);
    Napi::Error::New(env, "cannot create an ArrayBuffer over the mapping")
        .ThrowAsJavaScriptException();
    return {};
  }
  return Napi::Value(env, ab);
}

Napi::Value Create(const Napi::CallbackInfo& info) {
  std::string name;
  double size;
  int32_t mode;
  if (!ArgString(info, 0, &name) || !ArgDouble(info, 1, &size) || !ArgInt32(info, 2, &mode))
    return {};
  if (!(size >= 1)) {
    Napi::RangeError::New(info.Env(), "size must be at least 1").ThrowAsJavaScriptException();
    return {};
  }
  // tmpfs accepts any ftruncate, then kills the process with SIGBUS when a page
  // cannot be had: refuse sizes that cannot fit now.
  long long free_bytes = sys::ShmFreeBytes();
  if (free_bytes >= 0 && size > static_cast<double>(free_bytes)) {
    ThrowErrno(info.Env(), ENOSPC, "ftruncate", name);
    return {};
  }
  sys::Mapping m;
  int err = sys::ShmCreate(name.c_str(), static_cast<size_t>(size), mode, &m);
  if (err < 0) {
    ThrowErrno(info.Env(), -err, err == -EEXIST || err == -EACCES || err == -EINVAL ||
                                         err == -ENAMETOOLONG || err == -EMFILE
                                     ? "shm_open" : "mmap", name);
    return {};
  }
  return Wrap(info.Env(), m);
}

Napi::Value Open(const Napi::CallbackInfo& info) {
  std::string name;
  if (!ArgString(info, 0, &name)) return {};
  bool readonly = info.Length() > 1 && info[1].ToBoolean();
  sys::Mapping m;
  int err = sys::ShmOpen(name.c_str(), readonly, &m);
  if (err < 0) {
    ThrowErrno(info.Env(), -err, err == -EINVAL ? "mmap" : "shm_open", name);
    return {};
  }
  return Wrap(info.Env(), m);
}

Napi::Value Unmap(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsArrayBuffer()) {
    Napi::TypeError::New(info.Env(), "buffer must be an ArrayBuffer").ThrowAsJavaScriptException();
    return {};
  }
  Napi::ArrayBuffer ab = info[0].As<Napi::ArrayBuffer>();
  void* data = ab.Data();
  State* state = nullptr;
  {
    std::lock_guard<std::mutex> lock(registry_mu);
    auto it = registry.find(data);
    if (it != registry.end()) {
      state = it->second;
      registry.erase(it);  // the address is free for the next mapping
    }
  }
  if (state == nullptr || state->unmapped) return {};  // already unmapped: idempotent
  // Detach first, so no view can reach the memory once it is gone.
  ab.Detach();
  int err = sys::Unmap(state->mapping);
  state->unmapped = true;
  if (err < 0) ThrowErrno(info.Env(), -err, "munmap");
  return {};
}

Napi::Value Unlink(const Napi::CallbackInfo& info) {
  std::string name;
  if (!ArgString(info, 0, &name)) return {};
  int err = sys::ShmUnlink(name.c_str());
  if (err < 0) ThrowErrno(info.Env(), -err, "shm_unlink", name);
  return {};
}

Napi::Value Anonymous(const Napi::CallbackInfo& info) {
  double size;
  if (!ArgDouble(info, 0, &size)) return {};
  if (!(size >= 1 && size <= 1 << 30)) {
    Napi::RangeError::New(info.Env(), "size must be 1 to 2^30").ThrowAsJavaScriptException();
    return {};
  }
  int fd = sys::ShmAnonymous(static_cast<size_t>(size));
  if (fd < 0) {
    ThrowErrno(info.Env(), -fd, "memfd_create");
    return {};
  }
  return Napi::Number::New(info.Env(), fd);
}

Napi::Value MapFd(const Napi::CallbackInfo& info) {
  int32_t fd;
  if (!ArgInt32(info, 0, &fd)) return {};
  sys::Mapping m;
  int err = sys::ShmMapFd(fd, &m);
  if (err < 0) {
    ThrowErrno(info.Env(), -err, err == -EBADF ? "fstat" : "mmap");
    return {};
  }
  return Wrap(info.Env(), m);
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("shmAnonymous", Napi::Function::New(env, Anonymous));
  exports.Set("shmMapFd", Napi::Function::New(env, MapFd));
  exports.Set("shmCreate", Napi::Function::New(env, Create));
  exports.Set("shmOpen", Napi::Function::New(env, Open));
  exports.Set("shmUnmap", Napi::Function::New(env, Unmap));
  exports.Set("shmUnlink", Napi::Function::New(env, Unlink));
}

}  // namespace
}  // namespace osipc

OSIPC_REGISTER(shm, osipc::Init);
