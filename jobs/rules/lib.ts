// Helpers shared by the check rules: the spending every rule's query reads (one statement per
// county for all rules: queryRules), running raw SQL on either driver, money in yuan for people
// (integer arithmetic only), and small pure helpers for evaluate.
import { sql, type SQL } from 'drizzle-orm';
import { jsonParam, pgTextArray, queryRows, type Executor } from '../../db/client.ts';
import { maskText } from '../../db/privacy.ts';
import type { EvidenceEntry, ParamsByRegion, Rule, RuleScope } from './rule.ts';

/** Rows of a raw query on either driver (db/client.ts; the rules import it from here). */
export { jsonParam, pgTextArray, queryRows };


/** `select … from` the villages of the scope, as a set (for `in (…)`). */
export const scopeVillages = (scope: RuleScope): SQL => sql`(select json_array_elements_text(${jsonParam(scope.villages)}))`;

/** Whole counties as ranges of village codes (an index range scan, not a set to probe). */
const inCounties = (column: SQL, counties: string[]): SQL =>
  sql`(${sql.join(
    counties.map((c) => sql`(${column} >= ${c} and ${column} < ${String(Number(c) + 1).padStart(c.length, '0')})`),
    sql` or `,
  )})`;

/** The 6-digit county prefixes of the scope's villages. */
const countiesOf = (scope: RuleScope): string[] => [...new Set(scope.villages.map((v) => v.slice(0, 6)))].sort();

/**
 * The CTE `spend` (after `rev`) of published expenses dated on or before asOf: those of whole
 * counties, of some entries by id, or of some villages' accounts in some months. Each with its amount net of any
 * published reversal dated on or before asOf; reversal entries themselves are left out, and so is
 * an entry that a reversal cancels entirely (a reversed entry and its reversal are not spending).
 * Columns:
 * - `id`, `village_code`, `in_scope` (a village of the scope: the others are its counties' peers),
 *   `date`, `day` (days since 1900-01-01, for windows in integers), `year`, `period` (YYYY-MM),
 *   `account_standard`, `account_code`, `amount_fen`;
 * - `party_key`: the counterparty as partyKey makes it, null without one (stored on the entry:
 *   migration 0008); `cash`; `voucher_pages` (kept by migration 0009's triggers); `invoice_key`
 *   (the invoice number as normalizeRef makes it);
 * - `decision_known` (the village has a decision with the entry's normalised ref), `decided_on`
 *   (its date) and `decided` (on or before the payment).
 * The entry's texts are not copied: a rule joins them for the few rows it reports (withDetails).
 */
function spendingOf(
  scope: RuleScope,
  filter: { counties: string[] } | { ids: SQL } | { cells: SQL },
  name: string,
  materialized: boolean,
): SQL {
  const rev = sql.identifier(`${name}_rev`);
  const rows =
    'counties' in filter
      ? inCounties(sql`e.village_code`, filter.counties)
      : 'ids' in filter
        ? sql`e.id = any (array${filter.ids})`
        : // (village, account, period) cells: through the index on (village_code, period), the
          // other accounts of those months left out before their spending is computed.
          sql`(e.village_code, e.account_code, e.period) in (select m.village, m.account, m.period from ${filter.cells} as m(village, account, period))`;
  // A scope of whole counties (a full run) has every village of `spend` in it.
  const whole = 'counties' in filter && scope.wholeCounties === true;
  return sql`${rev} as (
      select r.reverses_id, sum(r.amount_fen)::bigint as amount_fen
        from ledger_entries r
       where r.reverses_id is not null and r.status = 'published' and r.date <= ${scope.asOf}::date
       group by r.reverses_id),
    ${sql.identifier(name)} as ${materialized ? sql`materialized` : sql`not materialized`} (
      select e.id, e.village_code, ${whole ? sql`true` : sql`e.village_code in ${scopeVillages(scope)}`} as in_scope,
             e.date, e.date - date '1900-01-01' as day, e.year, e.period, e.account_standard, e.account_code,
             (e.amount_fen + coalesce(rev.amount_fen, 0))::bigint as amount_fen,
             case when e.counterparty is not null then e.party_key end as party_key,
             e.payment_method = 'cash' as cash, e.voucher_pages, e.invoice_key,
             d.decided_on is not null as decision_known, d.decided_on, coalesce(d.decided_on <= e.date, false) as decided
        from ledger_entries e
        left join ${rev} rev on rev.reverses_id = e.id
        -- The village's decision with the entry's ref, looked up only for the few entries that name one.
        left join lateral (select case when e.decision_key <> '' then
                             (select min(x.decided_on) from decisions x where x.village_code = e.village_code and x.ref_key = e.decision_key)
                           end as decided_on) d on true
       where e.status = 'published' and e.direction = 'expense' and e.reverses_id is null
         and e.date <= ${scope.asOf}::date and ${rows}
         and e.amount_fen + coalesce(rev.amount_fen, 0) > 0)`;
}

