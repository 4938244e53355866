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

// A NETLINK_SOCK_DIAG socket in the namespace whose file info[0] names (our
// own when omitted), owned by d; false with a JS exception pending if not.
inline bool OpenDump(const Napi::CallbackInfo& info, tl_dump* d, const char* what) {
  uint64_t ino = 0;
  int fd = OpenNetnsSocket(info, &ino);
  if (fd < 0) return false;
  if (tl_dump_init(d, fd, ino) < 0) {
    tl_dump_close(d);
    ErrnoError(info.Env(), ENOMEM, what).ThrowAsJavaScriptException();
    return false;
  }
  return true;
}

// The base of the objects that own one inet_diag socket (DiagSocket,
// DiagLookup): its lifetime, its namespace and its counters.
template <typename T>
class DumpWrap : public FillGuard<T> {
 public:
  DumpWrap(const Napi::CallbackInfo& info, const char* what, const char* init_what) : FillGuard<T>(info, what) {
    open_ = OpenDump(info, &dump_, init_what);
  }
  ~DumpWrap() override { Release(); }

  // DefineClass with the members every dump object has: those of every view, and netnsInode.
  static Napi::Function DefineDump(Napi::Env env, const char* name, std::initializer_list<Napi::ClassPropertyDescriptor<T>> own) {
    std::vector<Napi::ClassPropertyDescriptor<T>> props(own);
    props.push_back(T::InstanceAccessor("netnsInode", &T::NetnsInode, nullptr));
    return FillGuard<T>::DefineView(env, name, std::move(props));
  }

  tl_dump* dump() { return &dump_; }
  bool IsOpen() const { return open_; }
  void Release() {
    if (open_) tl_dump_close(&dump_);
    open_ = false;
  }

  Napi::Value NetnsInode(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), (double)dump_.netns_inode); }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    const tl_dump_stats& s = dump_.st;
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

 protected:
  tl_dump dump_{};
  bool open_ = false;
};

inline bool BindBatch(const Napi::CallbackInfo& info, int argi, tl_batch* b) {
  Napi::ArrayBuffer ab;
  return BufferArgs(info, argi, &ab, [b](void* d, size_t n, uint32_t cap) { return tl_batch_bind(b, d, n, cap); });
}

}  // namespace tl
