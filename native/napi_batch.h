// Glue helpers shared by the views that fill poll-layout batches.
#pragma once
#include <napi.h>
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

inline bool BindBatch(const Napi::CallbackInfo& info, int argi, tl_batch* b) {
  Napi::ArrayBuffer ab;
  return BufferArgs(info, argi, &ab, [b](void* d, size_t n, uint32_t cap) { return tl_batch_bind(b, d, n, cap); });
}

}  // namespace tl
