// Importing a ledger upload (记账数据导入): CSV, XLSX or a ZIP with voucher images. All or
// nothing: every invalid row is reported and nothing is stored, or everything is.
//
// Rows stream from the file into a temporary staging table inside the import's transaction,
// so memory stays flat in the file's length; the checks that need the whole file or the
// database (unknown accounts, duplicate voucher numbers, closed periods) then run as set-based
// SQL over the staging table, and one INSERT … SELECT moves the rows into the ledger.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { and, desc, eq, sql } from 'drizzle-orm';
import { writeAudit, type Ctx } from '../audit.ts';
import { queryRows, type Executor, type Tx } from '../client.ts';
import { DomainError, isDomainError } from '../errors.ts';
import { importBatches, publications } from '../schema.ts';
import { processVoucher, VOUCHER_LIMITS, type ProcessedVoucher } from '../vouchers/process.ts';
import { voucherKeys } from '../vouchers/keys.ts';
import type { BlobStore } from '../vouchers/storage.ts';
import { requireVillage } from '../villages.ts';
import { LEDGER_COLUMNS, type CanonicalKey, type RowError } from './columns.ts';
import type { LedgerRow } from './parse.ts';
import { todayOf } from './periods.ts';
import { detectFileKind, readLedger, type FileKind } from './read.ts';
import { matchVoucher, openUploadZip, type VoucherEntry } from './zip.ts';

export const ACCOUNT_STANDARD = '2023';
/** At most this many row errors are listed in one answer (the count says how many there were). */
export const MAX_REPORTED_ERRORS = 1000;
const STAGE_BATCH = 2000;
const COPY_BUFFER_BYTES = 4 * 1024 * 1024;

export interface UploadedFile {
  /** A temporary file holding the upload; the caller removes it. */
  path: string;
  name: string;
  size: number;
  sha256: string;
}

export interface FileError {
  file: string;
  code: string;
  message: string;
}

export interface ImportResult {
  batchId: string;
  entries: number;
  vouchers: number;
  warnings: string[];
}

// id and salt are made by the database: gen_random_uuid() draws from its strong random source,
// and two of them give a 244-bit salt without a random call per row in Node.
const STAGING_COLUMNS = `id uuid default gen_random_uuid(),
  salt text default replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), row_no int, date date, period text, year int, voucher_no text, summary text,
  account_code text, direction text, amount_fen bigint, counterparty text, payment_method text,
  invoice_no text, handler text, decision_ref text`;

interface StagedRow {
  row_no: number;
  date: string;
  period: string;
  year: number;
  voucher_no: string;
  summary: string;
  account_code: string;
  direction: string;
  amount_fen: number;
  counterparty: string | null;
  payment_method: string;
  invoice_no: string | null;
  handler: string | null;
  decision_ref: string | null;
}

const staged = (r: LedgerRow): StagedRow => ({
  row_no: r.row,
  date: r.date,
  period: r.date.slice(0, 7),
  year: Number(r.date.slice(0, 4)),
  voucher_no: r.voucherNo,
  summary: r.summary,
  account_code: r.accountCode,
  direction: r.direction,
  amount_fen: r.amountFen,
  counterparty: r.counterparty,
  payment_method: r.paymentMethod,
  invoice_no: r.invoiceNo,
  handler: r.handler,
  decision_ref: r.decisionRef,
});

/** Collects row errors, keeping the first MAX_REPORTED_ERRORS and counting all of them. */
class ErrorList {
  readonly items: RowError[] = [];
  count = 0;
  add(...errors: RowError[]) {
    for (const e of errors) {
      this.count++;
      if (this.items.length < MAX_REPORTED_ERRORS) this.items.push(e);
    }
  }
}

/** COPY text format: backslash, tab and line breaks escaped; \N for null. */
const copyField = (v: string | number | null) =>
  v === null ? '\\N' : String(v).replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
const STAGED_KEYS: (keyof StagedRow)[] = ['row_no', 'date', 'period', 'year', 'voucher_no', 'summary', 'account_code', 'direction',
  'amount_fen', 'counterparty', 'payment_method', 'invoice_no', 'handler', 'decision_ref'];

