// Process primitives for TypeScript (lib/os/process.ts checks every argument):
//   spawn(candidates[], argv[], envp[] | null, cwd | null, fdMap[], deathSignal, file)
//       -> [pid, pidfd]   pidfd is -errno when the platform has none
//   waitpid(pid, nohang) -> [pid, exitCode | -1, signal | 0] or null (still running)
//   pidfdSendSignal(pidfd, sig), pollReadable(fd, timeoutMs) -> 1 | 0
//   kill(pid, sig), getpid(), getppid()
//   fork() -> 0 in the child, pid in the parent (Linux), exit(code) (_exit)
#include <errno.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>
#include <v8.h>

#include <string>
#include <vector>

#include "errors.h"
#include "registry.h"
#include "sys/process.h"

extern char** environ;

namespace osipc {
namespace {

// Copies a JS array of strings; the pointers stay valid while `store` lives.
bool StringArray(Napi::Env env, Napi::Value v, const char* what, std::vector<std::string>* store,
                 std::vector<char*>* ptrs) {
  if (!v.IsArray()) {
    Napi::TypeError::New(env, std::string(what) + " must be an array of strings")
        .ThrowAsJavaScriptException();
    return false;
  }
  Napi::Array a = v.As<Napi::Array>();
  uint32_t n = a.Length();
  store->reserve(n);
  for (uint32_t i = 0; i < n; i++) {
    Napi::Value item = a.Get(i);
    if (!item.IsString()) {
      Napi::TypeError::New(env, std::string(what) + " must be an array of strings")
          .ThrowAsJavaScriptException();
      return false;
    }
    store->push_back(item.As<Napi::String>().Utf8Value());
  }
  ptrs->reserve(n + 1);
  for (std::string& s : *store) ptrs->push_back(&s[0]);
  ptrs->push_back(nullptr);
  return true;
}

const char* StageSyscall(int stage) {
  switch (stage) {
    case sys::kStageDup: return "dup2";
    case sys::kStageChdir: return "chdir";
    case sys::kStageExec: return "execve";
    case sys::kStageDeathSignal: return "prctl";
    default:
#ifdef __linux__
      return "clone";
#else
      return "fork";
#endif
  }
}

Napi::Value Spawn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 7) {
    Napi::TypeError::New(env, "spawn needs 7 arguments").ThrowAsJavaScriptException();
    return {};
  }
  std::vector<std::string> cand_store, argv_store, env_store;
  std::vector<char*> cand, argv, envp;
  if (!StringArray(env, info[0], "candidates", &cand_store, &cand)) return {};
  if (!StringArray(env, info[1], "argv", &argv_store, &argv)) return {};
  bool inherit_env = info[2].IsNull() || info[2].IsUndefined();
  if (!inherit_env && !StringArray(env, info[2], "envp", &env_store, &envp)) return {};
  std::string cwd;
  bool has_cwd = info[3].IsString();
  if (has_cwd) cwd = info[3].As<Napi::String>().Utf8Value();
  if (!info[4].IsArray()) {
    Napi::TypeError::New(env, "fdMap must be an array").ThrowAsJavaScriptException();
    return {};
  }
  Napi::Array map = info[4].As<Napi::Array>();
  std::vector<int> fd_map(map.Length());
  for (uint32_t i = 0; i < map.Length(); i++) {
    Napi::Value item = map.Get(i);
    fd_map[i] = item.IsNumber() ? item.As<Napi::Number>().Int32Value() : -1;
    // A source that is not open would make dup2 fail in the child, or worse,
    // name the report pipe the parent opens just before starting it.
    if (fd_map[i] >= 0 && fcntl(fd_map[i], F_GETFD) < 0) {
      ThrowErrno(env, errno, "fcntl");
      return {};
    }
  }
  int32_t death_signal;
  if (!ArgInt32(info, 5, &death_signal)) return {};
  std::string file;
  if (!ArgString(info, 6, &file)) return {};

  std::vector<int> scratch(fd_map.size() + 1);
  sys::SpawnPlan plan;
  plan.candidates = cand.data();
  plan.candidate_count = static_cast<int>(cand_store.size());
  plan.argv = argv.data();
  plan.envp = inherit_env ? environ : envp.data();
  plan.cwd = has_cwd ? cwd.c_str() : nullptr;
  plan.fd_map = fd_map.data();
  plan.fd_count = static_cast<int>(fd_map.size());
  plan.scratch = scratch.data();
  plan.death_signal = death_signal;

  int stage = 0;
  pid_t pid = sys::Spawn(plan, &stage);
  if (pid < 0) {
    const std::string& path = stage == sys::kStageChdir ? cwd : file;
    ThrowErrno(env, -pid, StageSyscall(stage), stage == sys::kStageExec || stage == sys::kStageChdir ? path : std::string());
    return {};
  }
  // The child is ours and unreaped, so its pid cannot be reused yet: opening
  // the pidfd now is race-free.
  int pidfd = sys::PidfdOpen(pid);
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, Napi::Number::New(env, pid));
  out.Set(1u, Napi::Number::New(env, pidfd));
  return out;
}

