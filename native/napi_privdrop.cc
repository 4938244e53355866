// N-API glue for privdrop.c:
// dropPrivileges(keepLo, keepHi, uid, gid, timeoutMs) -> { ok, errno, code, threads, reached, unreached, unreachedTid }
// keepLo/keepHi: capability bits 0-31 and 32-63; uid/gid -1 = stay.
#include <napi.h>
#include "napi_util.h"
extern "C" {
#include "privdrop.h"
}

namespace tl {

static Napi::Value DropPrivileges(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 5) {
    Napi::TypeError::New(env, "dropPrivileges(keepLo, keepHi, uid, gid, timeoutMs)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  uint64_t keep = (uint64_t)info[0].As<Napi::Number>().Uint32Value() | ((uint64_t)info[1].As<Napi::Number>().Uint32Value() << 32);
  int64_t uid = info[2].As<Napi::Number>().Int64Value(), gid = info[3].As<Napi::Number>().Int64Value();
  tl_privdrop_result r;
  int rc = tl_privdrop(keep, uid, gid, info[4].As<Napi::Number>().Int32Value(), &r);
  Napi::Object o = Napi::Object::New(env);
  o.Set("ok", Napi::Boolean::New(env, rc == 0));
  PutErrno(o, rc);
  SetNum(o, "threads", r.threads);
  SetNum(o, "reached", r.reached);
  SetNum(o, "unreached", r.unreached);
  SetNum(o, "unreachedTid", r.unreached_tid);
  return o;
}

void InitPrivdrop(Napi::Env env, Napi::Object exports) { SetFunctions(exports, {{"dropPrivileges", DropPrivileges}}); }

}  // namespace tl
