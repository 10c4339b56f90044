// Plain and consistent (?consistent=true) reads on a leader and a follower
// (scripts/bench-reads): the latency of N sequential requests on one keep-alive
// connection, then the rate of N requests over 32 concurrent connections.
//   node scripts/bench-reads.js LEADER_URL FOLLOWER_URL N   (N <= 100000)
'use strict';
const http = require('http');
let agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
function get(url) {
  return new Promise((res, rej) => {
    http.get(url, { agent }, r => { r.resume(); r.on('end', () => res(r.statusCode)); }).on('error', rej);
  });
}
(async () => {
  const [,, leader, follower, arg] = process.argv;
  const n = Math.min(100000, Math.max(1, Number(arg) || 2000));
  for (const [name, base] of [['leader', leader], ['follower', follower]]) {
    for (const q of ['', '?consistent=true']) {
      const lat = [];
      for (let i = 0; i < 50; i++) await get(base + '/v1/blocks/latest' + q);
      for (let i = 0; i < n; i++) {
        const t = process.hrtime.bigint();
        const s = await get(base + '/v1/blocks/latest' + q);
        if (s !== 200) throw new Error('status ' + s);
        lat.push(Number(process.hrtime.bigint() - t) / 1e6);
      }
      lat.sort((a, b) => a - b);
      const p = f => lat[Math.min(lat.length - 1, Math.floor(f * lat.length))].toFixed(3);
      console.log(`${name.padEnd(8)} GET /v1/blocks/latest${q.padEnd(16)} n=${n} p50 ${p(0.5)} ms p99 ${p(0.99)} ms`);
    }
  }
  const C = 32;
  agent = new http.Agent({ keepAlive: true, maxSockets: C });
  for (const [name, base] of [['leader', leader], ['follower', follower]]) {
    for (const q of ['', '?consistent=true']) {
      let left = n;
      const t = process.hrtime.bigint();
      await Promise.all(Array.from({ length: C }, async () => {
        while (left-- > 0) {
          const s = await get(base + '/v1/blocks/latest' + q);
          if (s !== 200) throw new Error('status ' + s);
        }
      }));
      const secs = Number(process.hrtime.bigint() - t) / 1e9;
      console.log(`${name.padEnd(8)} GET /v1/blocks/latest${q.padEnd(16)} n=${n} ${C} connections ${Math.round(n / secs)} reads/s`);
    }
  }
})();
