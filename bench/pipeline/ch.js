#!/usr/bin/env node
// A private ClickHouse for benchmarks: `ch.js start DIR` starts one on free
// ports with its data in DIR and prints its URL; `ch.js stop DIR` stops it.
'use strict';
const net = require('net');
const path = require('path');
const { LocalClickHouse } = require(path.join(__dirname, '../../dist/src/sinks/clickhouse/local_server'));

const freePort = () =>
  new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });

(async () => {
  const [cmd, dir] = process.argv.slice(2);
  if (!dir || !['start', 'stop'].includes(cmd)) {
    console.error('usage: ch.js start|stop DIR');
    process.exit(2);
  }
  if (cmd === 'stop') {
    await new LocalClickHouse({ dir, httpPort: 0, tcpPort: 0 }).stop();
    return;
  }
  const ch = new LocalClickHouse({
    dir,
    httpPort: await freePort(),
    tcpPort: await freePort(),
    interserverPort: await freePort(),
    detached: true,
  });
  await ch.start();
  console.log(ch.url);
  process.exit(0); // the server lives on (detached) until `ch.js stop DIR`
})().catch((e) => {
  console.error(`ch.js: ${e.message}`);
  process.exit(1);
});
