// N-API glue for bpf_stats.c: exports.bpfStats = { enable, progStats, selftestLoad, selftestRun, loadRetries }.
#include <napi.h>
#include "napi_util.h"
extern "C" {
#include "bpf_stats.h"
}
#include "bpf_parts.h"

namespace tl {

static Napi::Value FdOrThrow(const Napi::CallbackInfo& info, int rc, const char* what) {
  if (rc < 0) {
    ErrnoError(info.Env(), -rc, what).ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  return Napi::Number::New(info.Env(), rc);
}

static Napi::Value Enable(const Napi::CallbackInfo& info) { return FdOrThrow(info, tl_bpf_enable_stats(), "BPF_ENABLE_STATS"); }

// progStats(fd) -> { id, name, runTimeNs, runCnt } or null when fd is not a BPF program.
static Napi::Value ProgStats(const Napi::CallbackInfo& info) {
  struct tl_bpf_prog_stats s;
  if (tl_bpf_prog_stats(info[0].As<Napi::Number>().Int32Value(), &s) < 0) return info.Env().Null();
  Napi::Object o = Napi::Object::New(info.Env());
  SetNum(o, "id", s.id);
  o.Set("name", Napi::String::New(info.Env(), s.name));
  SetNum(o, "runTimeNs", (double)s.run_time_ns);
  SetNum(o, "runCnt", (double)s.run_cnt);
  return o;
}

static Napi::Value SelftestLoad(const Napi::CallbackInfo& info) { return FdOrThrow(info, tl_bpf_selftest_load(), "load tl_selftest"); }

static Napi::Value SelftestRun(const Napi::CallbackInfo& info) {
  int rc = tl_bpf_selftest_run(info[0].As<Napi::Number>().Int32Value(), info[1].As<Napi::Number>().Uint32Value());
  if (rc < 0) ErrnoError(info.Env(), -rc, "BPF_PROG_TEST_RUN").ThrowAsJavaScriptException();
  return info.Env().Undefined();
}

// loadRetries() -> BPF_PROG_LOAD answers that were EAGAIN and were tried again (bpf_parts.c)
static Napi::Value LoadRetries(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), (double)tl_parts_eagain_retries()); }

void InitBpfStats(Napi::Env env, Napi::Object exports) {
  exports.Set("bpfStats", SetFunctions(Napi::Object::New(env), {{"enable", Enable},
                                                                {"progStats", ProgStats},
                                                                {"selftestLoad", SelftestLoad},
                                                                {"selftestRun", SelftestRun},
                                                                {"loadRetries", LoadRetries}}));
}

}  // namespace tl
