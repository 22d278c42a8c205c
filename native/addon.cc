#include "registry.h"

#include <cstring>
#include <vector>

namespace osipc {

namespace {
struct Entry {
  const char* name;
  InitFn fn;
};
// A function-local static: registrations run from static initializers of the
// other translation units, in no defined order.
std::vector<Entry>& Entries() {
  static std::vector<Entry> entries;
  return entries;
}
}  // namespace

Registration::Registration(const char* name, InitFn fn) {
  Entries().push_back({name, fn});
}

void InitAll(Napi::Env env, Napi::Object exports) {
  for (const Entry& e : Entries()) e.fn(env, exports);
}

}  // namespace osipc

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  osipc::InitAll(env, exports);
  return exports;
}

NODE_API_MODULE(osipc, Init)