/**
 * The CTEs a rule's query reads (`with ${spendingCtes(scope)} select …`): `county_spend`
 * (spendingOf) for every village of the counties of the scope's villages, read from the ledger
 * once and kept for all the rules of the statement; `spend`, its rows of the scope's villages
 * (the same set in a run of whole counties; in a run of some villages of a county most rules
 * read only these, and scan them rather than the county); and the aggregates several rules
 * share, each computed only if a query reads it:
 * - `spend_monthly`: per village (`in_scope`), account and period (YYYY-MM; `month`: months since
 *   year 0, to count in integers) the spending not covered by a prior decision (`undecided_fen`,
 *   null when there is none) and all of it (`total_fen`), with the account's standard
 *   (`account_standard`);
 * - `spend_amounts`: per village and amount paid more than once, how many expenses paid it (`n`,
 *   all accounts and years): an amount paid once cannot be a repeat of anything, and leaving
 *   those out keeps the set a rule probes small (a county's 85,000 expenses have ≈1,300 such
 *   amounts against ≈64,000 distinct ones).
 */
export function spendingCtes(scope: RuleScope): SQL {
  // A run of some villages of a county reads the others too (their peers: monthly totals and
  // first digits), but most rules look at the scope's own spending only: `spend` is that part.
  const whole = scope.wholeCounties === true;
  return sql`${spendingOf(scope, { counties: countiesOf(scope) }, whole ? 'spend' : 'county_spend', true)},
    ${whole ? sql`county_spend as not materialized (select * from spend)` : sql`spend as materialized (select * from county_spend c where c.in_scope)`},
    spend_monthly as materialized (
      select m.*, left(m.period, 4)::int * 12 + right(m.period, 2)::int - 1 as month
        -- (Text compared byte by byte where the order does not matter: the collation's is slower.)
        from (select s.village_code, s.in_scope, s.account_code, s.period, max(s.account_standard collate "C") as account_standard,
                     sum(s.amount_fen) filter (where not s.decided) as undecided_fen, sum(s.amount_fen) as total_fen
                from county_spend s
               group by s.village_code, s.in_scope, s.account_code, s.period) m),
    spend_amounts as materialized (
      select s.village_code, s.amount_fen, count(*) as n from county_spend s group by s.village_code, s.amount_fen having count(*) > 1)`;
}

/**
 * CTEs `<name>_rev` and `<name>` (the columns of spendingCtes' `spend`) of a few published
 * entries computed from the ledger whatever the scope: by id (a set of entry ids: rules that
 * follow entries across villages and counties), or by cell (a village's account in a month).
 */
export const spendingOfEntries = (scope: RuleScope, ids: SQL, name: string): SQL => spendingOf(scope, { ids }, name, false);
export const spendingOfCells = (scope: RuleScope, cells: { village: string; account: string; period: string }[], name: string): SQL =>
  spendingOf(scope, { cells: sql`(select * from json_to_recordset(${jsonParam(cells)}) as m0(village text, account text, period text))` }, name, false);

