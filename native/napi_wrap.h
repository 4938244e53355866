// What every view's native object shares (DiagSocket, DiagLookup, IterPoll,
// EventTracer, Sampler, DestroySocket): one fill at a time on the libuv pool,
// a close() that waits for a running fill, the members every one has (stats,
// close, closed), and the names a dictionary learnt since the last batch.
#pragma once
#include <napi.h>
#include <cstring>
#include <memory>
#include <string>
#include <vector>
#include "napi_util.h"
extern "C" {
#include "comm_dict.h"
#include "diag_parse.h"
#include "iter_read.h"
}

namespace tl {

// T derives from FillGuard<T>, defines IsOpen() and Release() (idempotent)
// and a Stats method, and defines its class with DefineView (FillGuard<T> a
// friend when Stats is private).
template <typename T>
class FillGuard : public Napi::ObjectWrap<T> {
 public:
  explicit FillGuard(const Napi::CallbackInfo& info, const char* what) : Napi::ObjectWrap<T>(info), what_(what) {}

  // DefineClass with T's own members and those every view object has: stats(), close(), closed.
  static Napi::Function DefineView(Napi::Env env, const char* name, std::vector<Napi::ClassPropertyDescriptor<T>> props) {
    props.push_back(T::InstanceMethod("stats", &T::Stats));
    props.push_back(T::InstanceMethod("close", &T::Close));
    props.push_back(T::InstanceAccessor("closed", &T::Closed, nullptr));
    return T::DefineClass(env, name, props);
  }

  // A fill ends (on the JS thread): a close() asked meanwhile happens now.
  void SetBusy(bool b) {
    busy_ = b;
    if (!b && close_pending_) CloseNow();
  }

  // close(): idempotent; waits for a running fill to finish first.
  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (busy_)
      close_pending_ = true;
    else
      CloseNow();
    return info.Env().Undefined();
  }

  Napi::Value Closed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), !Self()->IsOpen() || close_pending_); }

 protected:
  // Open and not filling; else throws and returns false.
  bool Usable(Napi::Env env) {
    if (!Self()->IsOpen()) {
      Napi::Error::New(env, std::string(what_) + " is closed").ThrowAsJavaScriptException();
      return false;
    }
    if (busy_) {
      Napi::Error::New(env, std::string(what_) + ": a fill is already running").ThrowAsJavaScriptException();
      return false;
    }
    return true;
  }

  // Starts a fill: the caller queues a PoolFillWorker whose result calls SetBusy(false).
  void Busy() { busy_ = true; }

  // fill(buffer: ArrayBuffer, capacity) -> Promise<{ rows, done, errno, code?, names }>
  // of a view that writes whole batches on the libuv pool: bind(&batch, data,
  // bytes, capacity) binds the caller's buffer (< 0: too small or misaligned),
  // fill(&batch, &done) runs on a pool thread and returns 0 or -errno, and
  // names(env) gives, back on the JS thread, the names learnt meanwhile.
  template <typename Batch, typename Bind, typename FillFn, typename NamesFn>
  Napi::Value FillOnPool(const Napi::CallbackInfo& info, Bind bind, FillFn fill, NamesFn names) {
    Napi::Env env = info.Env();
    if (!Usable(env)) return env.Undefined();
    struct Job {
      Batch b;
      int rc = 0;
      int done = 0;
    };
    auto j = std::make_shared<Job>();
    Napi::ArrayBuffer ab;
    if (!BufferArgs(info, 0, &ab, [&j, &bind](void* d, size_t n, uint32_t cap) { return bind(&j->b, d, n, cap); })) return env.Undefined();
    Busy();
    return PoolFillWorker::Start(
        env, info.This().As<Napi::Object>(), ab, [j, fill] { j->rc = fill(&j->b, &j->done); },
        [this, j, names](Napi::Env env) {
          Napi::Object o = FillResult(env, j->b.rows, j->done, j->rc, names(env));
          SetBusy(false);
          return o;
        });
  }

 private:
  T* Self() { return static_cast<T*>(this); }
  void CloseNow() {
    Self()->Release();
    close_pending_ = false;
  }

  const char* what_;
  bool busy_ = false;
  bool close_pending_ = false;
};

// The counters of an iterator view's passes (iter_read.h), under their JS names.
inline void PutPassStats(Napi::Object o, const tl_pass_stats& p) {
#define TL_PASS_PUT(member, js) SetNum(o, js, (double)p.member);
  TL_PASS_STATS(TL_PASS_PUT)
#undef TL_PASS_PUT
}

// The base of the objects whose C core loads an eBPF view part by part and
// reads it in passes (IterPoll, Sampler): the core (closed by close(): its
// kernel objects go, its counters stay readable; freed with the object) and
// what became of each of its N parts, kept after close.
template <typename T, typename Core, int N, void (*CloseCore)(Core*), void (*FreeCore)(Core*)>
class BpfViewWrap : public FillGuard<T> {
 public:
  BpfViewWrap(const Napi::CallbackInfo& info, const char* what) : FillGuard<T>(info, what) {}
  ~BpfViewWrap() override { FreeCore(core_); }

  // DefineView with the members every such view has: those of every view, and parts.
  static Napi::Function DefineBpfView(Napi::Env env, const char* name, std::initializer_list<Napi::ClassPropertyDescriptor<T>> own) {
    std::vector<Napi::ClassPropertyDescriptor<T>> props(own);
    props.push_back(T::InstanceAccessor("parts", &T::Parts, nullptr));
    return FillGuard<T>::DefineView(env, name, std::move(props));
  }

  Core* core() { return core_; }
  bool IsOpen() const { return core_ && !closed_; }
  void Release() {
    CloseCore(core_);
    closed_ = true;
  }

  // [{ part, program, up, why }] as loaded; [] for a core that loaded nothing
  Napi::Value Parts(const Napi::CallbackInfo& info) {
    return have_parts_ ? PartsArray(info.Env(), parts_, N) : Napi::Array::New(info.Env());
  }

 protected:
  // Runs the view's C open, open(&core, parts, err, errlen) -> 0 or -errno;
  // when it fails, throws the coded error with every part's reason (.parts)
  // and returns false.
  template <typename Open>
  bool OpenCore(Napi::Env env, Open open) {
    char err[4096];
    int rc = open(&core_, parts_, err, sizeof(err));
    if (ThrowIfNoParts(env, rc, err, parts_, N)) return false;
    have_parts_ = true;
    return true;
  }

  Core* core_ = nullptr;

 private:
  bool closed_ = false;
  bool have_parts_ = false;
  tl_part_info parts_[N] = {};
};

// The names a dictionary learnt since the last call (ids continue it, 1-based).
inline const char* DictName(const tl_dict* d, uint32_t i, size_t* len) {
  *len = strlen(d->names[i]);
  return d->names[i];
}
inline const char* DictName(const tl_comm_dict* d, uint32_t i, size_t* len) {
  *len = strnlen(d->names[i], TL_COMM_LEN);  // NUL-padded, not terminated
  return d->names[i];
}

template <typename Dict>
Napi::Array TakeNewNames(Napi::Env env, Dict* d) {
  Napi::Array a = Napi::Array::New(env, d->count - d->reported);
  for (uint32_t i = d->reported, k = 0; i < d->count; i++, k++) {
    size_t len;
    const char* s = DictName(d, i, &len);
    a.Set(k, Napi::String::New(env, s, len));
  }
  d->reported = d->count;
  return a;
}

}  // namespace tl
