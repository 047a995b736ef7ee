// What the public village pages read: a village's money by month and by account for a year, its
// spending against the township's median per account, its latest entries, one period's ledger
// with the villager's filters, and what an entry page shows around the entry (its decision,
// reversal, checkpoint, vouchers). Only published entries; every free text masked.
import { and, asc, desc, eq, inArray, like, lte, sql, type SQL } from 'drizzle-orm';
import { queryRows, type Executor } from '../client.ts';
import { parseAmountFen } from '../ledger/parse.ts';
import { getPublication, latestPublication, type Publication, type PublicEntry } from '../ledger/queries.ts';
import { isPeriod } from '../ledger/periods.ts';
import { maskText } from '../privacy.ts';
import { getRegion, isRegionCode, parentCode, type Region } from '../regions.ts';
import { accounts, decisions, entryVouchers, ledgerEntries, officials, publications, regions, vouchers } from '../schema.ts';

const published = (code: string) => and(eq(ledgerEntries.villageCode, code), eq(ledgerEntries.status, 'published'));
const sumFen = (direction: 'income' | 'expense') =>
  sql<number>`coalesce(sum(${ledgerEntries.amountFen}) filter (where ${ledgerEntries.direction} = ${direction}), 0)::bigint`.mapWith(Number);
const accountJoin = and(eq(accounts.standard, ledgerEntries.accountStandard), eq(accounts.code, ledgerEntries.accountCode));

// ---------------------------------------------------------------------------------------------
// The data version of a village's public pages

export interface VillageVersion {
  level: Region['level'];
  name: string;
  /** The names of the regions above (the trail), in code order. */
  ancestors: string;
  /** The root hash of the village's latest publication, or 'none': changes with every publication. */
  root: string;
  /** Publications in the village's township (count and latest time): the township median changes with them. */
  township: string;
  /** A digest of the officials as shown. */
  officials: string;
  /** The database snapshot these were read in (see `databaseSnapshot`). */
  snapshot: string;
}

/**
 * The database's current snapshot (`xmin:xmax:in-progress list`): the same text means the same
 * committed data, since any commit moves `xmax` or leaves the in-progress list. A trivial query,
 * so a page can check it first and read its own data version only when something was committed.
 */
export async function databaseSnapshot(db: Executor): Promise<string> {
  const [row] = await queryRows<{ s: string }>(db, sql`select pg_current_snapshot()::text as s`);
  return row!.s;
}

/**
 * Everything the village page and the ledger page depend on, in one small query: the region's
 * level and name, its ancestors' names, its latest log root (published entries and publications
 * never change afterwards, so a new root is the only way their figures change), its township's
 * publications, and its officials. Null when `code` is not a stored region. Pages key their
 * caches by it, so whatever any process commits is seen on the next request.
 */
export async function villageVersion(db: Executor, code: string): Promise<VillageVersion | null> {
  if (!isRegionCode(code)) return null;
  const above: string[] = [];
  for (let p = parentCode(code); p; p = parentCode(p)) above.push(p);
  const ancestors = above.length ? sql.join(above.map((c) => sql`${c}`), sql`, `) : sql`null`;
  const [row] = await queryRows<VillageVersion>(
    db,
    sql`
    select r.level, r.name,
      coalesce((select string_agg(a.code || ' ' || a.name, '|' order by a.code) from ${regions} a where a.code in (${ancestors})), '') as ancestors,
      coalesce((select p.root_hash from ${publications} p where p.village_code = r.code
                 order by p.tree_size desc, p.period desc limit 1), 'none') as root,
      (select count(*) || ' ' || coalesce(max(p.published_at)::text, '') from ${publications} p
        where p.village_code like ${`${code.slice(0, 9)}%`}) as township,
      (select md5(coalesce(string_agg(o.position || '|' || o.name || '|' || o.post || '|' || o.duties, chr(10) order by o.position), '')) from ${officials} o
        where o.village_code = r.code) as officials
      , pg_current_snapshot()::text as snapshot
    from ${regions} r where r.code = ${code}`,
  );
  return row ?? null;
}

// ---------------------------------------------------------------------------------------------
// A year of a village

export interface MonthTotals {
  /** YYYY-MM */
  period: string;
  incomeFen: number;
  expenseFen: number;
  entries: number;
}

