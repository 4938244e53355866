// N-API glue for the events view: eventLayout(), eventsBuilt() and class
// EventTracer. Loading, draining and counting live in the C core (events.c);
// this file only moves buffers and counters across the boundary.
#include <napi.h>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>
#include "napi_util.h"
#include "napi_wrap.h"
#include "napi_fd_watch.h"
extern "C" {
#include "events.h"
#include "event_pump.h"
}

namespace tl {

// eventLayout(capacity) -> { capacity, bytes, columns: [{name, type, offset, tcpiEnd: 0}] }
static Napi::Value EventLayout(const Napi::CallbackInfo& info) { return LayoutOf<TL_EVENT_NCOLS>(info, tl_event_layout); }

// eventContract() -> { kinds: [{ name, value }], flags: { NAME: bit } }: the
// wire format's (bpf/tcp_events.h), for scripts/gen-layout.js
static Napi::Value EventContract(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array kinds = Napi::Array::New(env);
  Napi::Object flags = Napi::Object::New(env);
  uint32_t k = 0;
#define TL_JS_KIND(n, v, s)                  \
  {                                          \
    Napi::Object o = Napi::Object::New(env); \
    o.Set("name", #s);                       \
    SetNum(o, "value", v);                   \
    kinds.Set(k++, o);                       \
  }
  TL_EVENT_KINDS(TL_JS_KIND)
#undef TL_JS_KIND
#define TL_JS_FLAG(n, v) SetNum(flags, #n, v);
  TL_EVENT_FLAGS(TL_JS_FLAG)
#undef TL_JS_FLAG
  Napi::Object o = Napi::Object::New(env);
  o.Set("kinds", kinds);
  o.Set("flags", flags);
  return o;
}

// eventsBuilt() -> { built, reason? }
static Napi::Value EventsBuilt(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* why = nullptr;
  Napi::Object o = Napi::Object::New(env);
  o.Set("built", Napi::Boolean::New(env, tl_events_built(&why) != 0));
  if (why) o.Set("reason", Napi::String::New(env, why));
  return o;
}

static uint32_t U32Opt(Napi::Object o, const char* k, uint32_t dflt) {
  return o.Has(k) && o.Get(k).IsNumber() ? o.Get(k).As<Napi::Number>().Uint32Value() : dflt;
}

// o[key], an array of at most `max` numbers, into out[] and *n; else throws.
template <typename T>
static bool NumberList(Napi::Object o, const char* key, T* out, uint32_t max, uint32_t* n, const char* what) {
  if (!o.Has(key) || !o.Get(key).IsArray()) return true;
  Napi::Array a = o.Get(key).As<Napi::Array>();
  if (a.Length() > max) {
    Napi::RangeError::New(o.Env(), "at most " + std::to_string(max) + " " + what).ThrowAsJavaScriptException();
    return false;
  }
  for (uint32_t i = 0; i < a.Length(); i++) out[i] = (T)a.Get(i).As<Napi::Number>().Int64Value();
  *n = a.Length();
  return true;
}

static bool ParseConfig(Napi::Env env, Napi::Object o, tl_events_config* c) {
  memset(c, 0, sizeof(*c));
  c->kinds = U32Opt(o, "kinds", 0);
  c->states = U32Opt(o, "states", 0);
  c->ring_bytes = U32Opt(o, "ringBytes", 0);
  c->wake_bytes = U32Opt(o, "wakeBytes", 0);
  c->mode = -1;
  if (o.Has("mode") && o.Get("mode").IsString()) {
    std::string m = o.Get("mode").As<Napi::String>().Utf8Value();
    c->mode = m == "tp_btf" ? 0 : m == "tracepoint" ? 1 : -1;
  }
  return NumberList(o, "netns", c->netns, TL_EVCFG_MAX_NETNS, &c->n_netns, "network namespaces") &&
         NumberList(o, "ports", c->ports, TL_EVCFG_MAX_PORTS, &c->n_ports, "ports");
}

class EventTracer : public FillGuard<EventTracer> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineView(env, "EventTracer",
                      {
                          InstanceMethod("drain", &EventTracer::Drain),
                          InstanceMethod("watch", &EventTracer::Watch),
                          InstanceAccessor("mode", &EventTracer::Mode, nullptr),
                          InstanceAccessor("ringBytes", &EventTracer::RingBytes, nullptr),
                          InstanceAccessor("parts", &EventTracer::Parts, nullptr),
                      });
  }

