// N-API glue for the destroy view: class DestroySocket.
#include <napi.h>
#include <cerrno>
#include <string>
#include <linux/netlink.h>
#include "napi_util.h"
#include "napi_batch.h"
#include "napi_fd_watch.h"
#include "napi_wrap.h"
extern "C" {
#include "destroy.h"
#include "netns.h"
}

namespace tl {

class DestroySocket;
using DestroyWrap = NetnsWrap<DestroySocket, tl_destroy, tl_destroy_close>;

// One destroy-multicast subscription inside one network namespace. Its
// drain() never blocks, so it is never busy: NetnsWrap gives it its socket,
// the close() and the members of every view object.
class DestroySocket : public DestroyWrap {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineNetns(env, "DestroySocket",
                       {
                           InstanceMethod("drain", &DestroySocket::Drain),
                           InstanceMethod("watch", &DestroySocket::Watch),
                           InstanceAccessor("rcvbuf", &DestroySocket::Rcvbuf, nullptr),
                       });
  }

  // new DestroySocket(path?: string, rcvbuf?: number)
  explicit DestroySocket(const Napi::CallbackInfo& info)
      : DestroyWrap(info, "DestroySocket", "join destroy multicast groups", [&info](tl_destroy* d, int fd, uint64_t ino) {
          int rcvbuf = info.Length() > 1 && info[1].IsNumber() ? info[1].As<Napi::Number>().Int32Value() : 32 << 20;
          return tl_destroy_init(d, fd, ino, rcvbuf);
        }) {}

  ~DestroySocket() override { Release(); }

  void Release() {
    watch_.Stop();  // before the fd closes
    DestroyWrap::Release();
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object o = Napi::Object::New(env);
    if (open_) tl_destroy_drops(&core_);
    SetNum(o, "recvs", (double)core_.st.recvs);
    SetNum(o, "bytes", (double)core_.st.bytes);
    SetNum(o, "enobufs", (double)core_.st.enobufs);
    SetNum(o, "dropped", (double)core_.st.dropped);
    SetNum(o, "eintr", (double)core_.st.eintr);
    SetNum(o, "truncated", (double)core_.st.truncated);
    SetNum(o, "errors", (double)core_.st.errors);
    PutParseStats(o, core_.st.parse);
    return o;
  }

 private:
  // drain(buffer, capacity) -> { rows, more, errno, code?, names }; never blocks
  Napi::Value Drain(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Usable(env)) return env.Undefined();
    tl_batch b;
    if (!BindBatch(info, 0, &b)) return env.Undefined();
    int more = 0;
    int rc = tl_destroy_drain(&core_, &b, &more);
    Napi::Object o = Napi::Object::New(env);
    SetNum(o, "rows", b.rows);
    o.Set("more", Napi::Boolean::New(env, more != 0));
    PutErrno(o, rc);
    o.Set("names", TakeNewNames(env, &core_.dict));
    return o;
  }

  // watch(cb) -> boolean: cb() once, when a destroy message waits (one-shot;
  // arm again after a drain); false when closed or libuv refused
  Napi::Value Watch(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!info[0].IsFunction()) {
      Napi::TypeError::New(env, "watch(cb): cb must be a function").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    return Napi::Boolean::New(env, open_ && watch_.Arm(env, core_.fd, info[0].As<Napi::Function>()));
  }

  Napi::Value Rcvbuf(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), core_.rcvbuf); }

  FdWatch watch_;
};

void InitDestroy(Napi::Env env, Napi::Object exports) { exports.Set("DestroySocket", DestroySocket::Define(env)); }

}  // namespace tl