/** Income and spending of each published period of `year`, from its published entries (a period without entries is 0). */
export async function monthlyTotals(db: Executor, code: string, year: number): Promise<MonthTotals[]> {
  return db
    .select({
      period: publications.period,
      incomeFen: sumFen('income'),
      expenseFen: sumFen('expense'),
      entries: sql<number>`count(${ledgerEntries.id})::int`,
    })
    .from(publications)
    .leftJoin(
      ledgerEntries,
      and(
        eq(ledgerEntries.villageCode, publications.villageCode),
        eq(ledgerEntries.period, publications.period),
        eq(ledgerEntries.status, 'published'),
      ),
    )
    .where(and(eq(publications.villageCode, code), like(publications.period, `${year}-%`)))
    .groupBy(publications.period)
    .orderBy(asc(publications.period));
}

export interface AccountTotal {
  accountCode: string;
  accountName: string;
  direction: 'income' | 'expense';
  nonProductive: boolean;
  amountFen: number;
  entries: number;
}

/** A year's published income and spending by account (reversals net off), largest first within each direction. */
export async function accountTotals(db: Executor, code: string, year: number): Promise<AccountTotal[]> {
  return db
    .select({
      accountCode: ledgerEntries.accountCode,
      accountName: accounts.name,
      direction: ledgerEntries.direction,
      nonProductive: accounts.nonProductive,
      amountFen: sql<number>`sum(${ledgerEntries.amountFen})::bigint`.mapWith(Number),
      entries: sql<number>`count(*)::int`,
    })
    .from(ledgerEntries)
    .innerJoin(accounts, accountJoin)
    .where(and(published(code), eq(ledgerEntries.year, year)))
    .groupBy(ledgerEntries.accountCode, accounts.name, ledgerEntries.direction, accounts.nonProductive)
    .orderBy(asc(ledgerEntries.direction), desc(sql`sum(${ledgerEntries.amountFen})`), asc(ledgerEntries.accountCode));
}

export interface YearTotals {
  year: number;
  /** Published periods of the year, first and last. */
  firstPeriod: string;
  lastPeriod: string;
  periods: number;
  entries: number;
  incomeFen: number;
  expenseFen: number;
  /** Balance at the start of the year's first published period and after its last. */
  openingFen: number;
  closingFen: number;
}

/** The year's totals over its published periods (from the publications), or null if none. */
export async function yearTotals(db: Executor, code: string, year: number): Promise<YearTotals | null> {
  const [row] = await db
    .select({
      firstPeriod: sql<string>`min(${publications.period})`,
      lastPeriod: sql<string>`max(${publications.period})`,
      periods: sql<number>`count(*)::int`,
      entries: sql<number>`coalesce(sum(${publications.entryCount}), 0)::int`,
      incomeFen: sql<number>`coalesce(sum(${publications.incomeFen}), 0)::bigint`.mapWith(Number),
      expenseFen: sql<number>`coalesce(sum(${publications.expenseFen}), 0)::bigint`.mapWith(Number),
      openingFen: sql<number>`(array_agg(${publications.openingFen} order by ${publications.period}))[1]`.mapWith(Number),
      closingFen: sql<number>`(array_agg(${publications.closingFen} order by ${publications.period} desc))[1]`.mapWith(Number),
    })
    .from(publications)
    .where(and(eq(publications.villageCode, code), like(publications.period, `${year}-%`)));
  if (!row || row.periods === 0) return null;
  return { year, ...row };
}

export interface TownshipComparisonRow {
  accountCode: string;
  accountName: string;
  nonProductive: boolean;
  /** This village's spending on the account over the compared periods. */
  villageFen: number;
  /** Median over the compared villages, a village without spending on the account counting as 0; rounded to the fen. */
  medianFen: number;
}

export interface TownshipComparison {
  /** The periods compared: `${year}-01` through `through`. */
  fromPeriod: string;
  through: string;
  /** Villages of the township compared (those whose publications reach `through`), this one included. */
  villages: number;
  rows: TownshipComparisonRow[];
}

/**
 * The village's spending by account against the median of its township's villages, over the
 * same periods: January of `through`'s year through `through`. Villages whose publications do
 * not reach `through` are left out (no data is not zero spending; a month without entries has no
 * publication, so a village counts once it has published `through` or later); a compared village
 * with nothing on an account counts as 0 on it. One query: totals per village and account, the full village ×
 * account grid, and percentile_cont over it (exact in double precision for sums below 2^53 fen).
 */
