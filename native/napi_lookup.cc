// N-API glue for the targeted view: class DiagLookup, exact-match inet_diag
// requests for single sockets (diag_lookup.c) inside one network namespace.
#include <napi.h>
#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>
#include <sys/socket.h>
#include <sys/time.h>
#include "napi_util.h"
#include "napi_batch.h"
extern "C" {
#include "diag_lookup.h"
}

namespace tl {

class DiagLookup : public DumpWrap<DiagLookup> {
 public:
  static Napi::Function Define(Napi::Env env) { return DefineNetns(env, "DiagLookup", {InstanceMethod("lookup", &DiagLookup::Lookup)}); }

  // new DiagLookup(path?: string) — path of a netns file; omitted = our own.
  explicit DiagLookup(const Napi::CallbackInfo& info) : DumpWrap<DiagLookup>(info, "DiagLookup", "lookup init") {
    if (!open_) return;
    // an answer that never comes must not hold a pool thread forever
    struct timeval tv = {1, 0};
    setsockopt(core_.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }

 private:
  // lookup(requests: ArrayBuffer, n, buffer: ArrayBuffer, capacity, ext)
  //   -> Promise<{ rows, status: Int32Array(n), errno, code?, names }>
  // requests: n struct tl_lookup_req (48 bytes each); status[i] = row of
  // request i in the batch, or -errno (-ENOENT gone, -ESTALE another socket).
  Napi::Value Lookup(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Usable(env)) return env.Undefined();
    if (!info[0].IsArrayBuffer() || !info[1].IsNumber() || !info[4].IsNumber()) {
      Napi::TypeError::New(env, "expected (requests, n, buffer, capacity, ext)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Napi::ArrayBuffer rq = info[0].As<Napi::ArrayBuffer>();
    uint32_t n = info[1].As<Napi::Number>().Uint32Value();
    if ((size_t)n * sizeof(tl_lookup_req) > rq.ByteLength()) {
      Napi::RangeError::New(env, "requests buffer shorter than n requests").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    struct Job {
      tl_batch b;
      std::vector<tl_lookup_req> reqs;
      std::vector<int32_t> status;
      uint8_t ext = 0;
      int rc = 0;
    };
    auto j = std::make_shared<Job>();
    if (!BindBatch(info, 2, &j->b)) return env.Undefined();
    if (n > j->b.capacity) {
      Napi::RangeError::New(env, "more requests than batch rows").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    j->reqs.resize(n);
    if (n) memcpy(j->reqs.data(), rq.Data(), (size_t)n * sizeof(tl_lookup_req));
    j->status.resize(n);
    j->ext = (uint8_t)info[4].As<Napi::Number>().Uint32Value();
    Busy();
    return PoolFillWorker::Start(
        env, info.This().As<Napi::Object>(), info[2].As<Napi::ArrayBuffer>(),
        [this, j] { j->rc = tl_lookup(&core_, j->reqs.data(), (uint32_t)j->reqs.size(), j->ext, &j->b, j->status.data()); },
        [this, j](Napi::Env env) {
          Napi::Object o = Napi::Object::New(env);
          SetNum(o, "rows", j->b.rows);
          Napi::Int32Array st = Napi::Int32Array::New(env, j->status.size());
          if (!j->status.empty()) memcpy(st.Data(), j->status.data(), j->status.size() * sizeof(int32_t));
          o.Set("status", st);
          PutErrno(o, j->rc);
          o.Set("names", TakeNewNames(env, &core_.dict));
          SetBusy(false);
          return o;
        });
  }
};

void InitLookup(Napi::Env env, Napi::Object exports) { exports.Set("DiagLookup", DiagLookup::Define(env)); }

}  // namespace tl