/**
 * Spending rows as `s` — `spend`, or a rule's own set of them (with at least `id`,
 * `village_code`, `date`, `amount_fen`, `account_standard` and `account_code`) — with the entry's
 * texts (alias `e`: voucher_no, summary, counterparty, handler, invoice_no, decision_ref) and its
 * account (alias `a`: name), looked up entry by entry (the primary key): for the few rows a rule
 * reports, after its filters.
 */
export const detailsOf = (rows: SQL = sql`spend`): SQL => sql`${rows} s
  cross join lateral (select x.voucher_no, x.summary, x.counterparty, x.handler, x.invoice_no, x.decision_ref
                        from ledger_entries x where x.id = s.id offset 0) e
  left join accounts a on a.standard = s.account_standard and a.code = s.account_code`;

/** `spend s` with the entry's texts and account (detailsOf). */
export const withDetails = detailsOf();

/** The evidence columns (EntryRow) of `withDetails`, and the account's name. */
export const evidenceColumns = sql`s.id, s.village_code as "villageCode", e.voucher_no as "voucherNo", s.date, s.amount_fen as "amountFen"`;
export const accountNameColumn = sql`coalesce(a.name, s.account_code) as "accountName"`;

/** A query made a JSON array of its rows, as one column of a statement (dates come as YYYY-MM-DD, money as numbers). */
const asJson = (query: SQL): SQL => sql`(select coalesce(json_agg(q), '[]'::json) from (${query}) q)`;

/** The rows of a query as JSON objects named by its columns (as a rule's query reaches gather). */
export async function queryJson(db: Executor, query: SQL): Promise<Record<string, unknown>[]> {
  const [row] = await queryRows<{ rows: unknown }>(db, sql`select ${asJson(query)} as rows`);
  return json<Record<string, unknown>[]>(row?.rows ?? []);
}

/**
 * The rows of each query (null: nothing to look for) in ONE statement over the scope's spending:
 * the county's ledger is read once for all the rules. Throws if any query fails.
 */
export async function queryRules(db: Executor, scope: RuleScope, queries: (SQL | null)[]): Promise<Record<string, unknown>[][]> {
  const asked = queries.flatMap((q, i) => (q ? [{ q, i }] : []));
  const out = queries.map((): Record<string, unknown>[] => []);
  if (!asked.length) return out;
  // The statement joins sets by hashing, never row by row: the planner knows a county's spending
  // only from the ledger's statistics, and where these have not seen the county yet (published
  // since the last analyze) it would take it for a row or two and join it row by row — minutes
  // instead of a second. Lookups by key (an entry by id, a village's decisions) are subqueries
  // and lateral joins, which this leaves alone; a rule's query reads a large table through an
  // index with `= any(array(…))`, not by joining it. Disabling a join method makes the planner
  // add a huge cost to the plans that still need it (those lookups), and past jit_above_cost
  // PostgreSQL would JIT-compile the statement: a second or more of compiling for a statement
  // that runs in a tenth of that. So no JIT either; both settings are put back as they were.
  const [before] = await queryRows<{ nestloop: string; jit: string }>(
    db,
    sql`select current_setting('enable_nestloop') as nestloop, current_setting('jit') as jit`,
  );
  await db.execute(sql`select set_config('enable_nestloop', 'off', true), set_config('jit', 'off', true)`);
  try {
    const [row] = await queryRows<Record<string, unknown>>(
      db,
      sql`with ${spendingCtes(scope)} select ${sql.join(
        asked.map(({ q, i }) => sql`${asJson(q)} as ${sql.identifier(`r${i}`)}`),
        sql`, `,
      )}`,
    );
    for (const { i } of asked) out[i] = json<Record<string, unknown>[]>(row?.[`r${i}`] ?? []);
  } finally {
    await db.execute(sql`select set_config('enable_nestloop', ${before!.nestloop}, true), set_config('jit', ${before!.jit}, true)`).catch(() => {});
  }
  return out;
}

