// Preloaded into `tcplens run` by bench/burst (node -r): samples
// process.memoryUsage() every 100 ms and rewrites TCPLENS_MEMPROBE (a JSON
// file) whenever RSS reaches a new high, so the bench can say what held the
// memory at the peak (V8 heap, ArrayBuffers, the rest: native and code).
'use strict';
const fs = require('fs');
const file = process.env.TCPLENS_MEMPROBE;
if (file) {
  let top = 0;
  const t = setInterval(() => {
    const m = process.memoryUsage();
    if (m.rss <= top) return;
    top = m.rss;
    const mb = (n) => Math.round(n / 1048576);
    fs.writeFileSync(
      file,
      JSON.stringify({
        rss: mb(m.rss),
        heapUsed: mb(m.heapUsed),
        heapTotal: mb(m.heapTotal),
        arrayBuffers: mb(m.arrayBuffers),
        external: mb(m.external),
      }),
    );
  }, 100);
  t.unref();
}