export async function townshipComparison(db: Executor, code: string, through: string): Promise<TownshipComparison> {
  const township = code.slice(0, 9);
  const from = `${through.slice(0, 4)}-01`;
  const result = await queryRows<{
    account_code: string;
    account_name: string;
    non_productive: boolean;
    village_fen: string | number;
    median_fen: string | number;
    villages: number;
  }>(
    db,
    sql`
    with peers as (
      select village_code from ${publications} where village_code like ${`${township}%`}
       group by village_code having max(period) >= ${through}
    ), totals as (
      select e.village_code, e.account_standard, e.account_code, sum(e.amount_fen) as fen
        from ${ledgerEntries} e join peers p on p.village_code = e.village_code
       where e.status = 'published' and e.direction = 'expense' and e.period between ${from} and ${through}
       group by e.village_code, e.account_standard, e.account_code
    ), grid as (
      select p.village_code, a.account_standard, a.account_code, coalesce(t.fen, 0) as fen
        from peers p
        cross join (select distinct account_standard, account_code from totals) a
        left join totals t on t.village_code = p.village_code and t.account_standard = a.account_standard and t.account_code = a.account_code
    )
    select g.account_code, ac.name as account_name, ac.non_productive,
           coalesce(max(g.fen) filter (where g.village_code = ${code}), 0)::bigint as village_fen,
           round(percentile_cont(0.5) within group (order by g.fen)::numeric)::bigint as median_fen,
           count(*)::int as villages
      from grid g join ${accounts} ac on ac.standard = g.account_standard and ac.code = g.account_code
     group by g.account_standard, g.account_code, ac.name, ac.non_productive
     order by g.account_code`,
  );
  const [peers] = await queryRows<{ n: number }>(
    db,
    sql`select count(*)::int as n from (select village_code from ${publications} where village_code like ${`${township}%`}
         group by village_code having max(period) >= ${through}) p`,
  );
  return {
    fromPeriod: from,
    through,
    villages: Number(peers?.n ?? 0),
    rows: result.map((r) => ({
      accountCode: r.account_code,
      accountName: r.account_name,
      nonProductive: r.non_productive,
      villageFen: Number(r.village_fen),
      medianFen: Number(r.median_fen),
    })),
  };
}

// ---------------------------------------------------------------------------------------------
// Entries

/** A published entry as a ledger row: the public entry (free texts masked) with its period and voucher page count. */
export type LedgerRow = Omit<PublicEntry, 'vouchers'> & { period: string; voucherPages: number };

const rowColumns = {
  id: ledgerEntries.id,
  date: ledgerEntries.date,
  period: ledgerEntries.period,
  voucherNo: ledgerEntries.voucherNo,
  summary: ledgerEntries.summary,
  accountCode: ledgerEntries.accountCode,
  accountName: accounts.name,
  direction: ledgerEntries.direction,
  amountFen: ledgerEntries.amountFen,
  counterparty: ledgerEntries.counterparty,
  paymentMethod: ledgerEntries.paymentMethod,
  invoiceNo: ledgerEntries.invoiceNo,
  handler: ledgerEntries.handler,
  decisionRef: ledgerEntries.decisionRef,
  reversesId: ledgerEntries.reversesId,
  leafIndex: ledgerEntries.leafIndex,
  voucherPages: ledgerEntries.voucherPages,
};

type RawRow = Omit<LedgerRow, 'leafIndex'> & { leafIndex: number | null };

const toRow = (r: RawRow): LedgerRow => ({
  ...r,
  summary: maskText(r.summary),
  counterparty: maskText(r.counterparty),
  handler: maskText(r.handler),
  leafIndex: r.leafIndex!,
});

/** The village's latest published entries, newest first. */
export async function latestEntries(db: Executor, code: string, limit = 10): Promise<LedgerRow[]> {
  const result = await db
    .select(rowColumns)
    .from(ledgerEntries)
    .innerJoin(accounts, accountJoin)
    .where(published(code))
    .orderBy(desc(ledgerEntries.date), desc(ledgerEntries.leafIndex))
    .limit(limit);
  return result.map(toRow);
}

/** Accounts the village's published entries use (for the ledger's account filter). */
export async function villageAccounts(db: Executor, code: string) {
  return db
    .selectDistinct({ code: ledgerEntries.accountCode, name: accounts.name })
    .from(ledgerEntries)
    .innerJoin(accounts, accountJoin)
    .where(published(code))
    .orderBy(asc(ledgerEntries.accountCode));
}

// ---------------------------------------------------------------------------------------------
// The ledger of a period, filtered

export interface LedgerFilter {
  /** An account code; a 3-digit code also takes its 5-digit sub-accounts. */
  account: string | null;
  direction: 'income' | 'expense' | null;
  /** Amount range on the absolute amount (a reversal counts by its size), integer fen. */
  minFen: number | null;
  maxFen: number | null;
  /** Substring of the (masked) summary or counterparty. */
  text: string;
}