/** A staging writer: COPY FROM STDIN on PostgreSQL (the fastest path), JSON batches elsewhere. */
async function stagingWriter(tx: Tx) {
  const client = (tx as unknown as { session?: { client?: { unsafe?: (q: string) => { writable(): Promise<Writable> } } } }).session?.client;
  if (client?.unsafe) {
    const copy = await client.unsafe(`copy import_staging (${STAGED_KEYS.join(', ')}) from stdin`).writable();
    const done = new Promise<void>((resolve, reject) => {
      copy.once('finish', resolve);
      copy.once('error', reject);
    });
    return {
      async add(row: StagedRow) {
        copy.write(`${STAGED_KEYS.map((k) => copyField(row[k])).join('\t')}\n`);
        // Let a few MiB queue up so parsing here and ingestion in the server overlap; memory stays bounded.
        if (copy.writableLength > COPY_BUFFER_BYTES) await once(copy, 'drain');
      },
      async end() {
        copy.end();
        await done;
      },
    };
  }
  let batch: StagedRow[] = [];
  const flush = async () => {
    if (!batch.length) return;
    await tx.execute(sql`insert into import_staging (${sql.raw(STAGED_KEYS.join(', '))})
                         select ${sql.raw(STAGED_KEYS.join(', '))} from json_populate_recordset(null::import_staging, ${JSON.stringify(batch)}::json)`);
    batch = [];
  };
  return {
    async add(row: StagedRow) {
      batch.push(row);
      if (batch.length >= STAGE_BATCH) await flush();
    },
    end: flush,
  };
}

async function stageRows(tx: Tx, file: string, kind: 'csv' | 'xlsx', errors: ErrorList) {
  let labels: Partial<Record<CanonicalKey, string>> = {};
  const warnings: string[] = [];
  const writer = await stagingWriter(tx);
  try {
    for await (const item of readLedger(file, kind)) {
      if (item.type === 'header') {
        labels = Object.fromEntries(item.columns.map((c) => [c.key, c.header]));
        warnings.push(...item.warnings.map((w) => w.message));
        errors.add(...item.errors);
        continue;
      }
      // Valid rows are staged even after invalid ones, so the whole-file checks report their rows too.
      if (item.errors.length) errors.add(...item.errors);
      else if (item.row) await writer.add(staged(item.row));
    }
  } finally {
    await writer.end();
  }
  return { labels, warnings };
}

const label = (labels: Partial<Record<CanonicalKey, string>>, key: CanonicalKey) =>
  labels[key] ?? LEDGER_COLUMNS.find((c) => c.key === key)!.zh;

/** The checks that need the whole file or the database, as SQL over the staging table. */
async function checkStaged(tx: Tx, villageCode: string, today: string, labels: Partial<Record<CanonicalKey, string>>, errors: ErrorList) {
  const limit = MAX_REPORTED_ERRORS;
  const unknownAccounts = await queryRows<{ row_no: number; account_code: string }>(
    tx,
    sql`select s.row_no, s.account_code from import_staging s
         where not exists (select 1 from accounts a where a.standard = ${ACCOUNT_STANDARD} and a.code = s.account_code)
         order by s.row_no limit ${limit}`,
  );
  for (const r of unknownAccounts) {
    errors.add({ row: r.row_no, column: label(labels, 'accountCode'), code: 'account_unknown', message: `科目编码 ${r.account_code} 不在科目表中` });
  }
  const duplicates = await queryRows<{ row_no: number; voucher_no: string; year: number }>(
    tx,
    sql`select row_no, voucher_no, year from (
          select row_no, voucher_no, year, count(*) over (partition by year, voucher_no) as n from import_staging) d
         where n > 1 order by row_no limit ${limit}`,
  );
  for (const r of duplicates) {
    errors.add({ row: r.row_no, column: label(labels, 'voucherNo'), code: 'voucher_duplicate', message: `凭证号 ${r.voucher_no} 在文件中 ${r.year} 年出现了不止一次` });
  }
  const stored = await queryRows<{ row_no: number; voucher_no: string; year: number }>(
    tx,
    sql`select s.row_no, s.voucher_no, s.year from import_staging s
         join ledger_entries e on e.village_code = ${villageCode} and e.year = s.year and e.voucher_no = s.voucher_no
         order by s.row_no limit ${limit}`,
  );
  for (const r of stored) {
    errors.add({ row: r.row_no, column: label(labels, 'voucherNo'), code: 'voucher_exists', message: `凭证号 ${r.voucher_no} 在 ${r.year} 年已经导入过` });
  }
  const [latest] = await tx
    .select({ period: publications.period })
    .from(publications)
    .where(eq(publications.villageCode, villageCode))
    .orderBy(desc(publications.period))
    .limit(1);
  if (latest) {
    const closed = await queryRows<{ row_no: number; period: string }>(
      tx,
      sql`select row_no, period from import_staging where period <= ${latest.period} order by row_no limit ${limit}`,
    );
    for (const r of closed) {
      errors.add({ row: r.row_no, column: label(labels, 'date'), code: 'period_closed', message: `账期 ${r.period} 已公开（公开到 ${latest.period}），不能再记入；更正请用冲销分录` });
    }
  }
  const future = await queryRows<{ row_no: number; date: string }>(
    tx,
    sql`select row_no, to_char(date, 'YYYY-MM-DD') as date from import_staging where date > ${today}::date order by row_no limit ${limit}`,
  );
  for (const r of future) {
    errors.add({ row: r.row_no, column: label(labels, 'date'), code: 'date_future', message: `日期 ${r.date} 晚于今天` });
  }
}

