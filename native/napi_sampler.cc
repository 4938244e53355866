// N-API glue for the samples view: sampleLayout(), samplerUnbuilt() and
// class Sampler. Iterator passes run in the C core (sampler.c); every fill
// runs on the libuv pool and writes a whole batch into a JS ArrayBuffer.
#include <napi.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <vector>
#include "napi_util.h"
#include "napi_wrap.h"
extern "C" {
#include "sampler.h"
}

namespace tl {

static bool PassArg(Napi::Env env, Napi::Value v, tl_sample_pass* pass) {
  std::string k = v.IsString() ? v.As<Napi::String>().Utf8Value() : "";
  if (k == "tasks") {
    *pass = TL_PASS_TASKS;
    return true;
  }
  if (k == "owners") {
    *pass = TL_PASS_OWNERS;
    return true;
  }
  Napi::TypeError::New(env, "expected 'tasks' or 'owners'").ThrowAsJavaScriptException();
  return false;
}

// sampleLayout('tasks'|'owners', capacity) -> { capacity, bytes, columns: [{name, type, offset, tcpiEnd: 0}] }
static Napi::Value SampleLayout(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  tl_sample_pass pass;
  if (!PassArg(env, info[0], &pass)) return env.Undefined();
  uint32_t cap = info[1].As<Napi::Number>().Uint32Value();
  tl_column_desc desc[TL_SAMPLE_NCOLS > TL_OWNER_NCOLS ? TL_SAMPLE_NCOLS : TL_OWNER_NCOLS];
  size_t n = pass == TL_PASS_OWNERS ? TL_OWNER_NCOLS : TL_SAMPLE_NCOLS;
  size_t bytes = tl_sample_layout(pass, cap, desc);
  return LayoutObject(env, cap, bytes, desc, n);
}

// sampleContract() -> { flags: { NAME: bit }, noSyscall }: the wire format's
// (bpf/task_sampler.h), for scripts/gen-layout.js
static Napi::Value SampleContract(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object flags = Napi::Object::New(env);
#define TL_JS_FLAG(n, v) SetNum(flags, #n, v);
  TL_TASK_FLAGS(TL_JS_FLAG)
#undef TL_JS_FLAG
  Napi::Object o = Napi::Object::New(env);
  o.Set("flags", flags);
  SetNum(o, "noSyscall", TL_NO_SYSCALL);
  return o;
}

// samplerUnbuilt() -> '' when the addon has the skeleton, else why not
static Napi::Value SamplerUnbuilt(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), tl_sampler_unbuilt_reason()); }

class Sampler;
using SamplerWrap = BpfViewWrap<Sampler, tl_sampler, TL_SAMPLER_NPARTS, tl_sampler_close, tl_sampler_free>;

