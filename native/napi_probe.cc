// N-API glue for the preflight probes: each returns { ok, errno, code, ... }.
#include <napi.h>
#include <cstring>
#include "napi_util.h"
extern "C" {
#include "probe.h"
}

namespace tl {

static Napi::Object Result(Napi::Env env, int rc) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("ok", Napi::Boolean::New(env, rc == 0));
  PutErrno(o, rc);
  if (rc < 0) o.Set("message", Napi::String::New(env, strerror(-rc)));
  return o;
}

static Napi::Value ProbeDiag(const Napi::CallbackInfo &info) {
  uint32_t attrs = 0;
  int rc = tl_probe_diag_one(&attrs);
  Napi::Object o = Result(info.Env(), rc);
  SetNum(o, "attrs", attrs);
  return o;
}

static Napi::Value ProbeDestroy(const Napi::CallbackInfo &info) {
  return Result(info.Env(), tl_probe_destroy_groups());
}

static Napi::Value ProbeBpf(const Napi::CallbackInfo &info) {
  return Result(info.Env(), tl_probe_bpf_load());
}

static Napi::Value ProbeTpBtf(const Napi::CallbackInfo &info) {
  std::string tp = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "inet_sock_set_state";
  return Result(info.Env(), tl_probe_tp_btf(tp.c_str()));
}

static Napi::Value ProbeIterTask(const Napi::CallbackInfo &info) {
  return Result(info.Env(), tl_probe_iter_task());
}

static Napi::Value ProbeSetns(const Napi::CallbackInfo &info) {
  std::string path = info[0].As<Napi::String>().Utf8Value();
  return Result(info.Env(), tl_probe_setns(path.c_str()));
}

void InitProbe(Napi::Env env, Napi::Object exports) {
  Napi::Object p = Napi::Object::New(env);
  p.Set("diag", Napi::Function::New(env, ProbeDiag));
  p.Set("destroy", Napi::Function::New(env, ProbeDestroy));
  p.Set("bpf", Napi::Function::New(env, ProbeBpf));
  p.Set("setns", Napi::Function::New(env, ProbeSetns));
  p.Set("tpBtf", Napi::Function::New(env, ProbeTpBtf));
  p.Set("iterTask", Napi::Function::New(env, ProbeIterTask));
  exports.Set("probe", p);
}

}  // namespace tl
