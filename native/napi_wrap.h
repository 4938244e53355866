// What every view's native object shares (DiagSocket, EventTracer, Sampler):
// one fill at a time on the libuv pool, a close() that waits for a running
// fill, and the names a dictionary learnt since the last batch.
#pragma once
#include <napi.h>
#include <cstring>
#include <string>
extern "C" {
#include "comm_dict.h"
#include "diag_parse.h"
}

namespace tl {

// T derives from FillGuard<T>, defines IsOpen() and Release() (idempotent),
// and lists &T::Close and &T::Closed among its methods.
template <typename T>
class FillGuard : public Napi::ObjectWrap<T> {
 public:
  explicit FillGuard(const Napi::CallbackInfo& info, const char* what) : Napi::ObjectWrap<T>(info), what_(what) {}

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
