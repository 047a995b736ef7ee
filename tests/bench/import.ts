// npm run bench:import [-- --rows 100000 --db pglite,postgres]
//
// Generates a ledger of N rows, imports it through the same domain operation the API uses
// (importLedger: read, validate, stage, check, insert, audit), and in the same run times a raw
// COPY of the same rows into the same table of the same database. Prints rows/s of both, their
// ratio, and the peak RSS of the process up to the end of the import. Each (database, size) runs in its own
// child process, so peak RSS belongs to that run alone.
import { spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import postgres from 'postgres';
import { systemActor } from '../../db/audit.ts';
import { openDatabase, type Database } from '../../db/client.ts';
import { readDemoRegions, sha256File } from '../../db/demo.ts';
import { importLedger } from '../../db/ledger/import.ts';
import { migrate } from '../../db/migrate.ts';
import { upsertRegions } from '../../db/regions.ts';
import { createFileStore } from '../../db/vouchers/storage.ts';

const IMPORT_VILLAGE = '519901101201';
const COPY_VILLAGE = '519901101202';
const ACCOUNTS = ['51301', '51302', '51303', '51304', '51305', '51306', '514', '515', '511', '501', '503', '504'];
const INCOME = new Set(['501', '503', '504']);

interface GeneratedRow {
  date: string;
  voucherNo: string;
  summary: string;
  account: string;
  income: boolean;
  fen: number;
  party: string;
}

function* rows(n: number): Generator<GeneratedRow> {
  for (let i = 0; i < n; i++) {
    const day = i % 730;
    const date = new Date(Date.UTC(2024, 0, 1 + day)).toISOString().slice(0, 10);
    const account = ACCOUNTS[i % ACCOUNTS.length]!;
    yield {
      date,
      voucherNo: `记-${date.slice(0, 4)}-${String(i).padStart(7, '0')}`,
      summary: `批量测试第${i}笔 ${account}`,
      account,
      income: INCOME.has(account),
      fen: 100 + ((i * 7919) % 5_000_000),
      party: `青山县测试商户${i % 500}`,
    };
  }
}

const yuan = (fen: number) => `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;

async function writeLedgerCsv(file: string, n: number) {
  const lines = (function* () {
    yield '日期,凭证号,摘要,科目编码,收入,支出,收付款方,结算方式\n';
    for (const r of rows(n)) {
      yield `${r.date},${r.voucherNo},${r.summary},${r.account},${r.income ? yuan(r.fen) : ''},${r.income ? '' : yuan(r.fen)},${r.party},转账\n`;
    }
  })();
  await pipeline(Readable.from(lines), createWriteStream(file));
}

/** The same rows as COPY text for ledger_entries (all columns, tab-separated). */
function* copyLines(n: number, now: string): Generator<string> {
  let row = 1;
  for (const r of rows(n)) {
    const fields = [
      randomUUID(), COPY_VILLAGE, r.date, r.date.slice(0, 7), r.date.slice(0, 4), r.voucherNo, r.summary, '2023', r.account,
      r.income ? 'income' : 'expense', String(r.fen), r.party, 'transfer', '\\N', '\\N', '\\N', '\\N', String(++row), 'draft',
      '\\N', randomBytes(16).toString('hex'), now, '\\N', '\\N', '\\N', '\\N',
    ];
    yield `${fields.join('\t')}\n`;
  }
}
const COPY_COLUMNS = `id, village_code, date, period, year, voucher_no, summary, account_standard, account_code, direction, amount_fen,
  counterparty, payment_method, invoice_no, handler, decision_ref, batch_id, source_row, status, reverses_id, salt, created_at,
  created_by, publication_id, leaf_index, leaf_hash`;

interface RunResult {
  db: string;
  rows: number;
  importRowsPerSecond: number;
  copyRowsPerSecond: number;
  ratio: number;
  peakRssMiB: number;
  fileMiB: number;
}

async function runOne(kind: 'pglite' | 'postgres', n: number, postgresUrl: string): Promise<RunResult> {
  const dir = await mkdtemp(path.join(tmpdir(), 'ygcw-bench-'));
  let database: Database;
  let dropDb: (() => Promise<void>) | undefined;
  if (kind === 'pglite') {
    database = await openDatabase({ kind: 'pglite', dir: path.join(dir, 'pglite') });
  } else {
    const name = `ygcw_bench_${randomBytes(4).toString('hex')}`;
    const admin = postgres(postgresUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${name}`);
    await admin.end();
    const url = new URL(postgresUrl);
    url.pathname = `/${name}`;
    database = await openDatabase({ kind: 'postgres', url: url.toString(), maxConnections: 2 });
    dropDb = async () => {
      const a = postgres(postgresUrl, { max: 1, onnotice: () => {} });
      await a.unsafe(`drop database if exists ${name} with (force)`);
      await a.end();
    };
  }
  try {
    const now = new Date('2026-01-15T00:00:00Z');
    await migrate(database.db);
    await upsertRegions({ db: database.db, now, actor: systemActor('bench'), input: await readDemoRegions() });
    const file = path.join(dir, 'ledger.csv');
    await writeLedgerCsv(file, n);
    const { size } = await stat(file);

    const t0 = performance.now();
    const result = await importLedger({
      db: database.db,
      now,
      actor: systemActor('bench'),
      store: createFileStore(path.join(dir, 'vouchers')),
      input: { villageCode: IMPORT_VILLAGE, file: { path: file, name: 'ledger.csv', size, sha256: await sha256File(file) } },
    });
    const importSeconds = (performance.now() - t0) / 1000;
    // Read before the COPY, which holds its whole input in memory on PGlite.
    const peakRssMiB = Math.round(process.resourceUsage().maxRSS / 1024);
    if (result.entries !== n) throw new Error(`imported ${result.entries} of ${n}`);

    // The COPY's input is made before the clock starts: the baseline is the database's own work.
    const chunks = [...copyLines(n, now.toISOString())];
    const t1 = performance.now();
    if (kind === 'pglite') {
      const blob = new Blob(chunks);
      const client = (database as unknown as { db: { $client: PGlite } }).db.$client;
      await client.query(`copy ledger_entries (${COPY_COLUMNS}) from '/dev/blob'`, [], { blob });
    } else {
      const client = (database.db as unknown as { $client: postgres.Sql }).$client;
      const writable = await client.unsafe(`copy ledger_entries (${COPY_COLUMNS}) from stdin`).writable();
      await pipeline(Readable.from(chunks), writable);
    }
    const copySeconds = (performance.now() - t1) / 1000;
    const importRowsPerSecond = n / importSeconds;
    const copyRowsPerSecond = n / copySeconds;
    return {
      db: kind,
      rows: n,
      importRowsPerSecond: Math.round(importRowsPerSecond),
      copyRowsPerSecond: Math.round(copyRowsPerSecond),
      ratio: Math.round((importRowsPerSecond / copyRowsPerSecond) * 100) / 100,
      peakRssMiB,
      fileMiB: Math.round((size / 1024 / 1024) * 10) / 10,
    };
  } finally {
    await database.close();
    await dropDb?.();
    await rm(dir, { recursive: true, force: true });
  }
}

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '10000,100000' },
    db: { type: 'string', default: 'pglite,postgres' },
    child: { type: 'boolean', default: false },
  },
});
const postgresUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

if (values.child) {
  console.log(JSON.stringify(await runOne(values.db as 'pglite' | 'postgres', Number(values.rows), postgresUrl)));
} else {
  const results: RunResult[] = [];
  for (const db of values.db!.split(',')) {
    for (const n of values.rows!.split(',').map(Number)) {
      const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', '--db', db, '--rows', String(n)], {
        encoding: 'utf8',
        env: process.env,
        maxBuffer: 16 * 1024 * 1024,
      });
      const line = child.stdout.trim().split('\n').pop() ?? '';
      if (child.status !== 0 || !line.startsWith('{')) {
        console.error(`${db} ${n}: failed\n${child.stderr}`);
        process.exitCode = 1;
        continue;
      }
      const r = JSON.parse(line) as RunResult;
      results.push(r);
      console.log(
        `${r.db.padEnd(8)} ${String(r.rows).padStart(7)} rows (${r.fileMiB} MiB): import ${r.importRowsPerSecond} rows/s, COPY ${r.copyRowsPerSecond} rows/s, ratio ${r.ratio}, peak RSS ${r.peakRssMiB} MiB`,
      );
    }
  }
  console.table(results);
}
