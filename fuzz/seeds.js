#!/usr/bin/env node
// Writes the seed corpus of every fuzz target (fuzz/*.c) into DIR/<target>/:
// the recorded dumps of test/fixtures cut into what each target reads, and
// well-formed event and sample records laid out as bpf/tcp_events.h and
// bpf/task_sampler.h define them. Usage: node fuzz/seeds.js DIR
'use strict';
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const out = process.argv[2];
if (!out) {
  console.error('usage: node fuzz/seeds.js DIR');
  process.exit(2);
}

function put(target, name, bytes) {
  const dir = path.join(out, target);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, name), bytes);
}

/** The chunks of a recording ([u32 length][chunk]...). */
function chunks(rec) {
  const list = [];
  for (let off = 0; off + 4 <= rec.length;) {
    const n = rec.readUInt32LE(off);
    list.push(rec.subarray(off + 4, off + 4 + n));
    off += 4 + n;
  }
  return list;
}

function frame(list) {
  return Buffer.concat(list.flatMap((c) => [Buffer.from(Uint32Array.of(c.length).buffer), c]));
}

/** An NLMSG_ERROR message (errno), and NLMSG_DONE, with sequence `seq`. */
function nlmsg(type, seq, payload) {
  const b = Buffer.alloc(16 + payload.length);
  b.writeUInt32LE(b.length, 0);
  b.writeUInt16LE(type, 4);
  b.writeUInt16LE(2, 6); // NLM_F_MULTI
  b.writeUInt32LE(seq, 8);
  payload.copy(b, 16);
  return b;
}
const errorMsg = (seq, errno) => nlmsg(2, seq, Buffer.concat([Buffer.from(Int32Array.of(-errno).buffer), Buffer.alloc(16)]));
const doneMsg = (seq) => nlmsg(3, seq, Buffer.alloc(4));

for (const name of ['small', 'large']) {
  const rec = fs.readFileSync(path.join(root, 'test', 'fixtures', `${name}.bin`));
  const list = chunks(rec).slice(0, name === 'large' ? 4 : undefined);
  // replay: [capacity - 1][recording]
  put('diag_replay', `${name}`, Buffer.concat([Buffer.of(63), frame(list)]));
  put('diag_replay', `${name}-cap4`, Buffer.concat([Buffer.of(3), frame(list.slice(0, 2))]));
  const seq = list[0].readUInt32LE(8);
  put('diag_replay', `${name}-error`, Buffer.concat([Buffer.of(63), frame([list[0], errorMsg(seq, 16), list[1]])]));
  list.forEach((c, i) => {
    // dump: [capacity - 1][mode][chunk]; destroy: [capacity - 1][datagram]
    put('diag_dump', `${name}-${i}`, Buffer.concat([Buffer.of(63, 1), c]));
    put('diag_dump', `${name}-${i}-cap2`, Buffer.concat([Buffer.of(1, 1 | 4), c]));
    put('destroy', `${name}-${i}`, Buffer.concat([Buffer.of(63), c]));
  });
  put('diag_dump', `${name}-done`, Buffer.concat([Buffer.of(63, 1 | 2), list[list.length - 1], doneMsg(seq)]));
}

// struct tl_event (160 bytes): u64 ts, cookie, netns, cgroup, duration, acked,
// received; u32 pid, tgid, segs_in, segs_out, retrans, srtt, rttvar, delivered,
// lost; u16 sport, dport; u8 saddr[16], daddr[16], comm[16], kind, family,
// oldstate, newstate, flags, pad[11]
function event(kind, family, comm, flags) {
  const b = Buffer.alloc(160);
  for (let i = 0; i < 7; i++) b.writeBigUInt64LE(BigInt(1000 * (i + 1) + kind), i * 8);
  for (let i = 0; i < 9; i++) b.writeUInt32LE(100 + i, 56 + i * 4);
  b.writeUInt16LE(40000 + kind, 92);
  b.writeUInt16LE(80, 94);
  b.set(family === 2 ? [127, 0, 0, 1] : [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 96);
  b.set(family === 2 ? [127, 0, 0, 2] : [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2], 112);
  b.write(comm, 128, 'latin1');
  b[144] = kind;
  b[145] = family;
  b[146] = 1;
  b[147] = 7;
  b[148] = flags;
  return b;
}
const rec16 = (r) => Buffer.concat([Buffer.from(Uint16Array.of(r.length).buffer), r]);
const events = [];
for (let kind = 1; kind <= 7; kind++) events.push(event(kind, kind & 1 ? 2 : 10, `proc${kind % 3}`, 0xff));
put('events', 'all-kinds', Buffer.concat([Buffer.of(63), ...events.map(rec16)]));
put('events', 'cap2', Buffer.concat([Buffer.of(1), ...events.slice(0, 5).map(rec16)]));
put('events', 'short', Buffer.concat([Buffer.of(7), rec16(events[0].subarray(0, 100)), rec16(events[1])]));

// struct tl_task_rec (104 bytes) and struct tl_owner_rec (64 bytes)
function taskRec(pid, comm) {
  const b = Buffer.alloc(104);
  b.writeBigUInt64LE(1000n + BigInt(pid), 0);
  b.writeBigUInt64LE(4026531840n, 8);
  b.writeBigUInt64LE(77n, 16);
  b.set([127, 0, 0, 1], 24);
  b.set([127, 0, 0, 2], 40);
  b.write(comm, 56, 'latin1');
  b.writeUInt16LE(0x5431, 72);
  b.writeUInt16LE(104, 74);
  b.writeUInt32LE(pid, 76);
  b.writeUInt32LE(pid, 80);
  b.writeUInt32LE(1, 84);
  b.writeUInt32LE(45, 88);
  b.writeUInt32LE(500 + pid, 92);
  b.writeUInt16LE(40000, 96);
  b.writeUInt16LE(80, 98);
  b[100] = 2;
  b[101] = 1;
  b[102] = 0x0c;
  return b;
}
function ownerRec(tgid, comm) {
  const b = Buffer.alloc(64);
  b.writeBigUInt64LE(9n, 0);
  b.writeBigUInt64LE(1n, 8);
  b.writeBigUInt64LE(2n, 16);
  b.write(comm, 24, 'latin1');
  b.writeUInt16LE(0x4f31, 40);
  b.writeUInt16LE(64, 42);
  b.writeUInt32LE(500 + tgid, 44);
  b.writeUInt32LE(tgid, 48);
  b.writeUInt32LE(tgid, 52);
  b.writeUInt32LE(3, 56);
  return b;
}
const tasks = [1, 2, 3, 4, 5].map((i) => taskRec(i, `task${i % 2}`));
const owners = [1, 2, 3, 4, 5].map((i) => ownerRec(i, `own${i % 2}`));
// samples: [pass][capacity][bytes]
put('samples', 'tasks', Buffer.concat([Buffer.of(0, 64), ...tasks]));
put('samples', 'tasks-cap2-cut', Buffer.concat([Buffer.of(0, 2), ...tasks, tasks[0].subarray(0, 50)]));
put('samples', 'owners', Buffer.concat([Buffer.of(1, 64), ...owners]));
put('samples', 'owners-mixed', Buffer.concat([Buffer.of(1, 3), owners[0], tasks[0], owners[1]]));
