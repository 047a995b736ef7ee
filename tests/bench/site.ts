// npm run bench:site [-- --seconds 10 --connections 50]
//
// Starts the built server on the demo county (a fresh embedded database) and measures, in one
// run, requests/s and p99 latency (autocannon, 50 connections) for a bare page of the same
// server (the sign-in page: Astro with no data), the village page and the ledger page; prints
// the ratios to the bare page and the compressed size of each page.
import { loadavg } from 'node:os';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import autocannon from 'autocannon';
import { parseArgs } from 'node:util';
import { ensureBuilt } from '../../api/build.ts';
import { removeDir, startServer, tempDir } from '../support/server.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '10' }, connections: { type: 'string', default: '50' } } });
const duration = Number(values.seconds);
const connections = Number(values.connections);

ensureBuilt();
const dir = tempDir('ygcw-bench-site-');
const server = await startServer({ DATA_DIR: dir, ADMIN_PASSWORD: 'admin-password-1' }, 300_000);
try {
  const village = '519901101201';
  const pages = {
    bare: '/signin',
    village: `/villages/${village}`,
    ledger: `/villages/${village}/ledger?period=2025-06`,
  };
  const results: Record<string, { rps: number; p99: number; errors: number; non2xx: number; bytes: number; gzip: number; brotli: number }> = {};
  for (const [name, path] of Object.entries(pages)) {
    const url = `${server.url}${path}`;
    const plain = Buffer.from(await (await fetch(url)).arrayBuffer());
    // fetch decodes what it receives, so the compressed sizes are computed here with the same
    // algorithms the server uses (gzip level 6, brotli quality 4: the compression package's defaults).
    const served = (await fetch(url, { headers: { 'accept-encoding': 'gzip' } })).headers.get('content-encoding');
    if (served !== 'gzip') throw new Error(`${path} was not served compressed (${served})`);
    // warm-up, then the measured run
    await autocannon({ url, connections, duration: 2 });
    const r = await autocannon({ url, connections, duration, headers: { 'accept-encoding': 'gzip' } });
    results[name] = {
      rps: Math.round(r.requests.average),
      p99: r.latency.p99,
      errors: r.errors,
      non2xx: r.non2xx,
      bytes: plain.length,
      gzip: gzipSync(plain, { level: 6 }).length,
      brotli: brotliCompressSync(plain, { params: { [constants.BROTLI_PARAM_QUALITY]: 4 } }).length,
    };
    console.log(`${name.padEnd(8)} ${path}: ${results[name]!.rps} req/s, p99 ${r.latency.p99} ms, ${(plain.length / 1024).toFixed(1)} KB raw, ${(results[name]!.gzip / 1024).toFixed(1)} KB gzip`);
  }
  const bare = results.bare!.rps;
  // Other work on the machine skews every figure: the load average says how busy it was.
  console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`village/bare ${(results.village!.rps / bare).toFixed(2)}, ledger/bare ${(results.ledger!.rps / bare).toFixed(2)}`);
  console.table(results);
} finally {
  await server.stop();
  removeDir(dir);
}