interface ReadyVoucher {
  entry: VoucherEntry;
  processed: ProcessedVoucher;
}

/** How many voucher files are processed at once (sharp and the file system work off the main thread). */
const VOUCHER_CONCURRENCY = 4;

/** Processes every voucher file of a ZIP into the blob store; per-file problems are collected. */
async function readLimited(stream: Readable, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > max) {
      stream.destroy();
      throw new DomainError('too_large', 'voucher_too_large', `文件超过 ${max} 字节的限制`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

async function processZipVouchers(zip: Awaited<ReturnType<typeof openUploadZip>>, store: BlobStore, fileErrors: FileError[]) {
  const ready: (ReadyVoucher | null)[] = new Array(zip.vouchers.length).fill(null);
  const problems: (FileError | null)[] = new Array(zip.vouchers.length).fill(null);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < zip.vouchers.length; i = next++) {
      const entry = zip.vouchers[i]!;
      try {
        // Vouchers are at most VOUCHER_LIMITS.maxBytes each, so they are handled in memory.
        if (entry.size > VOUCHER_LIMITS.maxBytes) {
          throw new DomainError('too_large', 'voucher_too_large', `文件超过 ${VOUCHER_LIMITS.maxBytes} 字节的限制`);
        }
        const bytes = await readLimited(await zip.openStream(entry.name), VOUCHER_LIMITS.maxBytes);
        const processed = await processVoucher({ buffer: bytes });
        await storeVoucher(store, processed, bytes);
        ready[i] = { entry, processed };
      } catch (err) {
        if (!isDomainError(err)) throw err;
        problems[i] = { file: entry.name, code: err.code, message: `${entry.name}：${err.message}` };
      }
    }
  };
  await Promise.all(Array.from({ length: VOUCHER_CONCURRENCY }, worker));
  fileErrors.push(...problems.filter((p): p is FileError => p !== null));
  return ready.filter((r): r is ReadyVoucher => r !== null);
}

/** Puts the original, the public copy and the thumbnail of a processed voucher into the store. */
export async function storeVoucher(store: BlobStore, v: ProcessedVoucher, original: string | Buffer) {
  const keys = voucherKeys(v.sha256);
  await store.put(keys.original, original);
  if (v.publicCopy) await store.put(keys.public, v.publicCopy);
  if (v.thumbnail) await store.put(keys.thumbnail, v.thumbnail);
}