class Sampler : public SamplerWrap {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineBpfView(env, "Sampler",
                         {
                             InstanceMethod("begin", &Sampler::Begin),
                             InstanceMethod("beginFile", &Sampler::BeginFile),
                             InstanceMethod("fill", &Sampler::Fill),
                             InstanceMethod("watchNetns", &Sampler::WatchNetns),
                         });
  }

  // new Sampler({ tgid?: number, all?: boolean }): loads and attaches every
  // part it can; throws an Error with .code (errno name), .parts and a
  // one-line reason when none loads.
  // new Sampler({ replay: true }) loads nothing: beginFile() feeds it records.
  explicit Sampler(const Napi::CallbackInfo& info) : SamplerWrap(info, "Sampler") {
    Napi::Env env = info.Env();
    Napi::Object o = OptionsArg(info);
    if (BoolOpt(o, "replay")) {
      core_ = tl_sampler_new_replay();
      if (!core_) ErrnoError(env, ENOMEM, "sampler").ThrowAsJavaScriptException();
      return;
    }
    tl_sampler_opts opts{};
    opts.tgid = o.Has("tgid") ? o.Get("tgid").As<Napi::Number>().Uint32Value() : 0;
    opts.all_tasks = BoolOpt(o, "all");
    opts.run_stats = BoolOpt(o, "runStats");
    opts.skip_tgid = o.Has("skipTgid") ? o.Get("skipTgid").As<Napi::Number>().Uint32Value() : 0;
    OpenCore(env, [&opts](tl_sampler** s, tl_part_info* parts, char* err, size_t n) { return tl_sampler_open(s, &opts, parts, err, n); });
  }

 private:
  // begin('tasks'|'owners') -> { seq, tsNs }: creates the iterator; fill() reads it
  Napi::Value Begin(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    tl_sample_pass pass;
    if (!Usable(env) || !PassArg(env, info[0], &pass)) return env.Undefined();
    int rc = tl_sampler_begin(core_, pass);
    if (rc < 0) {
      ErrnoError(env, -rc, "bpf_iter_create").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    pass_ = pass;
    Napi::Object o = Napi::Object::New(env);
    SetNum(o, "seq", tl_sampler_pass_seq(core_));
    o.Set("tsNs", Napi::BigInt::New(env, (uint64_t)tl_sampler_pass_ts(core_)));
    return o;
  }

  // beginFile('tasks'|'owners', path): a pass over recorded iterator output
  Napi::Value BeginFile(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    tl_sample_pass pass;
    if (!Usable(env) || !PassArg(env, info[0], &pass)) return env.Undefined();
    std::string path = info[1].ToString().Utf8Value();
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      ErrnoError(env, errno, path).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    tl_sampler_begin_fd(core_, pass, fd);
    pass_ = pass;
    return env.Undefined();
  }

  Napi::Value Fill(const Napi::CallbackInfo& info);

  friend class FillGuard<Sampler>;  // its DefineView lists Stats
  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    struct tl_sampler_stats st {};
    if (core_) tl_sampler_stats(core_, &st);
    Napi::Object o = Napi::Object::New(env);
#define TL_STAT(js, f) SetNum(o, js, (double)st.f)
    TL_STAT("iterations", iterations);
    TL_STAT("taskPasses", task_passes);
    TL_STAT("ownerPasses", owner_passes);
    PutPassStats(o, st.pass);
    TL_STAT("carried", carried);
    TL_STAT("commOverflow", comm_overflow);
    TL_STAT("tasksSeen", tasks_seen);
    TL_STAT("tasksEmitted", tasks_emitted);
    TL_STAT("writeErrors", write_errors);
    TL_STAT("ownersSkipped", owners_skipped);
    TL_STAT("tasksSkipped", tasks_skipped);
    TL_STAT("bpfRunNsTasks", bpf_run_ns_tasks);
    TL_STAT("bpfRunsTasks", bpf_runs_tasks);
    TL_STAT("bpfRunNsOwners", bpf_run_ns_owners);
    TL_STAT("bpfRunsOwners", bpf_runs_owners);
#undef TL_STAT
    return o;
  }

  // watchNetns(inodes: number[]) -> boolean: only these namespaces are
  // watched ([]: every namespace): owners of their sockets, samples of their
  // threads; false when there are too many to filter in the kernel (every
  // namespace is then written)
  Napi::Value WatchNetns(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Usable(env)) return env.Undefined();
    if (!info[0].IsArray()) {
      Napi::TypeError::New(env, "watchNetns(inodes: number[])").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Napi::Array a = info[0].As<Napi::Array>();
    std::vector<uint32_t> v;
    for (uint32_t i = 0; i < a.Length(); i++) v.push_back(a.Get(i).As<Napi::Number>().Uint32Value());
    int rc = tl_sampler_watch_netns(core_, v.data(), (uint32_t)v.size());
    if (rc < 0 && rc != -E2BIG) {
      ErrnoError(env, -rc, "watchNetns").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    return Napi::Boolean::New(env, rc == 0);
  }

  tl_sample_pass pass_ = TL_PASS_TASKS;
};

// fill(buffer: ArrayBuffer, capacity) -> Promise<{ rows, done, errno, code?, names }>
// The buffer is in the layout of the pass begun last.
Napi::Value Sampler::Fill(const Napi::CallbackInfo& info) {
  tl_sample_pass pass = pass_;
  return FillOnPool<tl_sample_batch>(
      info, [pass](tl_sample_batch* b, void* d, size_t n, uint32_t cap) { return tl_sample_batch_bind(b, pass, d, n, cap); },
      [this](tl_sample_batch* b, int* done) { return tl_sampler_fill(core(), b, done); },
      [this](Napi::Env env) { return TakeNewNames(env, tl_sampler_comms(core())); });
}

void InitSampler(Napi::Env env, Napi::Object exports) {
  SetFunctions(exports, {{"sampleLayout", SampleLayout}, {"samplerUnbuilt", SamplerUnbuilt}, {"sampleContract", SampleContract}});
  exports.Set("Sampler", Sampler::Define(env));
}

}  // namespace tl