  // new EventTracer({ netns?, ports?, kinds?, states?, ringBytes?, mode?, wakeBytes?,
  // pumpMs?, pumpBatches? }): loads and attaches every part it can; throws (with
  // .parts) when none loads. pumpMs > 0: a reader thread (event_pump.h) empties
  // the ring, woken by data past wakeBytes or every pumpMs, into at most
  // pumpBatches queued batches; drain() then takes them without a pool round trip.
  explicit EventTracer(const Napi::CallbackInfo& info) : FillGuard<EventTracer>(info, "EventTracer") {
    Napi::Env env = info.Env();
    tl_events_config cfg;
    Napi::Object o = info[0].IsObject() ? info[0].As<Napi::Object>() : Napi::Object::New(env);
    if (!ParseConfig(env, o, &cfg)) return;
    pump_ms_ = (int)U32Opt(o, "pumpMs", 0);
    pump_batches_ = U32Opt(o, "pumpBatches", 256);
    char err[4096] = "";
    tl_part_info parts[TL_EVENTS_NPARTS];
    int rc = tl_events_open(&cfg, &e_, parts, err, sizeof(err));
    if (!ThrowIfNoParts(env, rc, err, parts, TL_EVENTS_NPARTS)) tl_events_parts_info(e_, parts_);
  }

  ~EventTracer() override { Release(); }

  tl_events* events() { return e_; }
  bool IsOpen() const { return e_ != nullptr; }
  // stops the reader thread, detaches and unloads
  void Release() {
    watch_.Stop();  // before the pump's ready fd and the ring close
    ring_watch_.Stop();
    tl_event_pump_stop(pump_);
    pump_ = nullptr;
    tl_events_close(e_);
    e_ = nullptr;
  }

 private:
  Napi::Value Drain(const Napi::CallbackInfo& info);
  Napi::Value Take(Napi::Env env, Napi::ArrayBuffer ab, uint32_t cap);

  // watch(cb, queueOnly?) -> boolean: cb() once, when the reader thread has
  // rows to take or the ring was woken (the programs wake it at the first
  // record into an empty ring: a drain then takes it from the ring, one thread
  // hop, not two); queueOnly: only when the reader thread has rows, which it
  // gathers pumpMs after the first record (one wakeup a batch, not two);
  // one-shot, arm again after a drain; false without a running reader thread
  Napi::Value Watch(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!info[0].IsFunction()) {
      Napi::TypeError::New(env, "watch(cb, queueOnly?): cb must be a function").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Napi::Function cb = info[0].As<Napi::Function>();
    bool queue_only = info.Length() > 1 && info[1].ToBoolean().Value();
    if (queue_only) ring_watch_.Stop();
    bool ok = e_ && pump_ && watch_.Arm(env, tl_event_pump_ready_fd(pump_), cb) &&
              (queue_only || ring_watch_.Arm(env, tl_events_ring_fd(e_), cb));
    return Napi::Boolean::New(env, ok);
  }

  friend class FillGuard<EventTracer>;  // its DefineView lists Stats
  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!e_) {
      Napi::Error::New(env, "EventTracer is closed").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    const struct tl_events_stats* s = tl_events_stats(e_);
    Napi::Object o = Napi::Object::New(env);
    SetNum(o, "events", (double)s->events);
    SetNum(o, "bytes", (double)s->bytes);
    SetNum(o, "batches", (double)s->batches);
    SetNum(o, "malformed", (double)s->malformed);
    SetNum(o, "commOverflow", (double)s->comm_overflow);
    std::vector<uint64_t> lost(1024);
    int n = tl_events_lost(e_, lost.data(), (int)lost.size());
    Napi::Array per = Napi::Array::New(env, n > 0 ? n : 0);
    double total = 0;
    for (int i = 0; i < n && i < (int)lost.size(); i++) {
      per.Set(i, Napi::Number::New(env, (double)lost[i]));
      total += (double)lost[i];
    }
    SetNum(o, "lost", total);
    SetNum(o, "tableFull", (double)tl_events_table_full(e_));
    o.Set("lostPerCpu", per);
    if (n < 0) SetNum(o, "lostErrno", -n);
    if (pump_) {
      struct tl_event_pump_stats ps;
      tl_event_pump_stats(pump_, &ps);
      Napi::Object p = Napi::Object::New(env);
      SetNum(p, "dataWakeups", (double)ps.data_wakeups);
      SetNum(p, "timerWakeups", (double)ps.timer_wakeups);
      SetNum(p, "wakeups", (double)ps.wakeups);
      SetNum(p, "batches", (double)ps.batches);
      SetNum(p, "stalls", (double)ps.stalls);
      SetNum(p, "queuedRows", (double)ps.queued_rows);
      SetNum(p, "peakRows", (double)ps.peak_rows);
      SetNum(p, "errors", (double)ps.errors);
      SetNum(p, "cpuNs", (double)ps.cpu_ns);
      o.Set("pump", p);
    }
    return o;
  }

  Napi::Value Mode(const Napi::CallbackInfo& info) {
    if (!e_) return info.Env().Null();
    return Napi::String::New(info.Env(), tl_events_mode(e_) == TL_EVMODE_TP_BTF ? "tp_btf" : "tracepoint");
  }
  Napi::Value RingBytes(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), e_ ? tl_events_ring_bytes(e_) : 0); }
  // [{ part, program, up, why }] as loaded (kept after close)
  Napi::Value Parts(const Napi::CallbackInfo& info) { return PartsArray(info.Env(), parts_, TL_EVENTS_NPARTS); }

  tl_part_info parts_[TL_EVENTS_NPARTS] = {};
  tl_events* e_ = nullptr;
  tl_event_pump* pump_ = nullptr;
  FdWatch watch_, ring_watch_;
  int pump_ms_ = 0;
  uint32_t pump_batches_ = 256;
};

