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

// One destroy-multicast subscription inside one network namespace. Its
// drain() never blocks, so it is never busy: FillGuard gives it the close()
// and the members of every view object.
class DestroySocket : public FillGuard<DestroySocket> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineView(env, "DestroySocket",
                      {
                          InstanceMethod("drain", &DestroySocket::Drain),
                          InstanceMethod("watch", &DestroySocket::Watch),
                          InstanceAccessor("netnsInode", &DestroySocket::NetnsInode, nullptr),
                          InstanceAccessor("rcvbuf", &DestroySocket::Rcvbuf, nullptr),
                      });
  }

  // new DestroySocket(path?: string, rcvbuf?: number)
  explicit DestroySocket(const Napi::CallbackInfo& info) : FillGuard<DestroySocket>(info, "DestroySocket") {
    Napi::Env env = info.Env();
    int rcvbuf = info.Length() > 1 && info[1].IsNumber() ? info[1].As<Napi::Number>().Int32Value() : 32 << 20;
    uint64_t ino = 0;
    int fd = OpenNetnsSocket(info, &ino);
    if (fd < 0) return;
    int rc = tl_destroy_init(&d_, fd, ino, rcvbuf);
    if (rc < 0) {
      tl_destroy_close(&d_);
      ErrnoError(env, -rc, "join destroy multicast groups").ThrowAsJavaScriptException();
      return;
    }
    open_ = true;
  }

  ~DestroySocket() override { Release(); }

  bool IsOpen() const { return open_; }
  void Release() {
    watch_.Stop();  // before the fd closes
    if (open_) tl_destroy_close(&d_);
    open_ = false;
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object o = Napi::Object::New(env);
    if (open_) tl_destroy_drops(&d_);
    SetNum(o, "recvs", (double)d_.st.recvs);
    SetNum(o, "bytes", (double)d_.st.bytes);
    SetNum(o, "enobufs", (double)d_.st.enobufs);
    SetNum(o, "dropped", (double)d_.st.dropped);
    SetNum(o, "eintr", (double)d_.st.eintr);
    SetNum(o, "truncated", (double)d_.st.truncated);
    SetNum(o, "errors", (double)d_.st.errors);
    PutParseStats(o, d_.st.parse);
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
    int rc = tl_destroy_drain(&d_, &b, &more);
    Napi::Object o = Napi::Object::New(env);
    SetNum(o, "rows", b.rows);
    o.Set("more", Napi::Boolean::New(env, more != 0));
    PutErrno(o, rc);
    o.Set("names", TakeNewNames(env, &d_.dict));
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
    return Napi::Boolean::New(env, open_ && watch_.Arm(env, d_.fd, info[0].As<Napi::Function>()));
  }

  Napi::Value NetnsInode(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), (double)d_.netns_inode); }
  Napi::Value Rcvbuf(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), d_.rcvbuf); }

  tl_destroy d_{};
  bool open_ = false;
  FdWatch watch_;
};

void InitDestroy(Napi::Env env, Napi::Object exports) { exports.Set("DestroySocket", DestroySocket::Define(env)); }

}  // namespace tl
