// Addon entry point: each view registers its own exports.
#include <napi.h>
#include <stdlib.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

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
#ifdef __GLIBC__
  // glibc raises its mmap threshold to the size of every mmapped block freed
  // (up to 32 MiB), so the batch buffers and ArrayBuffers that follow come from
  // the heap and stay resident after free: ~20 MB of a `tcplens run` on an empty
  // namespace (bench/poll/README.md). A fixed threshold maps them and gives them
  // back; MALLOC_MMAP_THRESHOLD_ in the environment still wins.
  if (!getenv("MALLOC_MMAP_THRESHOLD_")) mallopt(M_MMAP_THRESHOLD, 128 * 1024);
#endif
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
