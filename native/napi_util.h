// Small helpers shared by the N-API glue files.
#pragma once
#include <napi.h>
#include <cstring>
#include <string>

namespace tl {

// Throws a JS Error with .code (errno name) and .errno, like Node's own.
inline Napi::Error ErrnoError(Napi::Env env, int err, const std::string &what) {
  Napi::Error e = Napi::Error::New(env, what + ": " + strerror(err));
  const char *name = strerrorname_np(err);
  e.Set("code", Napi::String::New(env, name ? name : "EUNKNOWN"));
  e.Set("errno", Napi::Number::New(env, err));
  return e;
}

inline void SetNum(Napi::Object o, const char *k, double v) {
  o.Set(k, Napi::Number::New(o.Env(), v));
}

}  // namespace tl
