// Reading published ledgers: periods, entries (masked for the public), the log's leaves and proofs.
import { and, asc, desc, eq, gte, inArray, lt, sql } from 'drizzle-orm';
import type { Executor } from '../client.ts';
import { DomainError } from '../errors.ts';
import { consistencyProof, inclusionProof } from '../merkle.ts';
import { maskText } from '../privacy.ts';
import { accounts, entryVouchers, importBatches, ledgerEntries, openingBalances, publications, vouchers } from '../schema.ts';
import { publicLeaf, type PublicLeaf } from './leaf.ts';
import { leafSources } from './publish.ts';

export type Publication = typeof publications.$inferSelect;

export async function listPublications(db: Executor, villageCode: string): Promise<Publication[]> {
  return db.select().from(publications).where(eq(publications.villageCode, villageCode)).orderBy(asc(publications.period));
}

export async function latestPublication(db: Executor, villageCode: string): Promise<Publication | null> {
  const [row] = await db
    .select()
    .from(publications)
    .where(eq(publications.villageCode, villageCode))
    .orderBy(desc(publications.treeSize), desc(publications.period))
    .limit(1);
  return row ?? null;
}

export async function getPublication(db: Executor, villageCode: string, period: string): Promise<Publication | null> {
  const [row] = await db
    .select()
    .from(publications)
    .where(and(eq(publications.villageCode, villageCode), eq(publications.period, period)));
  return row ?? null;
}

/** An entry as the public sees it: free text masked, no salt, no staff fields. */
export interface PublicEntry {
  id: string;
  date: string;
  voucherNo: string;
  summary: string;
  accountCode: string;
  accountName: string;
  direction: 'income' | 'expense';
  amountFen: number;
  counterparty: string | null;
  paymentMethod: string;
  invoiceNo: string | null;
  handler: string | null;
  decisionRef: string | null;
  reversesId: string | null;
  leafIndex: number;
  vouchers: { page: number; sha256: string; mime: string; hasPublicCopy: boolean }[];
}

const entryColumns = {
  entry: ledgerEntries,
  accountName: accounts.name,
};

async function toPublic(db: Executor, rows: { entry: typeof ledgerEntries.$inferSelect; accountName: string }[]): Promise<PublicEntry[]> {
  const ids = rows.map((r) => r.entry.id);
  const pages = ids.length
    ? await db
        .select({ entryId: entryVouchers.entryId, page: entryVouchers.page, sha256: vouchers.sha256, mime: vouchers.mime, publicMime: vouchers.publicMime })
        .from(entryVouchers)
        .innerJoin(vouchers, eq(vouchers.sha256, entryVouchers.voucherSha256))
        .where(inArray(entryVouchers.entryId, ids))
        .orderBy(asc(entryVouchers.page))
    : [];
  return rows.map(({ entry: e, accountName }) => ({
    id: e.id,
    date: e.date,
    voucherNo: e.voucherNo,
    summary: maskText(e.summary),
    accountCode: e.accountCode,
    accountName,
    direction: e.direction,
    amountFen: e.amountFen,
    counterparty: maskText(e.counterparty),
    paymentMethod: e.paymentMethod,
    invoiceNo: e.invoiceNo,
    handler: maskText(e.handler),
    decisionRef: e.decisionRef,
    reversesId: e.reversesId,
    leafIndex: e.leafIndex!,
    vouchers: pages
      .filter((p) => p.entryId === e.id)
      .map((p) => ({ page: p.page, sha256: p.sha256, mime: p.mime, hasPublicCopy: p.publicMime !== null })),
  }));
}

/** The published entries of a period, masked, in log order. */
export async function publishedEntries(db: Executor, villageCode: string, period: string): Promise<PublicEntry[]> {
  const rows = await db
    .select(entryColumns)
    .from(ledgerEntries)
    .innerJoin(accounts, and(eq(accounts.standard, ledgerEntries.accountStandard), eq(accounts.code, ledgerEntries.accountCode)))
    .where(and(eq(ledgerEntries.villageCode, villageCode), eq(ledgerEntries.period, period), eq(ledgerEntries.status, 'published')))
    .orderBy(asc(ledgerEntries.leafIndex));
  return toPublic(db, rows);
}

