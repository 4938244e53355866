// Small helpers shared by the N-API glue files.
#pragma once
#include <napi.h>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <utility>
#include <memory>
#include <string>
#include <linux/netlink.h>
extern "C" {
#include "netns.h"
#include "batch.h"
#include "bpf_parts.h"
}

namespace tl {

inline const char* ErrnoName(int err) {
  const char* name = strerrorname_np(err);
  return name ? name : "EUNKNOWN";
}

// A JS Error carrying .code (errno name) and .errno, like Node's own.
inline Napi::Error CodedError(Napi::Env env, int err, const std::string& message) {
  Napi::Error e = Napi::Error::New(env, message);
  e.Set("code", Napi::String::New(env, ErrnoName(err)));
  e.Set("errno", Napi::Number::New(env, err));
  return e;
}

// The same, with strerror(err) after `what`.
inline Napi::Error ErrnoError(Napi::Env env, int err, const std::string& what) { return CodedError(env, err, what + ": " + strerror(err)); }

inline void SetNum(Napi::Object o, const char* k, double v) { o.Set(k, Napi::Number::New(o.Env(), v)); }

// info[i] when it is an object (a constructor's or a call's options), else an empty one.
inline Napi::Object OptionsArg(const Napi::CallbackInfo& info, size_t i = 0) {
  return info[i].IsObject() ? info[i].As<Napi::Object>() : Napi::Object::New(info.Env());
}

// o[k], true when present and truthy.
inline bool BoolOpt(Napi::Object o, const char* k) { return o.Has(k) && o.Get(k).ToBoolean(); }

// A module's table of plain functions, set on o (the exports or a namespace object).
using PlainFn = Napi::Value (*)(const Napi::CallbackInfo&);
inline Napi::Object SetFunctions(Napi::Object o, std::initializer_list<std::pair<const char*, PlainFn>> fns) {
  for (const auto& f : fns) o.Set(f.first, Napi::Function::New(o.Env(), f.second, f.first));
  return o;
}

// [{ part, program, up, why }]: what became of each part of an eBPF view.
inline Napi::Array PartsArray(Napi::Env env, const tl_part_info* p, int n) {
  Napi::Array a = Napi::Array::New(env, n);
  for (int i = 0; i < n; i++) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("part", Napi::String::New(env, p[i].part ? p[i].part : ""));
    o.Set("program", Napi::String::New(env, p[i].prog ? p[i].prog : ""));
    o.Set("up", Napi::Boolean::New(env, p[i].up != 0));
    o.Set("why", Napi::String::New(env, p[i].why));
    a.Set(i, o);
  }
  return a;
}

// A view's load failed (rc < 0): throws a coded error carrying every part's
// reason as .parts. Returns whether it threw.
inline bool ThrowIfNoParts(Napi::Env env, int rc, const char* err, const tl_part_info* parts, int n) {
  if (rc >= 0) return false;
  Napi::Error e = CodedError(env, -rc, err);
  e.Set("parts", PartsArray(env, parts, n));
  e.ThrowAsJavaScriptException();
  return true;
}

// A result's errno (0 when rc >= 0) and, for a failure, its code.
inline void PutErrno(Napi::Object o, int rc) {
  SetNum(o, "errno", rc < 0 ? -rc : 0);
  if (rc < 0) o.Set("code", Napi::String::New(o.Env(), ErrnoName(-rc)));
}

// Reads (ArrayBuffer, capacity) at info[argi] and binds a view's batch to
// it with bind(data, bytes, capacity) (< 0: too small or misaligned). On
// failure throws and returns false. *ab keeps the buffer for async work.
template <typename Bind>
inline bool BufferArgs(const Napi::CallbackInfo& info, int argi, Napi::ArrayBuffer* ab, Bind bind) {
  Napi::Env env = info.Env();
  if (!info[argi].IsArrayBuffer() || !info[argi + 1].IsNumber()) {
    Napi::TypeError::New(env, "expected (ArrayBuffer, capacity)").ThrowAsJavaScriptException();
    return false;
  }
  *ab = info[argi].As<Napi::ArrayBuffer>();
  uint32_t cap = info[argi + 1].As<Napi::Number>().Uint32Value();
  if (bind(ab->Data(), ab->ByteLength(), cap) < 0) {
    Napi::RangeError::New(env, "batch buffer too small or misaligned for capacity").ThrowAsJavaScriptException();
    return false;
  }
  return true;
}

