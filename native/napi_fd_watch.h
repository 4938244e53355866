// A one-shot watch of a file descriptor on the JS thread's libuv loop: once
// the fd is readable, the callback runs once (and the watch is disarmed until
// armed again). It lets `run`'s loop sleep until a view has something to read
// instead of waking on a timer. It never keeps the process alive. Stop it
// before the fd closes (libuv must not poll a closed fd).
#pragma once
#include <napi.h>
#include <uv.h>

namespace tl {

class FdWatch {
 public:
  FdWatch() = default;
  FdWatch(const FdWatch&) = delete;
  FdWatch& operator=(const FdWatch&) = delete;
  ~FdWatch() { Stop(); }

  // Arms the watch on fd (the same fd every time); false when libuv refuses.
  bool Arm(Napi::Env env, int fd, Napi::Function cb) {
    if (fd < 0) return false;
    if (!h_) {
      uv_loop_t* loop = nullptr;
      if (napi_get_uv_event_loop(env, &loop) != napi_ok || !loop) return false;
      h_ = new Handle();
      if (uv_poll_init(loop, &h_->poll, fd) != 0) {
        delete h_;
        h_ = nullptr;
        return false;
      }
      h_->poll.data = h_;
      h_->env = env;
      uv_unref(reinterpret_cast<uv_handle_t*>(&h_->poll));
    }
    h_->cb = Napi::Persistent(cb);
    return uv_poll_start(&h_->poll, UV_READABLE, OnReady) == 0;
  }

  // Disarms and releases the handle; idempotent.
  void Stop() {
    if (!h_) return;
    uv_poll_stop(&h_->poll);
    h_->cb.Reset();
    uv_close(reinterpret_cast<uv_handle_t*>(&h_->poll), [](uv_handle_t* x) { delete static_cast<Handle*>(x->data); });
    h_ = nullptr;
  }

 private:
  struct Handle {
    uv_poll_t poll;
    napi_env env;
    Napi::FunctionReference cb;
  };

  static void OnReady(uv_poll_t* p, int, int) {
    auto* h = static_cast<Handle*>(p->data);
    uv_poll_stop(p);
    if (h->cb.IsEmpty()) return;
    Napi::Env env(h->env);
    Napi::HandleScope scope(env);
    Napi::Function f = h->cb.Value();
    h->cb.Reset();
    // MakeCallback: microtasks (the loop's promise) run when it returns
    f.MakeCallback(env.Global(), {});
    if (env.IsExceptionPending()) env.GetAndClearPendingException();
  }

  Handle* h_ = nullptr;
};

}  // namespace tl
