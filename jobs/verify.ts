// `npm run verify -- --url <portal>`: an independent check of a portal's published ledgers,
// using only its public endpoints. For every village log it
//  1. verifies the latest checkpoint's Ed25519 signature (the key is pinned on first use, in
//     the state file, like ssh's known_hosts);
//  2. fetches every leaf as published now, hashes it, and checks each one's inclusion proof
//     against the signed root (so an entry changed after publication is caught), and that the
//     leaves rebuild exactly the signed root;
//  3. checks a consistency proof from the checkpoint it saw last time (kept in the state file):
//     the log only grew, nothing published was rewritten.
// Exits non-zero on any mismatch.
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { parseVerifierKey, verifyCheckpoint, type VerifierKey } from '../db/ledger/checkpoint.ts';
import { canonicalJson } from '../db/ledger/leaf.ts';
import { leafHash, rootFromLeafHashes, verifyConsistency, verifyInclusion } from '../db/merkle.ts';

export interface VerifyState {
  verifierKey?: string;
  logs: Record<string, { treeSize: number; rootHash: string }>;
}

export interface VerifyReport {
  ok: boolean;
  villages: number;
  entries: number;
  problems: string[];
  state: VerifyState;
}

type Fetch = (url: string) => Promise<Response>;

const LEAF_PAGE = 1000;

export async function verifyPortal(options: { url: string; state: VerifyState; fetch?: Fetch; log?: (line: string) => void }): Promise<VerifyReport> {
  const get = options.fetch ?? ((u: string) => fetch(u));
  const log = options.log ?? (() => {});
  const base = options.url.replace(/\/+$/, '');
  const problems: string[] = [];
  const json = async <T>(path: string): Promise<T> => {
    const res = await get(`${base}/api/v1/public${path}`);
    if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status}`);
    return (await res.json()) as T;
  };

  const keyInfo = await json<{ verifierKey: string }>('/log/key');
  const pinned = options.state.verifierKey ?? keyInfo.verifierKey;
  if (pinned !== keyInfo.verifierKey) problems.push(`签名公钥变了 (log key changed): pinned ${pinned}, portal serves ${keyInfo.verifierKey}`);
  const key: VerifierKey = parseVerifierKey(pinned);
  const state: VerifyState = { verifierKey: pinned, logs: { ...options.state.logs } };

  const { villages } = await json<{ villages: { code: string }[] }>('/log/villages');
  let entries = 0;
  for (const { code } of villages) {
    const fail = (message: string) => problems.push(`${code}: ${message}`);
    const cp = await json<{ checkpoint: string; treeSize: number; rootHash: string }>(`/villages/${code}/log/checkpoint`);
    const signed = verifyCheckpoint(cp.checkpoint, key);
    if (!signed) {
      fail('检查点签名无效 (checkpoint signature invalid)');
      continue;
    }
    if (signed.origin !== `yangguang-cunwu/ledger/${code}`) fail(`检查点来源不符 (origin ${signed.origin})`);
    const size = signed.treeSize;
    const root = signed.rootHash;

    const hashes: Buffer[] = [];
    for (let start = 0; start < size; start += LEAF_PAGE) {
      const end = Math.min(size, start + LEAF_PAGE);
      const { leaves } = await json<{ leaves: unknown[] }>(`/villages/${code}/log/leaves?start=${start}&end=${end}`);
      if (leaves.length !== end - start) fail(`叶子数目不符 (leaves ${start}–${end}: got ${leaves.length})`);
      for (const leaf of leaves) hashes.push(leafHash(Buffer.from(canonicalJson(leaf), 'utf8')));
    }
    for (let i = 0; i < hashes.length; i++) {
      const { proof } = await json<{ proof: string[] }>(`/villages/${code}/log/inclusion?index=${i}&treeSize=${size}`);
      const ok = verifyInclusion(hashes[i]!, i, size, proof.map((h) => Buffer.from(h, 'hex')), root);
      if (!ok) fail(`第 ${i} 条分录与签名的树不符 (entry at leaf ${i} is not what was published)`);
    }
    if (hashes.length === size && !rootFromLeafHashes(hashes).equals(root)) fail('叶子重建的根与检查点不符 (leaves do not rebuild the signed root)');

    const seen = state.logs[code];
    if (seen) {
      const seenRoot = Buffer.from(seen.rootHash, 'hex');
      if (seen.treeSize > size) fail(`日志变短了 (tree shrank from ${seen.treeSize} to ${size})`);
      else if (seen.treeSize === size) {
        if (!seenRoot.equals(root)) fail('同一大小的树根变了 (same size, different root)');
      } else {
        const { proof } = await json<{ proof: string[] }>(`/villages/${code}/log/consistency?first=${seen.treeSize}&second=${size}`);
        if (!verifyConsistency(seen.treeSize, size, seenRoot, root, proof.map((h) => Buffer.from(h, 'hex')))) {
          fail(`与上次看到的检查点不一致 (not consistent with size ${seen.treeSize} seen before)`);
        }
      }
    }
    if (!problems.some((p) => p.startsWith(`${code}:`))) state.logs[code] = { treeSize: size, rootHash: root.toString('hex') };
    entries += size;
    log(`${code}: ${size} 条分录 ${problems.some((p) => p.startsWith(`${code}:`)) ? '✗' : '✓'}`);
  }
  return { ok: problems.length === 0, villages: villages.length, entries, problems, state };
}

async function main() {
  const { values } = parseArgs({
    options: { url: { type: 'string' }, state: { type: 'string', default: '.ygcw-verify.json' } },
  });
  if (!values.url) {
    console.error('用法 (usage): npm run verify -- --url http://127.0.0.1:4321 [--state .ygcw-verify.json]');
    process.exit(2);
  }
  let state: VerifyState = { logs: {} };
  try {
    state = JSON.parse(await readFile(values.state!, 'utf8')) as VerifyState;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const report = await verifyPortal({ url: values.url, state, log: (l) => console.log(l) });
  for (const p of report.problems) console.error(`✗ ${p}`);
  if (report.ok) {
    await writeFile(values.state!, `${JSON.stringify(report.state, null, 2)}\n`);
    console.log(`✓ ${report.villages} 个村、${report.entries} 条已公开分录核验无误 (verified)`);
  } else {
    console.error(`✗ 发现 ${report.problems.length} 处不符 (${report.problems.length} problems); the state file was not updated`);
    process.exit(1);
  }
}

if (import.meta.main) await main();
