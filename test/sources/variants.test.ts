// Every variant of every eBPF part, forced by having the verifier refuse the
// better ones (TCPLENS_TEST_REFUSE), against a known workload on the real
// kernel: a variant the kernel accepts reports what the best one does, and a
// variant it refuses is named with the verifier's words. On the kernel matrix
// this proves each fallback on the kernels that need it.
import { expect } from 'chai';
import { EventSource } from '../../src/sources/events';
import { PollSource } from '../../src/sources/poll';
import { SampleSource } from '../../src/sources/samples';
import { parseNetnsSelector } from '../../src/netns/select';
import { partDefs, type BpfView } from '../../src/sources/parts';
import { EVF } from '../../src/layout/event_columns';
import { SMF } from '../../src/layout/sample_columns';
import { ownerToRecord, sampleToRecord, type SampleRecord } from '../../src/format/sample_record';
import type { ViewPart } from '../../src/native/addon';
import { createNetns, deleteNetns } from '../helpers/netns';
import { eventsWithTracefs } from '../helpers/tracefs';
import { collectEvents, netnsInode, type EventRow } from '../helpers/events';
import { heldChurn } from '../helpers/churn';
import { samplesSkipReason, startSampleWorkload, type SampleWorkloadInfo } from '../helpers/samples';
import { skipIf } from '../helpers/skip';
import { scaled } from '../helpers/time_scale';

const show = (r: EventRow): string => `${r.kind} ${r.sport}>${r.dport} cookie ${r.cookie} flags ${r.flags}`;
const settle = (ms = 300): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs fn with the verifier made to refuse `programs`. */
async function refusing<T>(programs: string[], fn: () => Promise<T>): Promise<T> {
  const before = process.env.TCPLENS_TEST_REFUSE;
  process.env.TCPLENS_TEST_REFUSE = programs.join(',');
  try {
    return await fn();
  } finally {
    if (before === undefined) delete process.env.TCPLENS_TEST_REFUSE;
    else process.env.TCPLENS_TEST_REFUSE = before;
  }
}

/** The programs before variant k of every part of `view` (k past a part's last: all of them). */
function betterThan(view: BpfView, k: number): string[] {
  return partDefs(view).flatMap((d) => d.variants.slice(0, k).map((v) => v.program));
}

/** The part runs variant `program` (true), or the kernel refused it and said so
 * with the verifier's words (false: nothing more to check of it here). */
function ranOrRefused(p: ViewPart | undefined, program: string): boolean {
  expect(p, 'part reported').to.not.equal(undefined);
  if (p!.up && p!.program === program) return true;
  expect(p!.why, `${p!.part}: why ${program} did not run`).to.include(`${program}: `);
  console.log(`      ${p!.part}: the kernel refused ${program}: ${p!.why.split(`${program}: `)[1]!.split('; ')[0]}`);
  return false;
}