export interface LedgerQuery {
  /** The asked period if well-formed, else null (the page then shows the latest). */
  period: string | null;
  filter: LedgerFilter;
  /** What the form fields hold, to show them back. */
  values: { period: string; account: string; direction: string; min: string; max: string; q: string };
  /** Field → problem, for values that were ignored. */
  problems: { field: 'period' | 'account' | 'direction' | 'min' | 'max'; code: string; message: string }[];
  /** Whether any filter applies. */
  filtered: boolean;
}

/** Reads the ledger's GET parameters (the page and its CSV/JSON downloads share them). Bad values are ignored and reported. */
export function parseLedgerQuery(params: URLSearchParams): LedgerQuery {
  const get = (k: string) => (params.get(k) ?? '').trim();
  const values = { period: get('period'), account: get('account'), direction: get('direction'), min: get('min'), max: get('max'), q: get('q') };
  const problems: LedgerQuery['problems'] = [];
  const period = values.period && isPeriod(values.period) ? values.period : null;
  if (values.period && !period) problems.push({ field: 'period', code: 'period_invalid', message: `账期格式应为 YYYY-MM：${values.period}` });
  let account: string | null = null;
  if (values.account) {
    if (/^\d{3}(\d{2})?$/.test(values.account)) account = values.account;
    else problems.push({ field: 'account', code: 'account_invalid', message: `科目编码应为 3 或 5 位数字：${values.account}` });
  }
  let direction: LedgerFilter['direction'] = null;
  if (values.direction === 'income' || values.direction === 'expense') direction = values.direction;
  else if (values.direction) problems.push({ field: 'direction', code: 'direction_invalid', message: `收支方向应为 income 或 expense` });
  const amount = (field: 'min' | 'max'): number | null => {
    const text = values[field];
    if (!text) return null;
    const parsed = parseAmountFen(text);
    if (parsed.ok) return parsed.fen;
    problems.push({ field, code: parsed.code, message: parsed.message });
    return null;
  };
  const minFen = amount('min');
  const maxFen = amount('max');
  const text = values.q.slice(0, 50);
  const filter = { account, direction, minFen, maxFen, text };
  return {
    period,
    filter,
    values,
    problems,
    filtered: account !== null || direction !== null || minFen !== null || maxFen !== null || text !== '',
  };
}

const normalise = (s: string) => s.normalize('NFKC').toLowerCase();

/**
 * The published entries of a period that pass the filter, in log order. Account, direction and
 * amount are matched in SQL; the text is matched in the masked summary and counterparty, so that
 * searching for part of a hidden ID or card number finds nothing (a period is one month of one
 * village: a few dozen rows).
 */
export async function ledgerRows(db: Executor, code: string, period: string, filter: LedgerFilter): Promise<LedgerRow[]> {
  const conditions: (SQL | undefined)[] = [published(code), eq(ledgerEntries.period, period)];
  if (filter.account) {
    conditions.push(
      filter.account.length === 3
        ? like(ledgerEntries.accountCode, `${filter.account}%`)
        : eq(ledgerEntries.accountCode, filter.account),
    );
  }
  if (filter.direction) conditions.push(eq(ledgerEntries.direction, filter.direction));
  if (filter.minFen !== null) conditions.push(sql`abs(${ledgerEntries.amountFen}) >= ${filter.minFen}`);
  if (filter.maxFen !== null) conditions.push(sql`abs(${ledgerEntries.amountFen}) <= ${filter.maxFen}`);
  const result = (
    await db
      .select(rowColumns)
      .from(ledgerEntries)
      .innerJoin(accounts, accountJoin)
      .where(and(...conditions))
      .orderBy(asc(ledgerEntries.leafIndex))
  ).map(toRow);
  const needle = normalise(filter.text.trim());
  if (!needle) return result;
  return result.filter((r) => normalise(r.summary).includes(needle) || (r.counterparty !== null && normalise(r.counterparty).includes(needle)));
}

/** Income and spending of some rows (integer fen). */
export function rowTotals(list: { direction: 'income' | 'expense'; amountFen: number }[]) {
  let incomeFen = 0;
  let expenseFen = 0;
  for (const r of list) {
    if (r.direction === 'income') incomeFen += r.amountFen;
    else expenseFen += r.amountFen;
  }
  return { incomeFen, expenseFen, count: list.length };
}

// ---------------------------------------------------------------------------------------------
// Around one entry

