// fd I/O for TypeScript, beyond fd_wrap's read/write:
//   writev(fd, chunks: Uint8Array[], start, firstOffset, maxBytes) -> bytes written or -EAGAIN
//       (gathers chunks[start...], skipping firstOffset bytes of the first,
//       at most maxBytes in all and at most 64 chunks)
//   readv(fd, chunks, start, firstOffset, maxBytes) -> bytes read (0 at EOF) or -EAGAIN
//       (scatters into the chunks as writev gathers)
//   dup(fd) -> a close-on-exec duplicate
//   setPipeSize(fd, bytes) -> the pipe's new capacity, or -errno (not thrown:
//       a pipe keeps working at its old size)
//   pollFd(fd, events, timeoutMs) -> fired events, 0 on timeout (blocks: Sync forms only)
//   bytesReadable(fd) -> unread bytes in a pipe or socket (FIONREAD)
// Events: 1 readable, 2 writable, 4 hang-up, 8 error (invalid fd included).
#include <errno.h>
#include <poll.h>
#include <sys/uio.h>

#include "errors.h"
#include "registry.h"
#include "sys/fdio.h"

namespace osipc {
namespace {

constexpr int kMaxChunks = 64;

// Fills iov from a JS array of Uint8Array (args: chunks, start, firstOffset,
// maxBytes), skipping `firstOffset` bytes of chunks[start]. Returns the
// count, or -1 after throwing.
int GatherChunks(const Napi::CallbackInfo& info, size_t arg, struct iovec* iov) {
  int64_t start, first_offset, max_bytes;
  if (!ArgInt64(info, arg + 1, &start) || !ArgInt64(info, arg + 2, &first_offset) ||
      !ArgInt64(info, arg + 3, &max_bytes))
    return -1;
  if (!info[arg].IsArray()) {
    Napi::TypeError::New(info.Env(), "chunks must be an array").ThrowAsJavaScriptException();
    return -1;
  }
  Napi::Array chunks = info[arg].As<Napi::Array>();
  uint32_t length = chunks.Length();
  if (start < 0 || start > length) {
    Napi::RangeError::New(info.Env(), "start lies outside chunks").ThrowAsJavaScriptException();
    return -1;
  }
  int n = 0;
  for (uint32_t i = static_cast<uint32_t>(start); i < length && n < kMaxChunks && max_bytes > 0;
       i++) {
    Napi::Value v = chunks.Get(i);
    if (!v.IsTypedArray()) {
      Napi::TypeError::New(info.Env(), "chunks must hold Uint8Arrays").ThrowAsJavaScriptException();
      return -1;
    }
    Napi::TypedArray ta = v.As<Napi::TypedArray>();
    uint8_t* data = ViewData(ta);
    size_t len = ta.ByteLength();
    if (i == start) {
      if (first_offset < 0 || static_cast<uint64_t>(first_offset) > len) {
        Napi::RangeError::New(info.Env(), "firstOffset lies outside the first chunk")
            .ThrowAsJavaScriptException();
        return -1;
      }
      data += first_offset;
      len -= static_cast<size_t>(first_offset);
    }
    if (len == 0) continue;
    if (static_cast<uint64_t>(len) > static_cast<uint64_t>(max_bytes)) len = static_cast<size_t>(max_bytes);
    max_bytes -= static_cast<int64_t>(len);
    iov[n].iov_base = data;
    iov[n].iov_len = len;
    n++;
  }
  return n;
}

Napi::Value WriteV(const Napi::CallbackInfo& info) {
  int32_t fd;
  if (!ArgInt32(info, 0, &fd)) return {};
  struct iovec iov[kMaxChunks];
  int n = GatherChunks(info, 1, iov);
  if (n < 0) return {};
  if (n == 0) return Napi::Number::New(info.Env(), 0);
  ssize_t written = sys::WriteV(fd, iov, n);
  if (written < 0 && written != -EAGAIN) {
    ThrowErrno(info.Env(), static_cast<int>(-written), "writev");
    return {};
  }
  return Napi::Number::New(info.Env(), static_cast<double>(written));
}

Napi::Value ReadV(const Napi::CallbackInfo& info) {
  int32_t fd;
  if (!ArgInt32(info, 0, &fd)) return {};
  struct iovec iov[kMaxChunks];
  int n = GatherChunks(info, 1, iov);
  if (n < 0) return {};
  if (n == 0) return Napi::Number::New(info.Env(), -EAGAIN);  // no room: nothing read
  ssize_t got = sys::ReadV(fd, iov, n);
  if (got < 0 && got != -EAGAIN) {
    ThrowErrno(info.Env(), static_cast<int>(-got), "readv");
    return {};
  }
  return Napi::Number::New(info.Env(), static_cast<double>(got));
}

Napi::Value PollFd(const Napi::CallbackInfo& info) {
  int32_t fd, events;
  double timeout;
  if (!ArgInt32(info, 0, &fd) || !ArgInt32(info, 1, &events) || !ArgDouble(info, 2, &timeout))
    return {};
  int want = ((events & 1) ? POLLIN : 0) | ((events & 2) ? POLLOUT : 0);
  int r = sys::PollFd(fd, want, timeout);
  if (r < 0) {
    ThrowErrno(info.Env(), -r, "poll");
    return {};
  }
  int out = ((r & POLLIN) ? 1 : 0) | ((r & POLLOUT) ? 2 : 0) | ((r & POLLHUP) ? 4 : 0) |
            ((r & (POLLERR | POLLNVAL)) ? 8 : 0);
  return Napi::Number::New(info.Env(), out);
}

Napi::Value BytesReadable(const Napi::CallbackInfo& info) {
  int32_t fd;
  if (!ArgInt32(info, 0, &fd)) return {};
  int n = sys::BytesReadable(fd);
  if (n < 0) {
    ThrowErrno(info.Env(), -n, "ioctl");
    return {};
  }
  return Napi::Number::New(info.Env(), n);
}

Napi::Value Dup(const Napi::CallbackInfo& info) {
  int32_t fd;
  if (!ArgInt32(info, 0, &fd)) return {};
  int r = sys::DupCloseOnExec(fd);
  if (r < 0) {
    ThrowErrno(info.Env(), -r, "fcntl");
    return {};
  }
  return Napi::Number::New(info.Env(), r);
}

Napi::Value SetPipeSize(const Napi::CallbackInfo& info) {
  int32_t fd, size;
  if (!ArgInt32(info, 0, &fd) || !ArgInt32(info, 1, &size)) return {};
  return Napi::Number::New(info.Env(), sys::SetPipeSize(fd, size));
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("setPipeSize", Napi::Function::New(env, SetPipeSize));
  exports.Set("dup", Napi::Function::New(env, Dup));
  exports.Set("writev", Napi::Function::New(env, WriteV));
  exports.Set("readv", Napi::Function::New(env, ReadV));
  exports.Set("pollFd", Napi::Function::New(env, PollFd));
  exports.Set("bytesReadable", Napi::Function::New(env, BytesReadable));
}

}  // namespace

// Shared with fdpass_wrap.cc.
int GatherChunksForSend(const Napi::CallbackInfo& info, size_t arg, struct iovec* iov) {
  return GatherChunks(info, arg, iov);
}

}  // namespace osipc

OSIPC_REGISTER(fdio, osipc::Init);