/**
 * The settings of a check run's transaction (they end with it). The statement hashes and sorts a
 * county's spending (tens of thousands of rows): with the default 4 MB it spills to disk. JIT
 * compiling its plan would take longer than running it. A county is read through the index on
 * village codes: the default random_page_cost (4, for spinning disks) makes the planner scan the
 * whole ledger instead once a county is a sizeable part of it (measured: 108 ms for the whole
 * ledger against 39 ms through the index for a fifth of it).
 */
export async function useCheckSettings(tx: Executor): Promise<void> {
  await tx.execute(sql`set local work_mem = '64MB'`);
  await tx.execute(sql`set local jit = off`);
  await tx.execute(sql`set local random_page_cost = 1.1`);
}

/** The tables the rules' queries read. */
const RULE_TABLES = ['ledger_entries', 'decisions', 'entry_vouchers', 'shared_keys', 'officials', 'publications', 'regions', 'accounts'];

/**
 * Statistics for the tables the rules read, where there are none yet (never analyzed: the
 * embedded database has no autovacuum, and PostgreSQL analyzes a table only after enough writes).
 * Returns the tables analyzed.
 */
export async function ensureStatistics(db: Executor): Promise<string[]> {
  const never = (
    await queryRows<{ name: string }>(
      db,
      sql`select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace and n.nspname = current_schema()
           where c.relkind = 'r' and c.reltuples < 0 and c.relname in (select json_array_elements_text(${jsonParam(RULE_TABLES)}))`,
    )
  ).map((r) => r.name);
  for (const name of never) await db.execute(sql`analyze ${sql.identifier(name)}`);
  return never.sort();
}

/** One rule's input over a scope, as a check run gathers it (tests, tools). */
export async function gatherInput<P, I>(
  db: Executor,
  rule: Rule<never, I> | { query: Rule['query']; gather?: Rule['gather'] },
  scope: RuleScope,
  params: ParamsByRegion<P>,
): Promise<I> {
  const query = rule.query(scope, params as never);
  const [rows] = await db.transaction((tx) => queryRules(tx, scope, [query]));
  return (rule.gather ? await rule.gather(db, rows!, scope, params as never) : rows) as I;
}

/** Numbers from the database: bigint and numeric arrive as strings on postgres.js. */
export const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));