export async function insertVoucherRows(tx: Tx, now: Date, links: { entryId: string; page: number; fileName: string; v: ProcessedVoucher }[]) {
  if (!links.length) return;
  const unique = new Map(links.map((l) => [l.v.sha256, l.v]));
  const voucherRows = [...unique.values()].map((v) => ({
    sha256: v.sha256,
    mime: v.mime,
    size: v.size,
    width: v.width,
    height: v.height,
    public_mime: v.publicMime,
    has_thumbnail: v.thumbnail !== null,
    created_at: now.toISOString(),
  }));
  await tx.execute(sql`insert into vouchers select * from json_populate_recordset(null::vouchers, ${JSON.stringify(voucherRows)}::json)
                       on conflict (sha256) do nothing`);
  const linkRows = links.map((l) => ({ entry_id: l.entryId, page: l.page, voucher_sha256: l.v.sha256, file_name: l.fileName }));
  await tx.execute(sql`insert into entry_vouchers select * from json_populate_recordset(null::entry_vouchers, ${JSON.stringify(linkRows)}::json)`);
}

/** Matches ZIP voucher files to staged entries by voucher number (and `-N` page suffix). */
async function linkZipVouchers(tx: Tx, ready: ReadyVoucher[], fileErrors: FileError[]) {
  if (!ready.length) return [];
  const entries = await queryRows<{ voucher_no: string; id: string; years: number }>(
    tx,
    sql`select voucher_no, min(id::text) as id, count(*)::int as years from import_staging group by voucher_no`,
  );
  const byVoucher = new Map(entries.map((e) => [e.voucher_no, e]));
  const numbers = new Set(byVoucher.keys());
  const links: { entryId: string; page: number; fileName: string; v: ProcessedVoucher }[] = [];
  const taken = new Map<string, string>();
  for (const { entry, processed } of ready) {
    const match = matchVoucher(entry, numbers);
    const target = match ? byVoucher.get(match.voucherNo) : undefined;
    if (!match || !target) {
      fileErrors.push({ file: entry.name, code: 'voucher_unmatched', message: `${entry.name}：账本中没有凭证号 ${entry.baseName}` });
      continue;
    }
    if (target.years > 1) {
      fileErrors.push({ file: entry.name, code: 'voucher_ambiguous', message: `${entry.name}：凭证号 ${match.voucherNo} 在文件中属于不止一个年度，无法确定附在哪一条` });
      continue;
    }
    const slot = `${target.id}#${match.page}`;
    const other = taken.get(slot);
    if (other) {
      fileErrors.push({ file: entry.name, code: 'voucher_page_duplicate', message: `${entry.name}：与 ${other} 是同一凭证的同一页` });
      continue;
    }
    taken.set(slot, entry.name);
    links.push({ entryId: target.id, page: match.page, fileName: entry.name, v: processed });
  }
  return links;
}