// { rows, more, errno, code?, offsetNs, names: [] } (names set by the caller when there are any)
static Napi::Object Result(Napi::Env env, uint32_t rows, bool more, int rc, int64_t offset) {
  Napi::Object o = Napi::Object::New(env);
  SetNum(o, "rows", rows);
  o.Set("more", Napi::Boolean::New(env, more));
  PutErrno(o, rc);
  SetNum(o, "offsetNs", (double)offset);
  o.Set("names", Napi::Array::New(env));
  return o;
}

static Napi::Value Resolved(Napi::Env env, Napi::Object o) {
  auto d = Napi::Promise::Deferred::New(env);
  d.Resolve(o);
  return d.Promise();
}

struct NamesCtx {
  Napi::Env env;
  tl_events* e;
  Napi::Array names;
};

// With the reader thread: a queued batch (or what the ring holds) copied into
// ab now, on this thread; the promise is resolved before it is returned.
Napi::Value EventTracer::Take(Napi::Env env, Napi::ArrayBuffer ab, uint32_t cap) {
  auto d = Napi::Promise::Deferred::New(env);
  if (!pump_) {
    int rc = tl_event_pump_start(e_, cap, pump_batches_ < 2 ? 2 : pump_batches_, pump_ms_, &pump_);
    if (rc < 0) {
      d.Reject(ErrnoError(env, -rc, "start the events reader thread").Value());
      return d.Promise();
    }
  }
  if (cap != tl_event_pump_capacity(pump_)) {
    d.Reject(Napi::RangeError::New(env, "drain(): capacity differs from the reader thread's batches").Value());
    return d.Promise();
  }
  int more = 0;
  int64_t offset = 0;
  NamesCtx nc{env, e_, Napi::Array::New(env)};
  int rc = tl_event_pump_take(
      pump_, ab.Data(), ab.ByteLength(), &more, &offset,
      [](void* c) {
        auto* n = static_cast<NamesCtx*>(c);
        n->names = TakeNewNames(n->env, tl_events_comms(n->e));
      },
      &nc);
  Napi::Object o = Result(env, rc > 0 ? (uint32_t)rc : 0, more != 0, rc < 0 ? rc : 0, offset);
  o.Set("names", nc.names);
  d.Resolve(o);
  return d.Promise();
}

// drain(buffer: ArrayBuffer, capacity) -> Promise<{ rows, more, errno, code?, offsetNs, names }>
Napi::Value EventTracer::Drain(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!Usable(env)) return env.Undefined();
  Napi::ArrayBuffer ab;
  if (pump_ms_ > 0 || !tl_events_pending(e_)) {
    uint32_t cap = 0;
    if (!BufferArgs(info, 0, &ab, [&cap](void*, size_t, uint32_t c) {
          cap = c;
          return c == 0 ? -1 : 0;
        }))
      return env.Undefined();
    if (pump_ms_ > 0) return Take(env, ab, cap);
    // an empty ring: answered now, no pool round trip (two loads from the ring's pages)
    return Resolved(env, Result(env, 0, false, 0, 0));
  }
  struct Job {
    tl_event_batch b;
    int rc = 0;
    int more = 0;
    int64_t offset = 0;
  };
  auto j = std::make_shared<Job>();
  if (!BufferArgs(info, 0, &ab, [&j](void* d, size_t n, uint32_t cap) {
        return cap == 0 ? -1 : tl_event_batch_bind(&j->b, d, n, cap);  // an empty batch would never drain
      }))
    return env.Undefined();
  Busy();
  // the ring is drained on the libuv pool: the JS thread never walks it
  return PoolFillWorker::Start(
      env, info.This().As<Napi::Object>(), ab, [this, j] { j->rc = tl_events_drain(events(), &j->b, &j->more, &j->offset); },
      [this, j](Napi::Env env) {
        Napi::Object o = Result(env, j->b.rows, j->more != 0, j->rc, j->offset);
        o.Set("names", TakeNewNames(env, tl_events_comms(events())));
        SetBusy(false);
        return o;
      });
}

void InitEvents(Napi::Env env, Napi::Object exports) {
  SetFunctions(exports, {{"eventLayout", EventLayout}, {"eventsBuilt", EventsBuilt}, {"eventContract", EventContract}});
  exports.Set("EventTracer", EventTracer::Define(env));
}

}  // namespace tl
