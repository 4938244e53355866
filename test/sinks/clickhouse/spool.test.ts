// The disk spool on its own: order, acks that survive a reopen, the budget,
// and a record cut short by a crash mid-write (skipped and counted).
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { Spool } from '../../../src/sinks/clickhouse/spool';
import type { NativeBatchRecord } from '../../../src/sinks/clickhouse/spool_record';

const rec = (seq: number, size = 100): NativeBatchRecord => ({
  seq: BigInt(seq),
  table: 't',
  rows: seq,
  columns: ['a'],
  native: new Uint8Array(size).fill(seq & 0xff),
  batchId: BigInt(seq),
  minTs: 1,
  maxTs: 2,
  maybeLanded: false,
  createdNs: 0n,
});

describe('disk spool', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tlsp-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('replays in seq order across segments; acks survive a reopen; acked segments are deleted', () => {
    const a = new Spool({ dir, budgetBytes: 1 << 20, segmentBytes: 350 });
    for (let i = 1; i <= 7; i++) expect(a.append(rec(i))).to.equal(true);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.seg')).length).to.be.greaterThan(2);
    for (const want of [1, 2, 3]) {
      expect(Number(a.peek()!.seq)).to.equal(want);
      a.ack(BigInt(want));
    }
    a.close();
    const b = new Spool({ dir, budgetBytes: 1 << 20, segmentBytes: 350 });
    expect(b.writerId).to.equal(a.writerId);
    expect(b.pending).to.equal(4);
    expect(Number(b.maxSeq)).to.equal(7);
    const seen: number[] = [];
    for (let r = b.peek(); r; r = b.peek()) {
      seen.push(Number(r.seq));
      expect(r.native[0]).to.equal(Number(r.seq));
      b.ack(r.seq);
    }
    expect(seen).to.deep.equal([4, 5, 6, 7]);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.seg'))).to.deep.equal([]);
    expect(() => b.ack(8n)).to.throw(/out of order/);
  });

  it('a record appended behind acked ones (spilled out of order) replays under the next seq, not skipped', () => {
    const a = new Spool({ dir, budgetBytes: 1 << 20 });
    for (const s of [4, 5]) a.append(rec(s));
    for (const s of [4n, 5n]) {
      expect(a.peek()!.seq).to.equal(s);
      a.ack(s);
    }
    expect(a.append(rec(3))).to.equal(true); // the batch that was on the wire
    expect(a.pending).to.equal(1);
    const r = a.peek()!;
    expect(r).to.not.equal(null);
    expect([r.seq, r.batchId, r.native[0]]).to.deep.equal([6n, 3n, 3]);
    a.close();
    const b = new Spool({ dir, budgetBytes: 1 << 20 }); // and after a restart
    expect(b.pending).to.equal(1);
    expect(b.peek()!.batchId).to.equal(3n);
    b.ack(6n);
    expect([b.pending, b.peek()]).to.deep.equal([0, null]);
  });

  it('a record appended as staged parts reads back as one block, byte for byte', () => {
    const a = new Spool({ dir, budgetBytes: 1 << 20 });
    const parts = [new Uint8Array([1, 2, 3]), new Uint8Array(0), new Uint8Array(300).fill(7), new Uint8Array([9])];
    expect(a.append({ ...rec(1), native: new Uint8Array(0) }, parts)).to.equal(true);
    expect(a.append(rec(2))).to.equal(true);
    a.close();
    const b = new Spool({ dir, budgetBytes: 1 << 20 });
    const r = b.peek()!;
    expect(Number(r.seq)).to.equal(1);
    expect(Buffer.from(r.native)).to.deep.equal(Buffer.concat(parts));
    expect(r.rows).to.equal(1);
    b.ack(1n);
    expect(b.peek()!.native).to.have.length(100);
    b.close();
  });

  it('refuses appends past the budget (the caller counts the drop)', () => {
    const s = new Spool({ dir, budgetBytes: 1000 });
    let ok = 0;
    for (let i = 1; i <= 20; i++) if (s.append(rec(i))) ok++;
    expect(ok).to.be.within(5, 9);
    expect(s.bytes).to.be.at.most(1000);
    expect(s.pending).to.equal(ok);
  });

  it('a record cut short by a crash is skipped and its bytes counted; the ones before it replay', () => {
    const s = new Spool({ dir, budgetBytes: 1 << 20 });
    s.append(rec(1));
    s.append(rec(2));
    s.close();
    const seg = path.join(
      dir,
      fs.readdirSync(dir).find((f) => f.endsWith('.seg'))!,
    );
    fs.truncateSync(seg, fs.statSync(seg).size - 30);
    const r = new Spool({ dir, budgetBytes: 1 << 20 });
    expect(r.tornBytes).to.be.greaterThan(0);
    expect(Number(r.peek()!.seq)).to.equal(1);
    r.ack(1n);
    expect(r.peek()).to.equal(null);
  });

  it('a damaged ack file is not read as 0: moved to ack.corrupt, counted, every record on disk marked unsure', () => {
    const a = new Spool({ dir, budgetBytes: 1 << 20 });
    for (let i = 1; i <= 5; i++) a.append(rec(i));
    a.peek();
    a.ack(1n);
    a.ack(2n);
    a.close();
    for (const junk of ['', 'x2\n', '2 3\n', '-1\n', '99999999999999999999999\n', '\u0000\u0001']) {
      fs.writeFileSync(path.join(dir, 'ack'), junk);
      const b = new Spool({ dir, budgetBytes: 1 << 20 });
      expect(b.ackCorrupt, JSON.stringify(junk)).to.equal(1);
      expect(b.unsureThrough).to.equal(5n);
      expect(b.pending).to.equal(5);
      expect(fs.existsSync(path.join(dir, 'ack'))).to.equal(false);
      expect(fs.readFileSync(path.join(dir, 'ack.corrupt'), 'latin1')).to.equal(junk);
      b.close();
    }
    // no ack at all (first use) and a good ack are not errors
    const c = new Spool({ dir, budgetBytes: 1 << 20 });
    expect(c.ackCorrupt).to.equal(0);
    expect(c.unsureThrough).to.equal(0n);
    fs.writeFileSync(path.join(dir, 'ack'), '3\n');
    const d = new Spool({ dir, budgetBytes: 1 << 20 });
    expect(d.ackCorrupt).to.equal(0);
    expect(d.pending).to.equal(2);
    expect(Number(d.peek()!.seq)).to.equal(4);
  });

  it('a damaged writer_id is not read as 0: moved to writer_id.corrupt, counted, a fresh random id kept from then on', () => {
    const a = new Spool({ dir, budgetBytes: 1 << 20 });
    expect(a.writerIdCorrupt).to.equal(0);
    a.append(rec(1));
    a.close();
    const ids = new Set<number>([a.writerId]);
    for (const junk of ['', 'x\n', '12 3\n', '-5\n', '4294967296\n', '0x10\n', '\u0000\u0000\u0000\u0000', '99999999999\n']) {
      fs.writeFileSync(path.join(dir, 'writer_id'), junk);
      const b = new Spool({ dir, budgetBytes: 1 << 20 });
      expect(b.writerIdCorrupt, JSON.stringify(junk)).to.equal(1);
      expect(fs.readFileSync(path.join(dir, 'writer_id.corrupt'), 'latin1')).to.equal(junk);
      expect(fs.readFileSync(path.join(dir, 'writer_id'), 'utf8')).to.equal(`${b.writerId}\n`);
      expect(fs.statSync(path.join(dir, 'writer_id')).mode & 0o777).to.equal(0o600);
      expect(b.pending, 'the spooled record is kept').to.equal(1);
      ids.add(b.writerId);
      b.close();
      // the fresh id is the one kept: the next open reads it back, undamaged
      const c = new Spool({ dir, budgetBytes: 1 << 20 });
      expect(c.writerIdCorrupt).to.equal(0);
      expect(c.writerId).to.equal(b.writerId);
      c.close();
    }
    // a fresh random id each time (9 ids of 32 bits: equal ones would mean it is not random)
    expect(ids.size).to.equal(9);
    // a good id with or without its newline, including the largest u32, is read as it is
    for (const [text, want] of [
      ['7', 7],
      ['4294967295\n', 4294967295],
    ] as const) {
      fs.writeFileSync(path.join(dir, 'writer_id'), text);
      const d = new Spool({ dir, budgetBytes: 1 << 20 });
      expect([d.writerId, d.writerIdCorrupt]).to.deep.equal([want, 0]);
      d.close();
    }
  });

  it('owner only: the directory is made (or tightened to) 0700, its files 0600; another local user reads nothing', function () {
    fs.chmodSync(dir, 0o755); // the parent lets others in, as /var/lib or a home directory may
    const sd = path.join(dir, 'spool');
    fs.mkdirSync(sd, { mode: 0o755 });
    fs.writeFileSync(path.join(dir, 'public'), 'x', { mode: 0o644 });
    const s = new Spool({ dir: sd, budgetBytes: 1 << 20 });
    s.append(rec(1));
    s.peek();
    s.ack(1n);
    s.append(rec(2));
    s.close();
    expect(fs.statSync(sd).mode & 0o777).to.equal(0o700);
    const files = fs.readdirSync(sd);
    expect(files).to.include.members(['ack', 'writer_id']);
    for (const f of files) expect(fs.statSync(path.join(sd, f)).mode & 0o777, f).to.equal(0o600);
    if (process.getuid?.() !== 0 || spawnSync('setpriv', ['--version']).status !== 0) {
      console.log('      skipped the other-user check: needs root and setpriv (util-linux)');
      return;
    }
    const asNobody = (f: string): number | null =>
      spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'cat', f], { stdio: 'ignore' }).status;
    expect(asNobody(path.join(dir, 'public')), 'control: nobody reads a 0644 file beside it').to.equal(0);
    for (const f of files) expect(asNobody(path.join(sd, f)), f).to.not.equal(0);
  });
});