/** POST imports: reads the upload and stores its entries (as drafts) and vouchers, or nothing. */
export async function importLedger(ctx: Ctx & { store: BlobStore; input: { villageCode: string; file: UploadedFile } }): Promise<ImportResult> {
  const { db, input, store } = ctx;
  const { villageCode, file } = input;
  await requireVillage(db, villageCode);
  const duplicate = async (on: Executor = db) => {
    const [first] = await on
      .select({ id: importBatches.id })
      .from(importBatches)
      .where(and(eq(importBatches.villageCode, villageCode), eq(importBatches.fileSha256, file.sha256)));
    return first ? new DomainError('conflict', 'duplicate_file', `这个文件已经导入过了（批次 ${first.id}）`, { batchId: first.id }) : null;
  };
  const dup = await duplicate();
  if (dup) throw dup;

  const kind: FileKind = await detectFileKind(file.path);
  const zip = kind === 'zip' ? await openUploadZip(file.path) : null;
  // Where a ZIP's ledger is extracted; made only once the ZIP has opened (a ZIP refused as it
  // opens left it behind).
  let dir: string | null = null;
  try {
    let ledgerPath = file.path;
    let ledgerKind: 'csv' | 'xlsx';
    const fileErrors: FileError[] = [];
    let ready: ReadyVoucher[] = [];
    if (zip) {
      await zip.verifyContents();
      dir = await mkdtemp(path.join(tmpdir(), 'ygcw-import-'));
      ledgerPath = path.join(dir, 'ledger');
      await zip.extractTo(zip.ledger.name, ledgerPath);
      const inner = await detectFileKind(ledgerPath);
      if (inner === 'zip') throw new DomainError('unsupported_type', 'unsupported_type', `ZIP 中的账本 ${zip.ledger.name} 不是 CSV 或 XLSX`);
      ledgerKind = inner;
      // Outside the transaction: image work must not hold the database (PGlite has one connection).
      ready = await processZipVouchers(zip, store, fileErrors);
    } else {
      ledgerKind = kind as 'csv' | 'xlsx';
    }

    const batchId = randomUUID();
    return await db.transaction(async (tx) => {
      await tx.execute(sql.raw(`create temp table import_staging (${STAGING_COLUMNS}) on commit drop`));
      const errors = new ErrorList();
      const { labels, warnings } = await stageRows(tx, ledgerPath, ledgerKind, errors);
      await checkStaged(tx, villageCode, todayOf(ctx.now), labels, errors);
      const links = errors.count === 0 ? await linkZipVouchers(tx, ready, fileErrors) : [];
      if (errors.count || fileErrors.length) {
        errors.items.sort((a, b) => a.row - b.row);
        const parts = [errors.count ? `${errors.count} 处行错误` : '', fileErrors.length ? `${fileErrors.length} 个文件有误` : ''].filter(Boolean);
        throw new DomainError('invalid_rows', 'invalid_rows', `导入失败，没有保存任何内容：${parts.join('，')}`, {
          rows: errors.items,
          ...(errors.count > errors.items.length ? { moreRows: errors.count - errors.items.length } : {}),
          ...(fileErrors.length ? { files: fileErrors } : {}),
        });
      }

      const unknownRefs = await queryRows<{ decision_ref: string }>(
        tx,
        sql`select distinct decision_ref from import_staging s where decision_ref is not null
             and not exists (select 1 from decisions d where d.village_code = ${villageCode} and d.ref = s.decision_ref)
             order by 1 limit 20`,
      );
      for (const r of unknownRefs) warnings.push(`决议编号 ${r.decision_ref} 尚未登记`);

      const [{ n: entryCount } = { n: 0 }] = await queryRows<{ n: number }>(tx, sql`select count(*)::int as n from import_staging`);
      const inserted = await tx
        .insert(importBatches)
        .values({
          id: batchId,
          villageCode,
          fileSha256: file.sha256,
          fileName: file.name.slice(0, 255),
          fileKind: kind,
          fileSize: file.size,
          uploadedBy: ctx.actor.kind === 'user' ? ctx.actor.id : null,
          uploadedAt: ctx.now,
          entryCount,
          voucherCount: links.length,
          warnings,
        })
        .onConflictDoNothing()
        .returning({ id: importBatches.id });
      if (!inserted.length) throw (await duplicate(tx)) ?? new DomainError('conflict', 'duplicate_file', '这个文件已经导入过了');

      const createdBy = ctx.actor.kind === 'user' ? ctx.actor.id : null;
      await tx.execute(sql`
        insert into ledger_entries (id, village_code, date, period, year, voucher_no, summary, account_standard, account_code,
                                    direction, amount_fen, counterparty, payment_method, invoice_no, handler, decision_ref,
                                    batch_id, source_row, status, salt, created_at, created_by)
        select id, ${villageCode}, date, period, year, voucher_no, summary, ${ACCOUNT_STANDARD}, account_code,
               direction, amount_fen, counterparty, payment_method, invoice_no, handler, decision_ref,
               ${batchId}, row_no, 'draft', salt, ${ctx.now.toISOString()}::timestamptz, ${createdBy}::uuid
          from import_staging order by row_no`);
      await insertVoucherRows(tx, ctx.now, links);
      await writeAudit(tx, ctx, [
        {
          action: 'ledger.import',
          entity: 'import_batch',
          entityId: batchId,
          before: null,
          after: { villageCode, fileName: file.name, fileSha256: file.sha256, kind, entries: entryCount, vouchers: links.length, warnings },
        },
      ]);
      // Dropped here too, not only at commit: the import may run inside a larger transaction (the demo load).
      await tx.execute(sql`drop table import_staging`);
      return { batchId, entries: entryCount, vouchers: links.length, warnings };
    });
  } finally {
    zip?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}