/** Fen as yuan for people: 126000 → "¥1,260.00" (integer arithmetic, no floats). */
export function yuan(fen: number): string {
  if (!Number.isSafeInteger(fen)) throw new TypeError(`amount in fen must be an integer: ${fen}`);
  const negative = fen < 0;
  const abs = negative ? -fen : fen;
  const cents = abs % 100;
  const whole = (abs - cents) / 100;
  const grouped = String(whole).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${negative ? '-' : ''}¥${grouped}.${String(cents).padStart(2, '0')}`;
}

/** A ratio as a percentage for people: 0.2345 → "23.5%". */
export const percent = (ratio: number, digits = 1): string => `${(ratio * 100).toFixed(digits)}%`;

/** Rounds a statistic to a few decimals for the figures (stable, readable). */
export const round = (x: number, digits = 4): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

/** The evidence entry of a gathered row. */
export interface EntryRow {
  id: string;
  villageCode: string;
  voucherNo: string;
  date: string;
  amountFen: number;
}

export const evidence = (e: EntryRow): EvidenceEntry => ({
  id: e.id,
  villageCode: e.villageCode,
  voucherNo: e.voucherNo,
  date: e.date,
  amountFen: e.amountFen,
});

/** Orders entries by date, then voucher number, then id (a stable order for evidence and groups). */
export const byDate = (a: EntryRow, b: EntryRow): number => cmp(a.date, b.date) || cmp(a.voucherNo, b.voucherNo) || cmp(a.id, b.id);

/** Days from `a` to `b` (YYYY-MM-DD). */
export const daysBetween = (a: string, b: string): number =>
  Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86_400_000);

/** The day `n` days after `d` (YYYY-MM-DD). */
export const addDays = (d: string, n: number): string => new Date(Date.parse(`${d}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

/** The township (9-digit prefix) and county (6-digit prefix) codes of a village or township. */
export const townshipOf = (code: string): string => `${code.slice(0, 9)}000`;
export const countyOf = (code: string): string => `${code.slice(0, 6)}000000`;

/** The parameters of a region: its own, else its township's or county's, else the rule's defaults. */
export function paramsFor<T>(params: ParamsByRegion<T>, code: string, defaults: T): T {
  return params.get(code) ?? params.get(townshipOf(code)) ?? params.get(countyOf(code)) ?? defaults;
}

/** The parameters of every village of the scope. */
export const villageParams = <T>(params: ParamsByRegion<T>, scope: RuleScope, defaults: T): T[] =>
  scope.villages.length ? scope.villages.map((v) => paramsFor(params, v, defaults)) : [defaults];

/** Compares strings for sorting. */
export const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The account names of the standard chart used in sentences. */
export const ACCOUNT_NAMES: Readonly<Record<string, string>> = {
  '511': '经营支出',
  '512': '税金及附加',
  '513': '管理费用',
  '51301': '报酬',
  '51302': '办公费',
  '51303': '差旅费',
  '51304': '招待费',
  '51305': '会议费',
  '51306': '维修费',
  '514': '公益支出',
  '515': '其他支出',
  '521': '所得税费用',
};

/** "招待费" for 51304, or "科目 51399" for an account the table does not name. */
export const accountName = (code: string): string => ACCOUNT_NAMES[code] ?? `科目 ${code}`;

/** An account code: 3 digits, or 5 for a sub-account. */
export const ACCOUNT_CODE = /^[0-9]{3}([0-9]{2})?$/;

/** Characters removed when comparing invoice numbers or decision refs: white space and dashes of every kind. */
const STRIP = /[\s\u00a0\u3000\u2010-\u2015\u2212\ufe58\ufe63-]/g;

/** Normalises an invoice number or decision ref: full-width → ASCII, upper case, no spaces or dashes. */
export function normalizeRef(value: string | null | undefined): string {
  if (!value) return '';
  return value
    .replace(/[\uff01-\uff5e]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(STRIP, '')
    .toUpperCase();
}

/** The same normalisation in SQL (migration 0008's ref_key; must agree with normalizeRef). */
export const normalizeRefSql = (expr: SQL): SQL => sql`ref_key(${expr})`;

/** A JSON value from the database: postgres.js and PGlite parse json columns, but be safe. */
export const json = <T>(v: unknown): T => (typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));

/** An entry's 摘要 quoted for a sentence, personal numbers masked (alerts travel by e-mail and webhook). */
export const quote = (summary: string): string => `「${maskText(summary)}」`;

/** Names (counterparties, officials) compared with full-width letters, digits and brackets as ASCII and without white space. */
export const partyKey = (name: string): string =>
  name.replace(/[\uff01-\uff5e]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0)).replace(/[\s\u00a0\u3000]/g, '');

/** The same in SQL (migration 0008's party_key; must agree with partyKey). */
export const partyKeySql = (expr: SQL): SQL => sql`party_key(${expr})`;

