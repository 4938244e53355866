// N-API glue for the preflight probes: each returns { ok, errno, code, ... };
// and the eBPF views' parts and variants (what each needs of the kernel).
#include <napi.h>
#include <cstring>
#include "napi_util.h"
extern "C" {
#include "probe.h"
#include "events.h"
#include "sampler.h"
#include "iter_poll.h"
}

namespace tl {

static Napi::Object Result(Napi::Env env, int rc) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("ok", Napi::Boolean::New(env, rc == 0));
  PutErrno(o, rc);
  if (rc < 0) o.Set("message", Napi::String::New(env, strerror(-rc)));
  return o;
}

static Napi::Value ProbeDiag(const Napi::CallbackInfo& info) {
  uint32_t attrs = 0;
  int rc = tl_probe_diag_one(&attrs);
  Napi::Object o = Result(info.Env(), rc);
  SetNum(o, "attrs", attrs);
  return o;
}

static Napi::Value ProbeDestroy(const Napi::CallbackInfo& info) { return Result(info.Env(), tl_probe_destroy_groups()); }

static Napi::Value ProbeBpf(const Napi::CallbackInfo& info) { return Result(info.Env(), tl_probe_bpf_load()); }

static Napi::Array PartDefs(Napi::Env env, const tl_part* parts, int n) {
  Napi::Array a = Napi::Array::New(env, n);
  for (int i = 0; i < n; i++) {
    Napi::Object p = Napi::Object::New(env);
    Napi::Array vs = Napi::Array::New(env, parts[i].n);
    for (int j = 0; j < parts[i].n; j++) {
      Napi::Object v = Napi::Object::New(env);
      v.Set("program", parts[i].variants[j].prog);
      v.Set("needs", parts[i].variants[j].needs);
      vs.Set(j, v);
    }
    p.Set("part", parts[i].name);
    p.Set("variants", vs);
    a.Set(i, p);
  }
  return a;
}

// viewParts() -> { events: [{ part, variants: [{ program, needs }] }], samples: [...] },
// variants in the order the loader tries them
static Napi::Value ViewParts(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("events", PartDefs(env, tl_event_parts, TL_EVENTS_NPARTS));
  o.Set("samples", PartDefs(env, tl_sampler_parts, TL_SAMPLER_NPARTS));
  o.Set("iter", PartDefs(env, tl_iter_parts, TL_ITER_NPARTS));
  return o;
}

static Napi::Value ProbeSetns(const Napi::CallbackInfo& info) {
  std::string path = info[0].As<Napi::String>().Utf8Value();
  return Result(info.Env(), tl_probe_setns(path.c_str()));
}

void InitProbe(Napi::Env env, Napi::Object exports) {
  exports.Set("probe", SetFunctions(Napi::Object::New(env),
                                    {{"diag", ProbeDiag}, {"destroy", ProbeDestroy}, {"bpf", ProbeBpf}, {"setns", ProbeSetns}}));
  SetFunctions(exports, {{"viewParts", ViewParts}});
}

}  // namespace tl