export interface EntryContext {
  /** The checkpoint that published the entry: its period's publication. */
  publication: { period: string; treeSize: number; rootHash: string; publishedAt: Date; checkpoint: string } | null;
  decision: { ref: string; title: string; decidedOn: string; amountFen: number | null } | null;
  /** The entry this one reverses, and the entry that reverses this one (published ones only). */
  reverses: { id: string; voucherNo: string; date: string; amountFen: number } | null;
  reversedBy: { id: string; voucherNo: string; date: string; amountFen: number } | null;
  /** Voucher files that have a WebP thumbnail. */
  thumbnails: Set<string>;
}

export const isUuid = (id: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);

export async function entryContext(
  db: Executor,
  code: string,
  entry: { id: string; decisionRef: string | null; reversesId: string | null; vouchers: { sha256: string }[] },
): Promise<EntryContext> {
  const linked = { id: ledgerEntries.id, voucherNo: ledgerEntries.voucherNo, date: ledgerEntries.date, amountFen: ledgerEntries.amountFen };
  const shas = entry.vouchers.map((v) => v.sha256);
  const [publication, decision, reverses, reversedBy, thumbs] = await Promise.all([
    db
      .select({
        period: publications.period,
        treeSize: publications.treeSize,
        rootHash: publications.rootHash,
        publishedAt: publications.publishedAt,
        checkpoint: publications.checkpoint,
      })
      .from(ledgerEntries)
      .innerJoin(publications, eq(publications.id, ledgerEntries.publicationId))
      .where(and(published(code), eq(ledgerEntries.id, entry.id))),
    entry.decisionRef
      ? db
          .select({ ref: decisions.ref, title: decisions.title, decidedOn: decisions.decidedOn, amountFen: decisions.amountFen })
          .from(decisions)
          .where(and(eq(decisions.villageCode, code), eq(decisions.ref, entry.decisionRef)))
      : [],
    entry.reversesId ? db.select(linked).from(ledgerEntries).where(and(published(code), eq(ledgerEntries.id, entry.reversesId))) : [],
    db.select(linked).from(ledgerEntries).where(and(published(code), eq(ledgerEntries.reversesId, entry.id))),
    shas.length
      ? db.select({ sha256: vouchers.sha256 }).from(vouchers).where(and(inArray(vouchers.sha256, shas), eq(vouchers.hasThumbnail, true)))
      : [],
  ]);
  const d = decision[0];
  return {
    publication: publication[0] ?? null,
    decision: d ? { ...d, title: maskText(d.title) } : null,
    reverses: reverses[0] ?? null,
    reversedBy: reversedBy[0] ?? null,
    thumbnails: new Set(thumbs.map((t) => t.sha256)),
  };
}

/** Published periods of a village up to `through`, newest first (for the period picker). */
export async function publishedPeriods(db: Executor, code: string, through?: string): Promise<string[]> {
  const result = await db
    .select({ period: publications.period })
    .from(publications)
    .where(and(eq(publications.villageCode, code), through ? lte(publications.period, through) : undefined))
    .orderBy(desc(publications.period));
  return result.map((r) => r.period);
}

// ---------------------------------------------------------------------------------------------
// The ledger page and its downloads, from one place so they always show the same rows

export interface PublicLedger {
  village: Region;
  /** The village's latest publication (its root is the data version), or null. */
  latest: Publication | null;
  /** The period shown: the asked one, else the latest published; null when nothing is published. */
  period: string | null;
  /** Its publication, or null when that period is not published. */
  publication: Publication | null;
  /** Published periods, newest first. */
  periods: string[];
  query: LedgerQuery;
  rows: LedgerRow[];
  /** Totals of the rows shown. */
  shown: { incomeFen: number; expenseFen: number; count: number };
}

/** The public ledger of a village for the GET parameters, or null when `code` is not a village. */
export async function publicLedger(db: Executor, code: string, params: URLSearchParams): Promise<PublicLedger | null> {
  const village = isRegionCode(code) ? await getRegion(db, code) : null;
  if (!village || village.level !== 'village') return null;
  const query = parseLedgerQuery(params);
  const [latest, periods] = await Promise.all([latestPublication(db, code), publishedPeriods(db, code)]);
  const period = query.period ?? latest?.period ?? null;
  const publication = period ? (period === latest?.period ? latest : await getPublication(db, code, period)) : null;
  const rows = publication ? await ledgerRows(db, code, publication.period, query.filter) : [];
  return { village, latest, period, publication, periods, query, rows, shown: rowTotals(rows) };
}