Napi::Value WaitPid(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int32_t pid;
  if (!ArgInt32(info, 0, &pid)) return {};
  bool nohang = info.Length() > 1 && info[1].ToBoolean();
  int status = 0;
  pid_t r = sys::WaitPid(pid, &status, nohang);
  if (r < 0) {
    ThrowErrno(env, -r, "waitpid");
    return {};
  }
  if (r == 0) return env.Null();
  Napi::Array out = Napi::Array::New(env, 3);
  out.Set(0u, Napi::Number::New(env, r));
  out.Set(1u, Napi::Number::New(env, WIFEXITED(status) ? WEXITSTATUS(status) : -1));
  out.Set(2u, Napi::Number::New(env, WIFSIGNALED(status) ? WTERMSIG(status) : 0));
  return out;
}

Napi::Value PidfdSendSignal(const Napi::CallbackInfo& info) {
  int32_t fd, sig;
  if (!ArgInt32(info, 0, &fd) || !ArgInt32(info, 1, &sig)) return {};
  int err = sys::PidfdSendSignal(fd, sig);
  if (err < 0) ThrowErrno(info.Env(), -err, "pidfd_send_signal");
  return {};
}

Napi::Value PollReadable(const Napi::CallbackInfo& info) {
  int32_t fd, timeout;
  if (!ArgInt32(info, 0, &fd) || !ArgInt32(info, 1, &timeout)) return {};
  int r = sys::PollReadable(fd, timeout);
  if (r < 0) {
    ThrowErrno(info.Env(), -r, "poll");
    return {};
  }
  return Napi::Number::New(info.Env(), r);
}

Napi::Value Kill(const Napi::CallbackInfo& info) {
  int32_t pid, sig;
  if (!ArgInt32(info, 0, &pid) || !ArgInt32(info, 1, &sig)) return {};
  int err = sys::Kill(pid, sig);
  if (err < 0) ThrowErrno(info.Env(), -err, "kill");
  return {};
}

Napi::Value GetPid(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), getpid());
}

Napi::Value GetPpid(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), getppid());
}

Napi::Value Fork(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
    Napi::Error::New(env, "no event loop").ThrowAsJavaScriptException();
    return {};
  }
  pid_t pid = sys::ForkWithHeap();
  if (pid < 0) {
    ThrowErrno(env, -pid, "fork");
    return {};
  }
  if (pid == 0) {
    // The loop's epoll fd, async wakeup pipe and signal pipe are shared with
    // the parent until uv_loop_fork re-creates them for this process.
    int err = uv_loop_fork(loop);
    if (err != 0) {
      static const char msg[] = "osipc fork(): uv_loop_fork failed in the child\n";
      ssize_t w = write(2, msg, sizeof msg - 1);
      (void)w;
      _exit(70);
    }
    // Only this thread exists in the child. V8's worker threads are gone, and
    // posting a task to them waits for ever on their condition variable (seen
    // as a hang in the first GC), so ask V8 to do that work on this thread.
    // Work already handed to a worker before the fork is not covered.
    static const char kOneThread[] =
        "--single-threaded-gc --no-parallel-scavenge --no-concurrent-marking "
        "--no-parallel-marking --no-concurrent-sweeping --no-parallel-compaction "
        "--no-parallel-pointer-update --no-concurrent-array-buffer-sweeping "
        "--no-concurrent-minor-mc-marking --no-concurrent-recompilation "
        "--no-concurrent-sparkplug --no-concurrent-osr "
        "--no-parallel-compile-tasks-for-lazy --no-parallel-compile-tasks-for-eager-toplevel "
        "--no-concurrent-cache-deserialization";
    v8::V8::SetFlagsFromString(kOneThread, sizeof kOneThread - 1);
  }
  return Napi::Number::New(env, pid);
}

Napi::Value Exit(const Napi::CallbackInfo& info) {
  int32_t code;
  if (!ArgInt32(info, 0, &code)) return {};
  _exit(code);
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("spawn", Napi::Function::New(env, Spawn));
  exports.Set("waitpid", Napi::Function::New(env, WaitPid));
  exports.Set("pidfdSendSignal", Napi::Function::New(env, PidfdSendSignal));
  exports.Set("pollReadable", Napi::Function::New(env, PollReadable));
  exports.Set("kill", Napi::Function::New(env, Kill));
  exports.Set("getpid", Napi::Function::New(env, GetPid));
  exports.Set("getppid", Napi::Function::New(env, GetPpid));
  exports.Set("fork", Napi::Function::New(env, Fork));
  exports.Set("exit", Napi::Function::New(env, Exit));
}

}  // namespace
}  // namespace osipc

OSIPC_REGISTER(process, osipc::Init);
