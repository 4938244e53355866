// Addon entry point: each view registers its own exports.
#include <napi.h>

namespace tl {
void InitPoll(Napi::Env env, Napi::Object exports);
void InitProbe(Napi::Env env, Napi::Object exports);
void InitDestroy(Napi::Env env, Napi::Object exports);
void InitBpfStats(Napi::Env env, Napi::Object exports);
void InitEvents(Napi::Env env, Napi::Object exports);
void InitSampler(Napi::Env env, Napi::Object exports);
void InitLookup(Napi::Env env, Napi::Object exports);
void InitIter(Napi::Env env, Napi::Object exports);
void InitPrivdrop(Napi::Env env, Napi::Object exports);
}  // namespace tl

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  tl::InitPoll(env, exports);
  tl::InitProbe(env, exports);
  tl::InitDestroy(env, exports);
  tl::InitBpfStats(env, exports);
  tl::InitEvents(env, exports);
  tl::InitSampler(env, exports);
  tl::InitLookup(env, exports);
  tl::InitIter(env, exports);
  tl::InitPrivdrop(env, exports);
  return exports;
}

NODE_API_MODULE(tcplens, Init)
