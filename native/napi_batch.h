// Glue helpers shared by the views that fill poll-layout batches.
#pragma once
#include <napi.h>
#include <initializer_list>
#include <utility>
#include <vector>
#include "napi_util.h"
#include "napi_wrap.h"
extern "C" {
#include "batch.h"
#include "diag_dump.h"
#include "diag_parse.h"
}

namespace tl {

inline void PutParseStats(Napi::Object o, const tl_parse_stats& p) {
  SetNum(o, "messages", (double)p.messages);
  SetNum(o, "rows", (double)p.rows);
  SetNum(o, "parseErrors", (double)p.parse_errors);
  SetNum(o, "shortInfo", (double)p.short_info);
  SetNum(o, "dumpIntr", (double)p.dump_intr);
  SetNum(o, "dictOverflow", (double)p.dict_overflow);
  SetNum(o, "foreign", (double)p.foreign);
}

// The base of the objects that own one NETLINK_SOCK_DIAG socket inside the
// network namespace whose file info[0] names (our own when omitted):
// DiagSocket and DiagLookup (inet_diag requests), DestroySocket (the destroy
// multicast). The socket's C core, open from construction to close(), and
// its namespace (netnsInode).
template <typename T, typename Core, void (*CloseCore)(Core*)>
class NetnsWrap : public FillGuard<T> {
 public:
  // init(&core, fd, netns inode) -> 0 or -errno sets the core up around the
  // socket (which it owns from then on); on failure throws "init_what: why".
  template <typename Init>
  NetnsWrap(const Napi::CallbackInfo& info, const char* what, const char* init_what, Init init) : FillGuard<T>(info, what) {
    uint64_t ino = 0;
    int fd = OpenNetnsSocket(info, &ino);
    if (fd < 0) return;
    int rc = init(&core_, fd, ino);
    if (rc < 0) {
      CloseCore(&core_);
      ErrnoError(info.Env(), -rc, init_what).ThrowAsJavaScriptException();
      return;
    }
    open_ = true;
  }
  ~NetnsWrap() override { Release(); }

  // DefineView with the members every such object has: those of every view, and netnsInode.
  static Napi::Function DefineNetns(Napi::Env env, const char* name, std::initializer_list<Napi::ClassPropertyDescriptor<T>> own) {
    std::vector<Napi::ClassPropertyDescriptor<T>> props(own);
    props.push_back(T::InstanceAccessor("netnsInode", &T::NetnsInode, nullptr));
    return FillGuard<T>::DefineView(env, name, std::move(props));
  }

  bool IsOpen() const { return open_; }
  void Release() {
    if (open_) CloseCore(&core_);
    open_ = false;
  }

  Napi::Value NetnsInode(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), (double)core_.netns_inode); }

 protected:
  Core core_{};
  bool open_ = false;
};

// The base of the objects that own one inet_diag socket (DiagSocket,
// DiagLookup): their counters.
template <typename T>
class DumpWrap : public NetnsWrap<T, tl_dump, tl_dump_close> {
 public:
  DumpWrap(const Napi::CallbackInfo& info, const char* what, const char* init_what)
      : NetnsWrap<T, tl_dump, tl_dump_close>(info, what, init_what, tl_dump_init) {}

  tl_dump* dump() { return &this->core_; }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    const tl_dump_stats& s = this->core_.st;
    Napi::Object o = Napi::Object::New(info.Env());
    SetNum(o, "requests", (double)s.requests);
    SetNum(o, "recvs", (double)s.recvs);
    SetNum(o, "bytes", (double)s.bytes);
    SetNum(o, "eintr", (double)s.eintr);
    SetNum(o, "enobufs", (double)s.enobufs);
    SetNum(o, "truncated", (double)s.truncated);
    SetNum(o, "nlErrors", (double)s.nl_errors);
    SetNum(o, "dumpsDone", (double)s.dumps_done);
    PutParseStats(o, s.parse);
    return o;
  }
};

inline bool BindBatch(const Napi::CallbackInfo& info, int argi, tl_batch* b) {
  Napi::ArrayBuffer ab;
  return BufferArgs(info, argi, &ab, [b](void* d, size_t n, uint32_t cap) { return tl_batch_bind(b, d, n, cap); });
}

}  // namespace tl
