// On-demand V8 profiles of this process through node:inspector (no flags,
// no restart): a CPU profile the Chrome/VS Code profilers load as
// .cpuprofile, and a heap snapshot streamed as .heapsnapshot.
import { Session } from 'node:inspector';
import type { Writable } from 'stream';

function post<T>(s: Session, method: string, params?: object): Promise<T> {
  return new Promise((resolve, reject) => {
    s.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res as T)));
  });
}

/** Samples the main thread for `seconds`; returns the profile object (nodes, samples, timeDeltas). */
export async function cpuProfile(seconds: number): Promise<object> {
  const s = new Session();
  s.connect();
  try {
    await post(s, 'Profiler.enable');
    await post(s, 'Profiler.start');
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const { profile } = await post<{ profile: object }>(s, 'Profiler.stop');
    return profile;
  } finally {
    s.disconnect();
  }
}

/** Writes a heap snapshot to `out` chunk by chunk (it blocks the loop while V8 takes it). */
export async function heapSnapshot(out: Writable): Promise<void> {
  const s = new Session();
  s.connect();
  try {
    s.on('HeapProfiler.addHeapSnapshotChunk', (m) => {
      out.write(m.params.chunk);
    });
    await post(s, 'HeapProfiler.takeHeapSnapshot', { reportProgress: false });
  } finally {
    s.disconnect();
  }
}