/** Items grouped by a key, in their order. */
export function groupBy<T>(items: Iterable<T>, key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = groups.get(k);
    if (list) list.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

/**
 * `fn` remembering its last result for the same three arguments (by identity): gather's pick and
 * evaluate of a rule compute the same thing from the same totals, parameters and scope, and a
 * run passes the same objects to both, so the second call is free. Pure all the same.
 */
export function sameInputs<A extends object, B, C, T>(fn: (a: A, b: B, c: C) => T): (a: A, b: B, c: C) => T {
  const last = new WeakMap<A, { b: B; c: C; result: T }>();
  return (a, b, c) => {
    const hit = last.get(a);
    if (hit && hit.b === b && hit.c === c) return hit.result;
    const result = fn(a, b, c);
    last.set(a, { b, c, result });
    return result;
  };
}

/** Whether an account is one of a list, or a sub-account of one ("513" covers "51301"). */
export const inAccounts = (account: string, list: readonly string[]): boolean => list.some((a) => account.startsWith(a));

/** The accounts every list names: a rule may leave them out in SQL (evaluate applies each village's own list). */
export const inEveryList = (lists: readonly (readonly string[])[]): string[] =>
  lists.length ? lists[0]!.filter((a) => lists.every((l) => l.includes(a))) : [];

/** The accounts every list names (inEveryList), and those only some of the lists name. */
export function splitLists(lists: readonly (readonly string[])[]): { everywhere: string[]; somewhere: string[] } {
  const everywhere = inEveryList(lists);
  return { everywhere, somewhere: [...new Set(lists.flat())].filter((a) => !everywhere.includes(a)) };
}

/** SQL: an account column is none of the accounts nor a sub-account of one (inAccounts in SQL; starts_with
 * compares bytes, where `like` under the database's collation costs a tenth of a microsecond a row more). */
export const notInAccountsSql = (column: SQL, list: readonly string[]): SQL =>
  list.length ? sql`not (${sql.join(list.map((a) => sql`starts_with(${column}, ${a})`), sql` or `)})` : sql`true`;

/** A village's undecided spending in one account and month (peer-outlier and history-spike compare these). */
export interface MonthlyTotal {
  villageCode: string;
  account: string;
  accountName: string;
  period: string;
  totalFen: number;
}

export const monthlyKey = (t: { villageCode: string; account: string; period: string }) => `${t.villageCode}|${t.account}|${t.period}`;

/**
 * Monthly totals from rows of parallel arrays: `villages` (or one `villageCode`), `periods` (or
 * one `period`) and `totals`, with the row's `account` and `accountName`.
 */
export function monthlyTotalsOf(rows: Record<string, unknown>[]): MonthlyTotal[] {
  return rows.flatMap((r) => {
    const totals = json<unknown[]>(r.totals);
    const villages = r.villages === undefined ? null : json<string[]>(r.villages);
    const periods = r.periods === undefined ? null : json<string[]>(r.periods);
    return totals.map((total, i) => ({
      villageCode: String(villages ? villages[i] : r.villageCode),
      account: String(r.account),
      accountName: String(r.accountName),
      period: String(periods ? periods[i] : r.period),
      totalFen: num(total),
    }));
  });
}

/** The undecided entries behind some monthly totals, by monthlyKey (the evidence of the few that stand out). */
export async function monthlyEntries(
  db: Executor,
  scope: RuleScope,
  totals: { villageCode: string; account: string; period: string }[],
): Promise<Record<string, EntryRow[]>> {
  const entries: Record<string, EntryRow[]> = {};
  if (!totals.length) return entries;
  const cells = [...new Map(totals.map((t) => [monthlyKey(t), { village: t.villageCode, account: t.account, period: t.period }])).values()];
  const rows = await queryJson(
    db,
    sql`with ${spendingOfCells(scope, cells, 'spend')}
      select s.account_code as account, s.period, ${evidenceColumns}
        from ${withDetails}
       where not s.decided`,
  );
  for (const r of rows) {
    const key = monthlyKey({ villageCode: String(r.villageCode), account: String(r.account), period: String(r.period) });
    (entries[key] ??= []).push({
      id: String(r.id),
      villageCode: String(r.villageCode),
      voucherNo: String(r.voucherNo),
      date: String(r.date),
      amountFen: num(r.amountFen),
    });
  }
  for (const list of Object.values(entries)) list.sort(byDate);
  return entries;
}

/** SQL: the first digit of a positive integer (1–9), by comparisons rather than through text. */
export function firstDigitSql(expr: SQL): SQL {
  const powers = Array.from({ length: 18 }, (_, i) => 10n ** BigInt(i + 1));
  return sql`(${expr} / case ${sql.join(
    powers.map((p) => sql`when ${expr} < ${sql.raw(String(p))} then ${sql.raw(String(p / 10n))}`),
    sql` `,
  )} else 1000000000000000000 end)`;
}