describe('eBPF variants: each one the kernel accepts reports what the best one does', function () {
  this.timeout(scaled(120_000));

  describe('events (state, retransmit, reset_sent, reset_received)', () => {
    let ns = '';
    const tracefs = eventsWithTracefs(); // for the classic-tracepoint variants
    before(tracefs.before);
    after(tracefs.after);
    beforeEach(() => {
      ns = createNetns('var');
    });
    afterEach(() => {
      if (ns) deleteNetns(ns);
    });

    const defs = (): ReturnType<typeof partDefs> => partDefs('events');
    for (const k of [0, 1, 2]) {
      it(`variant ${k + 1} of each part: opens and closes of N connections; a cookie on every event of a polled socket`, async () => {
        const programs = defs().map((d) => d.variants[k]!.program);
        const N = 6,
          BYTES = 700;
        await refusing(betterThan('events', k), async () => {
          const src = new EventSource({ netns: [netnsInode(ns)] });
          src.start();
          try {
            const state = src.parts().find((p) => p.part === 'state');
            if (!ranOrRefused(state, programs[0]!)) return;
            for (const p of src.parts()) if (p.up) expect(p.program.split('_')[0]).to.equal(programs[0]!.split('_')[0]);
            // phase 1: never polled, so no cookie unless the variant generates it
            const held = await heldChurn(ns, N, BYTES);
            await settle();
            const opens = await collectEvents(src);
            // phase 2: a poll generates every socket's cookie; the closes carry it
            const polled = new Map<string, string>();
            const poll = new PollSource({ netns: parseNetnsSelector(ns) });
            await poll.cycle((b) => {
              for (let i = 0; i < b.rows; i++)
                polled.set(`${b.u16('sport')[i]}>${b.u16('dport')[i]}`, b.u64('idiag_cookie')[i]!.toString());
            });
            poll.close();
            const truth = await held.release();
            await settle();
            const closes = (await collectEvents(src)).filter((r: EventRow) => r.kind === 'close' && r.dport !== 0);
            expect(opens.filter((r) => r.kind === 'active_open')).to.have.length(N);
            expect(opens.filter((r) => r.kind === 'passive_open')).to.have.length(N);
            const generates = k === 0;
            for (const r of opens.filter((x) => x.kind.endsWith('_open'))) {
              expect(r.cookie !== '0', show(r)).to.equal(generates);
              expect((r.flags & EVF.NOCOOKIE) !== 0).to.equal(!generates);
              const key = `${r.sport}>${r.dport}`;
              if (generates) expect(r.cookie).to.equal(polled.get(key)); // the same cookie inet_diag reports
            }
            expect(closes).to.have.length(2 * N);
            for (const r of closes) {
              expect(r.cookie, show(r)).to.equal(polled.get(`${r.sport}>${r.dport}`));
              expect(r.flags & EVF.NOCOOKIE).to.equal(0);
              expect(r.flags & EVF.FINAL).to.equal(EVF.FINAL);
            }
            const port = truth.listener[1];
            for (const f of truth.flows) {
              const c = closes.find((r) => r.sport === f.sport && r.dport === port)!;
              expect(c.acked).to.equal(BYTES + 2); // + SYN and FIN
              expect(c.received).to.be.oneOf([BYTES / 2, BYTES / 2 + 1]); // + the peer's FIN, if it came first
            }
          } finally {
            src.close();
          }
        });
      });
    }
  });

  describe('samples (tasks, owners)', () => {
    let ns = '';
    let wl: SampleWorkloadInfo;
    let stop: () => Promise<void> = async () => undefined;
    let polled = new Map<string, { cookie: string; inode: number }>();

    before(async function () {
      const why = samplesSkipReason();
      skipIf(this, why, `${why}`);
      ns = createNetns('varsmp');
      const w = await startSampleWorkload(ns, { recv: 2 });
      wl = w.info;
      stop = w.stop;
      const p = new PollSource({ netns: parseNetnsSelector(ns) });
      polled = new Map();
      await p.cycle((b) => {
        for (let i = 0; i < b.rows; i++) {
          polled.set(`${b.u16('sport')[i]}>${b.u16('dport')[i]}`, {
            cookie: b.u64('idiag_cookie')[i]!.toString(),
            inode: b.u32('idiag_inode')[i]!,
          });
        }
      });
      p.close();
    });
    after(async () => {
      await stop();
      if (ns) deleteNetns(ns);
    });

    for (const k of [0, 1, 2]) {
      it(`tasks variant ${k + 1}: each thread blocked in recv, with its socket and the poll's cookie`, async () => {
        const v = partDefs('samples').find((d) => d.part === 'tasks')!.variants[k]!.program;
        await refusing(
          partDefs('samples')
            .find((d) => d.part === 'tasks')!
            .variants.slice(0, k)
            .map((x) => x.program),
          async () => {
            const src = new SampleSource({ pid: wl.pid });
            src.start();
            try {
              if (
                !ranOrRefused(
                  src.parts().find((p) => p.part === 'tasks'),
                  v,
                )
              )
                return;
              const rows: SampleRecord[] = [];
              await src.sample((b, ctx) => {
                for (let i = 0; i < b.rows; i++) rows.push(sampleToRecord(b, i, ctx.names));
              });
              for (const t of wl.threads.filter((x) => x.role === 'recv')) {
                const r = rows.find((x) => x.pid === t.tid);
                expect(r, `recv thread ${t.tid}`).to.not.equal(undefined);
                expect(r!.task_state).to.equal('S');
                if (process.arch === 'x64') expect(r!.syscall).to.equal('recvfrom');
                expect(Number(r!.flags) & SMF.SOCKET).to.equal(SMF.SOCKET);
                expect([r!.src, r!.sport, r!.dport]).to.deep.equal(['127.0.0.1', t.sport, t.dport]);
                const p = polled.get(`${t.sport}>${t.dport}`)!;
                expect([r!.idiag_cookie, r!.idiag_inode]).to.deep.equal([p.cookie, p.inode]);
              }
            } finally {
              src.close();
            }
          },
        );
      });
    }

    for (const k of [0, 1]) {
      it(`owners variant ${k + 1}: every socket of the workload, its process and the poll's cookie`, async () => {
        const variants = partDefs('samples').find((d) => d.part === 'owners')!.variants;
        await refusing(
          variants.slice(0, k).map((x) => x.program),
          async () => {
            const src = new SampleSource({});
            src.start();
            try {
              if (
                !ranOrRefused(
                  src.parts().find((p) => p.part === 'owners'),
                  variants[k]!.program,
                )
              )
                return;
              const owners = new Map<number, SampleRecord>();
              await src.owners((b, ctx) => {
                for (let i = 0; i < b.rows; i++) {
                  const o = ownerToRecord(b, i, ctx.names);
                  owners.set(Number(o.idiag_inode), o);
                }
              });
              expect(polled.size).to.be.at.least(3);
              for (const [key, p] of polled) {
                const o = owners.get(p.inode);
                expect(o, `owner of ${key}`).to.not.equal(undefined);
                expect([o!.tgid, o!.idiag_cookie]).to.deep.equal([wl.pid, p.cookie]);
              }
            } finally {
              src.close();
            }
          },
        );
      });
    }
  });
});