export async function publishedEntry(db: Executor, villageCode: string, id: string): Promise<PublicEntry | null> {
  const rows = await db
    .select(entryColumns)
    .from(ledgerEntries)
    .innerJoin(accounts, and(eq(accounts.standard, ledgerEntries.accountStandard), eq(accounts.code, ledgerEntries.accountCode)))
    .where(and(eq(ledgerEntries.villageCode, villageCode), eq(ledgerEntries.id, id), eq(ledgerEntries.status, 'published')));
  return (await toPublic(db, rows))[0] ?? null;
}

/** The public leaves [start, end) of a village's log, computed from the entries as stored now. */
export async function logLeaves(db: Executor, villageCode: string, start: number, end: number): Promise<PublicLeaf[]> {
  const entries = await db
    .select()
    .from(ledgerEntries)
    .where(
      and(
        eq(ledgerEntries.villageCode, villageCode),
        eq(ledgerEntries.status, 'published'),
        gte(ledgerEntries.leafIndex, start),
        lt(ledgerEntries.leafIndex, end),
      ),
    )
    .orderBy(asc(ledgerEntries.leafIndex));
  return (await leafSources(db, entries)).map(publicLeaf);
}

async function storedLeafHashes(db: Executor, villageCode: string, treeSize: number): Promise<Buffer[]> {
  const rows = await db
    .select({ hash: ledgerEntries.leafHash })
    .from(ledgerEntries)
    .where(and(eq(ledgerEntries.villageCode, villageCode), eq(ledgerEntries.status, 'published'), lt(ledgerEntries.leafIndex, treeSize)))
    .orderBy(asc(ledgerEntries.leafIndex));
  return rows.map((r) => Buffer.from(r.hash!, 'hex'));
}

async function requireTreeSize(db: Executor, villageCode: string, treeSize: number) {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(publications)
    .where(and(eq(publications.villageCode, villageCode), eq(publications.treeSize, treeSize)));
  if (!row?.n) throw new DomainError('not_found', 'tree_size_unknown', `没有大小为 ${treeSize} 的已签名检查点`);
}

/** Inclusion proof of leaf `index` in the village's tree of `treeSize` leaves (a size some checkpoint signed). */
export async function inclusionProofFor(db: Executor, villageCode: string, index: number, treeSize: number) {
  await requireTreeSize(db, villageCode, treeSize);
  if (index < 0 || index >= treeSize) throw new DomainError('invalid', 'leaf_index_invalid', `叶子序号 ${index} 不在 0–${treeSize - 1} 之内`);
  const leaves = await storedLeafHashes(db, villageCode, treeSize);
  return inclusionProof(leaves, index).map((h) => h.toString('hex'));
}

/** Consistency proof between two signed tree sizes of the village's log. */
export async function consistencyProofFor(db: Executor, villageCode: string, first: number, second: number) {
  await requireTreeSize(db, villageCode, second);
  if (first < 1 || first > second) throw new DomainError('invalid', 'tree_size_invalid', `一致性证明要求 1 ≤ first ≤ second`);
  await requireTreeSize(db, villageCode, first);
  const leaves = await storedLeafHashes(db, villageCode, second);
  return consistencyProof(leaves, first).map((h) => h.toString('hex'));
}

export async function listImportBatches(db: Executor, villageCode: string) {
  return db.select().from(importBatches).where(eq(importBatches.villageCode, villageCode)).orderBy(desc(importBatches.uploadedAt));
}

/** Draft periods of a village with their entry counts and totals (for the accountant). */
export async function draftPeriods(db: Executor, villageCode: string) {
  return db
    .select({
      period: ledgerEntries.period,
      entries: sql<number>`count(*)::int`,
      incomeFen: sql<number>`coalesce(sum(${ledgerEntries.amountFen}) filter (where ${ledgerEntries.direction} = 'income'), 0)::bigint`.mapWith(Number),
      expenseFen: sql<number>`coalesce(sum(${ledgerEntries.amountFen}) filter (where ${ledgerEntries.direction} = 'expense'), 0)::bigint`.mapWith(Number),
    })
    .from(ledgerEntries)
    .where(and(eq(ledgerEntries.villageCode, villageCode), eq(ledgerEntries.status, 'draft')))
    .groupBy(ledgerEntries.period)
    .orderBy(asc(ledgerEntries.period));
}

