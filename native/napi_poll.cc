// N-API glue for the poll view: layout(), replay() and class DiagSocket.
// All parsing lives in the C core (diag_parse.c, diag_dump.c); this file only
// moves buffers and counters across the boundary.
#include <napi.h>
#include <cerrno>
#include <cstring>
#include <vector>
#include <sys/socket.h>
#include <linux/netlink.h>
#include "napi_util.h"
#include "napi_batch.h"
extern "C" {
#include "batch.h"
#include "diag_dump.h"
#include "diag_replay.h"
#include "netns.h"
}

namespace tl {

// layout(capacity) -> { capacity, bytes, columns: [{name, type, offset, tcpiEnd}] }
static Napi::Value Layout(const Napi::CallbackInfo& info) { return LayoutOf<TL_POLL_NCOLS>(info, tl_poll_layout); }

// replay(recording: Uint8Array, buffer: ArrayBuffer, capacity, netnsInode?)
// Parses a recorded dump ([u32 len][chunk]...) exactly as a live one: an
// NLMSG_ERROR ends it (nlError, errno, code), as it ends a live dump.
// -> { rows, full, names, framingErrors, dumpsDone, nlError, errno, code?, ...parse stats }
static Napi::Value Replay(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray()) {
    Napi::TypeError::New(env, "expected a Uint8Array recording").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Uint8Array rec = info[0].As<Napi::Uint8Array>();
  tl_batch b;
  if (!BindBatch(info, 1, &b)) return env.Undefined();
  uint64_t ns = info.Length() > 3 && info[3].IsNumber() ? (uint64_t)info[3].As<Napi::Number>().Int64Value() : 0;
  tl_dict dict;
  memset(&dict, 0, sizeof(dict));
  tl_parse_stats st;
  memset(&st, 0, sizeof(st));
  tl_parse_ctx x = {&b, &dict, &st, 0, ns, 0};
  tl_replay_result res;
  tl_diag_replay(&x, rec.Data(), rec.ByteLength(), &res);
  Napi::Object o = Napi::Object::New(env);
  SetNum(o, "rows", b.rows);
  o.Set("full", Napi::Boolean::New(env, res.full != 0));
  o.Set("names", TakeNewNames(env, &dict));
  SetNum(o, "framingErrors", (double)res.framing);
  SetNum(o, "dumpsDone", res.dones);
  o.Set("nlError", Napi::Boolean::New(env, res.error != 0));
  PutErrno(o, -res.nl_errno);
  PutParseStats(o, st);
  return o;
}

// One NETLINK_SOCK_DIAG socket inside one network namespace.
class DiagSocket : public DumpWrap<DiagSocket> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineNetns(env, "DiagSocket",
                       {
                           InstanceMethod("begin", &DiagSocket::Begin),
                           InstanceMethod("fill", &DiagSocket::Fill),
                           InstanceMethod("names", &DiagSocket::Names),
                           InstanceMethod("tap", &DiagSocket::Tap),
                       });
  }

  // new DiagSocket(path?: string) — path of a netns file; omitted = our own.
  explicit DiagSocket(const Napi::CallbackInfo& info) : DumpWrap<DiagSocket>(info, "DiagSocket", "dump init") {}

 private:
  // begin({ families: 1|2|3, states: mask, ext: bits }) -> undefined; throws on send failure
  Napi::Value Begin(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Usable(env)) return env.Undefined();
    Napi::Object o = info[0].IsObject() ? info[0].As<Napi::Object>() : Napi::Object::New(env);
    unsigned fam = o.Has("families") ? o.Get("families").As<Napi::Number>().Uint32Value() : 3;
    uint32_t states = o.Has("states") ? o.Get("states").As<Napi::Number>().Uint32Value() : 0xffffffffu;
    uint8_t ext = o.Has("ext") ? (uint8_t)o.Get("ext").As<Napi::Number>().Uint32Value() : 0xff;
    // bytecode: a kernel-side filter (INET_DIAG_REQ_BYTECODE), kept for every later dump
    if (o.Has("bytecode") && o.Get("bytecode").IsTypedArray()) {
      Napi::Uint8Array bc = o.Get("bytecode").As<Napi::Uint8Array>();
      bc_.assign(bc.Data(), bc.Data() + bc.ByteLength());
      core_.bc = bc_.empty() ? nullptr : bc_.data();
      core_.bc_len = (uint32_t)bc_.size();
    }
    int rc = tl_dump_begin(&core_, fam, states, ext);
    if (rc < 0) ErrnoError(env, -rc, "inet_diag request").ThrowAsJavaScriptException();
    return env.Undefined();
  }

  Napi::Value Fill(const Napi::CallbackInfo& info);

  // names() -> every congestion-control name so far; id = index + 1
  Napi::Value Names(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Array a = Napi::Array::New(env, core_.dict.count);
    for (uint32_t i = 0; i < core_.dict.count; i++) a.Set(i, Napi::String::New(env, core_.dict.names[i]));
    return a;
  }

  // tap(true) starts recording received chunks; tap(false) returns them as a
  // Buffer ([u32 len][chunk]...) and stops.
  Napi::Value Tap(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Usable(env)) return env.Undefined();
    if (info[0].ToBoolean()) {
      core_.tapping = 1;
      return env.Undefined();
    }
    core_.tapping = 0;
    Napi::Buffer<uint8_t> out = Napi::Buffer<uint8_t>::Copy(env, core_.tap ? core_.tap : (uint8_t*)"", core_.tap_len);
    free(core_.tap);
    core_.tap = nullptr;
    core_.tap_len = core_.tap_cap = 0;
    return out;
  }

  std::vector<uint8_t> bc_;
};

// fill(buffer: ArrayBuffer, capacity) -> Promise<{ rows, done, errno, code?, names }>
Napi::Value DiagSocket::Fill(const Napi::CallbackInfo& info) {
  return FillOnPool<tl_batch>(
      info, tl_batch_bind, [this](tl_batch* b, int* done) { return tl_dump_fill(dump(), b, done); },
      [this](Napi::Env env) { return TakeNewNames(env, &dump()->dict); });
}

void InitPoll(Napi::Env env, Napi::Object exports) {
  SetFunctions(exports, {{"layout", Layout}, {"replay", Replay}});
  exports.Set("DiagSocket", DiagSocket::Define(env));
}

}  // namespace tl