inline const char* ColTypeName(tl_coltype t) {
  switch (t) {
    case TL_U8:
      return "u8";
    case TL_U16:
      return "u16";
    case TL_U32:
      return "u32";
    case TL_U64:
      return "u64";
    case TL_B16:
      return "b16";
  }
  return "?";
}

// layout(capacity) of a view whose `place(capacity, desc)` fills N column
// descriptions and returns the bytes: the JS face of its batch.
template <size_t N, typename Place>
Napi::Value LayoutOf(const Napi::CallbackInfo& info, Place place);

// { capacity, bytes, columns: [{name, type, offset, tcpiEnd}] }: the JS face
// of any view's layout (poll, events, samples), which src/layout mirrors.
inline Napi::Object LayoutObject(Napi::Env env, uint32_t cap, size_t bytes, const tl_column_desc* desc, size_t n) {
  Napi::Array cols = Napi::Array::New(env, n);
  for (size_t i = 0; i < n; i++) {
    Napi::Object c = Napi::Object::New(env);
    c.Set("name", desc[i].name);
    c.Set("type", ColTypeName(desc[i].type));
    SetNum(c, "offset", (double)desc[i].offset);
    SetNum(c, "tcpiEnd", desc[i].tcpi_end);
    cols.Set(i, c);
  }
  Napi::Object o = Napi::Object::New(env);
  SetNum(o, "capacity", cap);
  SetNum(o, "bytes", (double)bytes);
  o.Set("columns", cols);
  return o;
}

template <size_t N, typename Place>
Napi::Value LayoutOf(const Napi::CallbackInfo& info, Place place) {
  uint32_t cap = info[0].As<Napi::Number>().Uint32Value();
  tl_column_desc desc[N];
  size_t bytes = place(cap, desc);
  return LayoutObject(info.Env(), cap, bytes, desc, N);
}

// Opens a NETLINK_SOCK_DIAG socket in the namespace named by info[0] (a netns
// file path; absent/null = our own). On failure throws and returns -1.
inline int OpenNetnsSocket(const Napi::CallbackInfo& info, uint64_t* ino) {
  bool own = info.Length() == 0 || info[0].IsUndefined() || info[0].IsNull();
  std::string path = own ? "" : info[0].As<Napi::String>().Utf8Value();
  int fd = tl_netns_socket(own ? nullptr : path.c_str(), NETLINK_SOCK_DIAG, ino);
  if (fd < 0) {
    ErrnoError(info.Env(), -fd, "netns socket " + (own ? std::string("(own)") : path)).ThrowAsJavaScriptException();
    return -1;
  }
  return fd;
}

// What a poll or samples fill resolves with: { rows, done, errno, code?, names }.
inline Napi::Object FillResult(Napi::Env env, double rows, int done, int rc, Napi::Value names) {
  Napi::Object o = Napi::Object::New(env);
  SetNum(o, "rows", rows);
  o.Set("done", Napi::Boolean::New(env, done != 0));
  PutErrno(o, rc);
  o.Set("names", names);
  return o;
}

// One batch filled on the libuv pool (the poll, samples and events views):
// `work` runs on a pool thread and writes into the JS-owned buffer, which this
// keeps alive with its JS owner until `result` (on the JS thread) builds the
// object the promise resolves with.
class PoolFillWorker : public Napi::AsyncWorker {
 public:
  using Work = std::function<void()>;
  using Result = std::function<Napi::Object(Napi::Env)>;

  static Napi::Promise Start(Napi::Env env, Napi::Object self, Napi::ArrayBuffer ab, Work work, Result result) {
    auto* w = new PoolFillWorker(env, self, ab, std::move(work), std::move(result));
    Napi::Promise p = w->deferred_.Promise();
    w->Queue();
    return p;
  }

  void Execute() override { work_(); }
  void OnOK() override { deferred_.Resolve(result_(Env())); }

 private:
  PoolFillWorker(Napi::Env env, Napi::Object self, Napi::ArrayBuffer ab, Work work, Result result)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), work_(std::move(work)), result_(std::move(result)) {
    self_ = Napi::Persistent(self);
    buf_ = Napi::Persistent(ab);
  }

  Napi::Promise::Deferred deferred_;
  Work work_;
  Result result_;
  Napi::ObjectReference self_;
  Napi::Reference<Napi::ArrayBuffer> buf_;
};

}  // namespace tl