/** Villages whose log has at least one checkpoint, with the latest one (for verifiers). */
export async function villagesWithLogs(db: Executor) {
  return db
    .selectDistinctOn([publications.villageCode], {
      villageCode: publications.villageCode,
      period: publications.period,
      treeSize: publications.treeSize,
      rootHash: publications.rootHash,
    })
    .from(publications)
    .orderBy(asc(publications.villageCode), desc(publications.treeSize), desc(publications.period));
}

/** A voucher file the public may see: one attached to a published entry. */
export async function publicVoucher(db: Executor, sha256: string) {
  const [row] = await db
    .select({ sha256: vouchers.sha256, mime: vouchers.mime, publicMime: vouchers.publicMime, hasThumbnail: vouchers.hasThumbnail })
    .from(vouchers)
    .where(
      and(
        eq(vouchers.sha256, sha256),
        sql`exists (select 1 from ${entryVouchers} ev join ${ledgerEntries} e on e.id = ev.entry_id
                     where ev.voucher_sha256 = ${vouchers.sha256} and e.status = 'published')`,
      ),
    );
  return row ?? null;
}

/** Every entry of a village's period as staff see it (unmasked), drafts included. */
export async function periodEntriesForStaff(db: Executor, villageCode: string, period: string) {
  const rows = await db
    .select({
      entry: ledgerEntries,
      accountName: accounts.name,
      voucherPages: ledgerEntries.voucherPages,
      reversedBy: sql<string | null>`(select r.voucher_no from ${ledgerEntries} r where r.reverses_id = ${ledgerEntries.id})`,
    })
    .from(ledgerEntries)
    .innerJoin(accounts, and(eq(accounts.standard, ledgerEntries.accountStandard), eq(accounts.code, ledgerEntries.accountCode)))
    .where(and(eq(ledgerEntries.villageCode, villageCode), eq(ledgerEntries.period, period)))
    .orderBy(asc(ledgerEntries.date), asc(ledgerEntries.voucherNo));
  return rows.map(({ entry, ...rest }) => {
    const { salt: _salt, ...visible } = entry;
    return { ...visible, ...rest };
  });
}

/** What publishing a period would record: its draft totals and the balance it opens with. */
export async function publicationPreview(db: Executor, villageCode: string, period: string) {
  const [drafts] = await db
    .select({
      entries: sql<number>`count(*)::int`,
      incomeFen: sql<number>`coalesce(sum(${ledgerEntries.amountFen}) filter (where ${ledgerEntries.direction} = 'income'), 0)::bigint`.mapWith(Number),
      expenseFen: sql<number>`coalesce(sum(${ledgerEntries.amountFen}) filter (where ${ledgerEntries.direction} = 'expense'), 0)::bigint`.mapWith(Number),
    })
    .from(ledgerEntries)
    .where(and(eq(ledgerEntries.villageCode, villageCode), eq(ledgerEntries.period, period), eq(ledgerEntries.status, 'draft')));
  const latest = await latestPublication(db, villageCode);
  const [opening] = await db.select().from(openingBalances).where(eq(openingBalances.villageCode, villageCode));
  const openingFen = latest ? latest.closingFen : (opening?.amountFen ?? null);
  const d = drafts ?? { entries: 0, incomeFen: 0, expenseFen: 0 };
  return {
    ...d,
    openingFen,
    closingFen: openingFen === null ? null : openingFen + d.incomeFen - d.expenseFen,
    lastPublished: latest?.period ?? null,
  };
}

/** A voucher attached to an entry of the village (any status), for staff. */
export async function villageVoucher(db: Executor, villageCode: string, sha256: string) {
  const [row] = await db
    .select({ sha256: vouchers.sha256, mime: vouchers.mime, size: vouchers.size })
    .from(vouchers)
    .where(
      and(
        eq(vouchers.sha256, sha256),
        sql`exists (select 1 from ${entryVouchers} ev join ${ledgerEntries} e on e.id = ev.entry_id
                     where ev.voucher_sha256 = ${vouchers.sha256} and e.village_code = ${villageCode})`,
      ),
    );
  return row ?? null;
}
