// N-API glue for the iterator poll (--poll-via iter): iterProvides(),
// iterUnbuilt() and class IterPoll. Passes run in the C core (iter_poll.c);
// every fill runs on the libuv pool and writes a whole poll batch.
#include <napi.h>
#include <cerrno>
#include <cstring>
#include <string>
#include "napi_util.h"
#include "napi_batch.h"
#include "napi_wrap.h"
extern "C" {
#include "batch.h"
#include "iter_poll.h"
}

namespace tl {

// iterProvides() -> the poll columns this view fills for a full socket
static Napi::Value IterProvides(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  tl_column_desc desc[TL_POLL_NCOLS];
  tl_poll_layout(1, desc);
  Napi::Array a = Napi::Array::New(env);
  uint32_t k = 0;
  for (size_t i = 0; i < TL_POLL_NCOLS; i++)
    if (tl_iter_provides(desc[i].name)) a.Set(k++, Napi::String::New(env, desc[i].name));
  return a;
}

static Napi::Value IterUnbuilt(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), tl_iter_unbuilt_reason()); }

class IterPoll;
using IterWrap = BpfViewWrap<IterPoll, tl_iter, TL_ITER_NPARTS, tl_iter_close, tl_iter_free>;

class IterPoll : public IterWrap {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineBpfView(env, "IterPoll",
                         {
                             InstanceMethod("begin", &IterPoll::Begin),
                             InstanceMethod("beginHost", &IterPoll::BeginHost),
                             InstanceMethod("fill", &IterPoll::Fill),
                             InstanceAccessor("detectsChanges", &IterPoll::DetectsChanges, nullptr),
                         });
  }

  // new IterPoll({ runStats?: boolean }): throws an Error with .code, .parts
  // and a one-line reason when the part loads in no variant.
  explicit IterPoll(const Napi::CallbackInfo& info) : IterWrap(info, "IterPoll") {
    tl_iter_opts opts{};
    opts.run_stats = BoolOpt(OptionsArg(info), "runStats");
    OpenCore(info.Env(),
             [&opts](tl_iter** it, tl_part_info* parts, char* err, size_t n) { return tl_iter_open(it, &opts, parts, err, n); });
  }

 private:
  // begin(netnsPath: string | null, full: boolean, unownedOnly?: boolean) -> netns inode; throws on failure
  Napi::Value Begin(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Usable(env)) return env.Undefined();
    std::string path = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
    uint64_t ino = 0;
    int flags = (info[1].ToBoolean() ? TL_ITER_FULL : 0) | (info[2].ToBoolean() ? TL_ITER_UNOWNED : 0);
    int rc = tl_iter_begin(core_, path.empty() ? nullptr : path.c_str(), flags, &ino);
    if (rc < 0) {
      ErrnoError(env, -rc, "iter/tcp").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    return Napi::Number::New(env, (double)ino);
  }

  // beginHost(): starts a host pass (iter/task_file); throws on failure
  Napi::Value BeginHost(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Usable(env)) return env.Undefined();
    int rc = tl_iter_begin_host(core_);
    if (rc < 0) ErrnoError(env, -rc, "iter/task_file").ThrowAsJavaScriptException();
    return env.Undefined();
  }

  Napi::Value Fill(const Napi::CallbackInfo& info);

  friend class FillGuard<IterPoll>;  // its DefineView lists Stats
  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    struct tl_iter_stats st {};
    if (core_) tl_iter_stats(core_, &st);
    Napi::Object o = Napi::Object::New(env);
#define TL_STAT(js, f) SetNum(o, js, (double)st.f)
    TL_STAT("passes", passes);
    TL_STAT("fullPasses", full_passes);
    PutPassStats(o, st.pass);
    TL_STAT("hostPasses", host_passes);
    TL_STAT("hostDups", host_dups);
    TL_STAT("hostSeen", host_seen);
    TL_STAT("seqRetries", seq_retries);
    TL_STAT("socksSeen", socks_seen);
    TL_STAT("socksEmitted", socks_emitted);
    TL_STAT("socksUnchanged", socks_unchanged);
    TL_STAT("writeErrors", write_errors);
    TL_STAT("bpfRunNs", bpf_run_ns);
    TL_STAT("bpfRuns", bpf_runs);
#undef TL_STAT
    return o;
  }

  Napi::Value DetectsChanges(const Napi::CallbackInfo& info) {
    return Napi::Boolean::New(info.Env(), core_ && tl_iter_detects_changes(core_));
  }
};

// fill(buffer: ArrayBuffer, capacity) -> Promise<{ rows, done, errno, code?, names }>
Napi::Value IterPoll::Fill(const Napi::CallbackInfo& info) {
  return FillOnPool<tl_batch>(
      info, tl_batch_bind, [this](tl_batch* b, int* done) { return tl_iter_fill(core_, b, done); },
      [this](Napi::Env env) { return TakeNewNames(env, tl_iter_names(core_)); });
}

void InitIter(Napi::Env env, Napi::Object exports) {
  SetFunctions(exports, {{"iterProvides", IterProvides}, {"iterUnbuilt", IterUnbuilt}});
  exports.Set("IterPoll", IterPoll::Define(env));
}

}  // namespace tl
