// Small helpers shared by the N-API glue files.
#pragma once
#include <napi.h>
#include <cstring>
#include <string>
#include <linux/netlink.h>
extern "C" {
#include "netns.h"
}

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

// Opens a NETLINK_SOCK_DIAG socket in the namespace named by info[0] (a netns
// file path; absent/null = our own). On failure throws and returns -1.
inline int OpenNetnsSocket(const Napi::CallbackInfo &info, uint64_t *ino) {
  bool own = info.Length() == 0 || info[0].IsUndefined() || info[0].IsNull();
  std::string path = own ? "" : info[0].As<Napi::String>().Utf8Value();
  int fd = tl_netns_socket(own ? nullptr : path.c_str(), NETLINK_SOCK_DIAG, ino);
  if (fd < 0) {
    ErrnoError(info.Env(), -fd, "netns socket " + (own ? std::string("(own)") : path)).ThrowAsJavaScriptException();
    return -1;
  }
  return fd;
}

}  // namespace tl
