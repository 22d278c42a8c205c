#include "wait_service.h"

#include <time.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "errors.h"
#include "registry.h"

namespace osipc {

int64_t MonotonicNs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

namespace {

// A thread waits this long at most before it checks for cancellation and lets
// another queued wait run.
constexpr int64_t kSliceNs = 100 * 1000000LL;
// Past this many threads, pending waits share them in slices.
constexpr size_t kMaxThreads = 64;

struct Entry {
  std::unique_ptr<WaitJob> job;
  napi_deferred deferred = nullptr;
  uint32_t id = 0;
  bool ref = true;
};

class Service;
// One service per environment; each environment (main or worker) has its own
// thread, so a thread_local finds it without taking the instance-data slot.
thread_local Service* current_service = nullptr;

class Service {
 public:
  explicit Service(napi_env env) {
    napi_value name;
    napi_create_string_utf8(env, "osipc:wait", NAPI_AUTO_LENGTH, &name);
    napi_create_threadsafe_function(env, nullptr, nullptr, name, 0, 1, nullptr, nullptr, this,
                                    CallJs, &tsfn_);
    napi_unref_threadsafe_function(env, tsfn_);
    napi_add_env_cleanup_hook(env, Teardown, this);
  }

  Napi::Value Start(Napi::Env env, std::unique_ptr<WaitJob> job, bool ref) {
    auto* entry = new Entry();
    entry->job = std::move(job);
    entry->id = ++next_id_;
    entry->ref = ref;
    napi_value promise;
    napi_create_promise(env, &entry->deferred, &promise);
    live_[entry->id] = entry;
    if (ref && refs_++ == 0) napi_ref_threadsafe_function(env, tsfn_);
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.push_back(entry);
      if (idle_ == 0 && threads_.size() < kMaxThreads) threads_.emplace_back(&Service::Run, this);
    }
    cv_.notify_one();
    Napi::Array out = Napi::Array::New(env, 2);
    out.Set(0u, Napi::Value(env, promise));
    out.Set(1u, Napi::Number::New(env, entry->id));
    return out;
  }

  void Cancel(uint32_t id) {
    auto it = live_.find(id);
    if (it == live_.end()) return;
    it->second->job->cancelled = true;
    it->second->job->Interrupt();
  }

 private:
  void Run() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      idle_++;
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      idle_--;
      if (stopping_) return;
      Entry* entry = queue_.front();
      queue_.pop_front();
      lock.unlock();
      bool done = false;
      for (;;) {
        done = entry->job->cancelled || entry->job->Step(kSliceNs);
        if (done) break;
        // Let another pending wait have this thread when all are busy.
        std::lock_guard<std::mutex> relock(mu_);
        if (stopping_ || (!queue_.empty() && idle_ == 0)) break;
      }
      if (done) {
        napi_call_threadsafe_function(tsfn_, entry, napi_tsfn_nonblocking);
        lock.lock();
      } else {
        lock.lock();
        if (stopping_) return;  // Teardown frees every live entry.
        queue_.push_back(entry);
      }
    }
  }

  // JS thread: settle the Promise of a finished wait.
  static void CallJs(napi_env env, napi_value, void* context, void* data) {
    auto* self = static_cast<Service*>(context);
    auto* entry = static_cast<Entry*>(data);
    // After teardown (env null) `self` is gone: Teardown freed the entries.
    if (env == nullptr) return;
    self->live_.erase(entry->id);
    if (entry->ref && --self->refs_ == 0) napi_unref_threadsafe_function(env, self->tsfn_);
    Napi::Env e(env);
    Napi::HandleScope scope(e);
    Napi::Value result = entry->job->Result(e, entry->job->cancelled);
    if (e.IsExceptionPending()) {
      Napi::Error error = e.GetAndClearPendingException();
      napi_reject_deferred(env, entry->deferred, error.Value());
    } else {
      napi_resolve_deferred(env, entry->deferred, result);
    }
    delete entry;
  }

  // The environment is going away: stop every wait and every thread.
  static void Teardown(void* arg) {
    auto* self = static_cast<Service*>(arg);
    {
      std::lock_guard<std::mutex> lock(self->mu_);
      self->stopping_ = true;
    }
    for (auto& kv : self->live_) {
      kv.second->job->cancelled = true;
      kv.second->job->Interrupt();
    }
    self->cv_.notify_all();
    for (std::thread& t : self->threads_) t.join();
    napi_release_threadsafe_function(self->tsfn_, napi_tsfn_abort);
    for (auto& kv : self->live_) delete kv.second;
    self->live_.clear();
    current_service = nullptr;
    delete self;
  }

  napi_threadsafe_function tsfn_ = nullptr;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Entry*> queue_;
  std::vector<std::thread> threads_;
  size_t idle_ = 0;
  bool stopping_ = false;
  // JS thread only.
  std::unordered_map<uint32_t, Entry*> live_;
  uint32_t next_id_ = 0;
  size_t refs_ = 0;
};

Service* ServiceFor(Napi::Env env) {
  if (current_service == nullptr) current_service = new Service(env);
  return current_service;
}

Napi::Value CancelWait(const Napi::CallbackInfo& info) {
  int32_t id;
  if (!ArgInt32(info, 0, &id)) return {};
  ServiceFor(info.Env())->Cancel(static_cast<uint32_t>(id));
  return {};
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("cancelWait", Napi::Function::New(env, CancelWait));
}

}  // namespace

Napi::Value StartWait(Napi::Env env, std::unique_ptr<WaitJob> job, bool ref) {
  return ServiceFor(env)->Start(env, std::move(job), ref);
}

}  // namespace osipc

OSIPC_REGISTER(wait_service, osipc::Init);
