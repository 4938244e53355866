// Preloaded into `tcplens run` by bench/burst (node -r): samples
// process.memoryUsage() every 100 ms and rewrites TCPLENS_MEMPROBE (a JSON
// file) whenever RSS reaches a new high, so the bench can say what held the
// memory at the peak: V8 heap, ArrayBuffers, and the rest broken down from
// /proc/self/smaps (resident KiB by kind of mapping):
//   brk: glibc's main arena ([heap]); arena: glibc's per-thread arenas (64 MiB
//   reservations, part PROT_NONE); anon: other anonymous mappings (V8's pages,
//   ArrayBuffers and batches past the mmap threshold, ring buffers); file: code
//   and other file mappings; stack: thread stacks.
'use strict';
const fs = require('fs');
const v8 = require('v8');
const file = process.env.TCPLENS_MEMPROBE;

const ARENA = 64 << 20; // glibc's HEAP_MAX_SIZE on 64-bit

function smaps() {
  const out = { brk: 0, arena: 0, anon: 0, file: 0, stack: 0 };
  let cur = null;
  const maps = [];
  for (const line of fs.readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const h = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ (\d+)\s*(.*)$/.exec(line);
    if (h) {
      cur = { lo: parseInt(h[1], 16), hi: parseInt(h[2], 16), perms: h[3], inode: h[4], name: h[5], rss: 0 };
      maps.push(cur);
    } else if (cur && line.startsWith('Rss:')) cur.rss = Number(line.split(/\s+/)[1]);
  }
  for (let i = 0; i < maps.length; i++) {
    const m = maps[i];
    let kind;
    if (m.name === '[heap]') kind = 'brk';
    else if (m.name.startsWith('[stack')) kind = 'stack';
    else if (m.inode !== '0' || m.name.startsWith('/')) kind = 'file';
    else {
      // an arena: 64 MiB aligned, its used part read-write, the rest reserved
      const next = maps[i + 1];
      const aligned = m.lo % ARENA === 0 && m.perms.startsWith('rw');
      const reserved = next && next.lo === m.hi && next.perms.startsWith('---') && next.hi - m.lo === ARENA;
      kind = aligned && (reserved || m.hi - m.lo === ARENA) ? 'arena' : 'anon';
      // a thread stack: a read-write mapping just above a PROT_NONE guard page
      const prev = maps[i - 1];
      if (kind === 'anon' && prev && prev.hi === m.lo && prev.perms.startsWith('---') && prev.hi - prev.lo <= 65536) kind = 'stack';
    }
    out[kind] += m.rss;
  }
  const mb = {};
  for (const k of Object.keys(out)) mb[k] = Math.round(out[k] / 1024);
  return mb;
}

function afterGc(mb) {
  global.gc();
  const m = process.memoryUsage();
  return { gc: { heapUsed: mb(m.heapUsed), arrayBuffers: mb(m.arrayBuffers), external: mb(m.external), smaps: smaps() } };
}

if (file) {
  let top = 0;
  const t = setInterval(() => {
    const m = process.memoryUsage();
    if (m.rss <= top + (1 << 20)) return; // a new high by a MiB: smaps costs a few ms
    top = m.rss;
    const mb = (n) => Math.round(n / 1048576);
    const spaces = {};
    for (const s of v8.getHeapSpaceStatistics()) spaces[s.space_name] = mb(s.space_size);
    fs.writeFileSync(
      file,
      JSON.stringify({
        rss: mb(m.rss),
        heapUsed: mb(m.heapUsed),
        heapTotal: mb(m.heapTotal),
        arrayBuffers: mb(m.arrayBuffers),
        external: mb(m.external),
        newSpace: spaces.new_space,
        oldSpace: spaces.old_space,
        smaps: smaps(),
        // diagnosis only (node --expose-gc): what a full collection leaves of it
        ...(typeof global.gc === 'function' ? afterGc(mb) : {}),
      }),
    );
  }, 100);
  t.unref();
}
