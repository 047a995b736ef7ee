// Helpers shared by the check rules: running raw SQL on either driver, the set of spending
// entries a rule looks at (published, dated on or before asOf, reversals netted out), money in
// yuan for people (integer arithmetic only), and small pure helpers for evaluate.
import { sql, type SQL } from 'drizzle-orm';
import { queryRows, type Executor } from '../../db/client.ts';
import { maskText } from '../../db/privacy.ts';
import type { EvidenceEntry, ParamsByRegion, RuleScope } from './rule.ts';

/** Rows of a raw query on either driver (db/client.ts; the rules import it from here). */
export { queryRows };

/** A JSON array parameter usable on both drivers. */
export const jsonParam = (value: unknown): SQL => sql`${JSON.stringify(value)}::json`;

/** `select … from` the villages of the scope, as a set (for `in (…)`). */
export const scopeVillages = (scope: RuleScope): SQL => sql`(select json_array_elements_text(${jsonParam(scope.villages)}))`;

/**
 * CTE bodies `rev` and `spend`: the published expenses dated on or before asOf of the given
 * villages (the scope's by default; null for every village), each with its amount net of any
 * published reversal dated on or before asOf. Reversal entries themselves are left out, and so is
 * an entry that a reversal cancels entirely: a reversed entry and its reversal are not spending.
 * `decision_known` says whether the village has a decision with the entry's (normalised) ref,
 * `decided_on` is its date and `decided` whether it came on or before the payment; `party_key`
 * is the counterparty as partyKey makes it and `invoice_key` the invoice number as normalizeRef
 * makes it (both stored on the entry when it is written: migration 0008); `voucher_pages` the
 * entry's voucher pages (kept by migration 0009's triggers).
 * Use as `with ${spendingCtes(scope)} select … from spend`.
 */
export function spendingCtes(scope: RuleScope, villages?: SQL | null): SQL {
  const prepared = scope.prepared;
  if (prepared && (villages !== null || prepared.all)) {
    // The run's spending is in a temporary table already: filter it (no filter when the table
    // holds exactly the villages asked for: the scope's or their counties').
    const filter =
      villages === undefined
        ? prepared.scopeIsAll
          ? sql``
          : sql`where village_code in ${scopeVillages(scope)}`
        : villages === null || villages === COUNTY_VILLAGES.get(scope)
          ? sql``
          : sql`where village_code in ${villages}`;
    return sql`spend as (select * from ${sql.identifier(prepared.table)} ${filter})`;
  }
  return spendingCtesOf(scope, { villages: villages === undefined ? scopeVillages(scope) : villages });
}

/**
 * CTE `spend` (after `rev`, `dec`, `base`) of the published entries `ids` (a set of entry ids),
 * computed from the ledger whatever the scope: for rules that follow a few entries across
 * villages and counties (duplicate-invoice).
 */
export const spendingCtesOfEntries = (scope: RuleScope, ids: SQL): SQL => spendingCtesOf(scope, { ids });

/** The CTEs of spendingCtes computed from the ledger (no prepared table): the spending of the
 * `villages` (a set; null for all) or of the entries `ids` (a set). */
function spendingCtesOf(scope: RuleScope, filter: { villages: SQL | null } | { ids: SQL } | { counties: string[] }): SQL {
  // Whole counties are ranges of village codes (an index range scan, not a set to probe).
  const inCounties = (column: SQL, counties: string[]) =>
    sql`(${sql.join(
      counties.map((c) => sql`(${column} >= ${c} and ${column} < ${String(Number(c) + 1).padStart(c.length, '0')})`),
      sql` or `,
    )})`;
  const decisions =
    'counties' in filter
      ? sql`where ${inCounties(sql`d.village_code`, filter.counties)}`
      : 'ids' in filter
        ? sql`where d.village_code in (select x.village_code from ledger_entries x where x.id in ${filter.ids})`
        : filter.villages
          ? sql`where d.village_code in ${filter.villages}`
          : sql``;
  const rows =
    'counties' in filter
      ? sql`and ${inCounties(sql`e.village_code`, filter.counties)}`
      : 'ids' in filter
        ? sql`and e.id in ${filter.ids}`
        : filter.villages
          ? sql`and e.village_code in ${filter.villages}`
          : sql``;
  return sql`rev as (
      select r.reverses_id, sum(r.amount_fen)::bigint as amount_fen
        from ledger_entries r
       where r.reverses_id is not null and r.status = 'published' and r.date <= ${scope.asOf}::date
       group by r.reverses_id),
    dec as materialized (
      select x.village_code, x.k, min(x.decided_on) as decided_on
        from (select d.village_code, d.ref_key as k, d.decided_on from decisions d ${decisions}) x
       group by x.village_code, x.k),
    base as (
      select e.id, e.village_code, e.date, e.period, e.year, e.voucher_no, e.summary, e.account_standard, e.account_code,
             e.amount_fen, e.counterparty, e.payment_method, e.invoice_no, e.handler, e.decision_ref,
             e.decision_key, e.party_key, e.invoice_key, e.voucher_pages
        from ledger_entries e
       where e.status = 'published' and e.direction = 'expense' and e.reverses_id is null
         and e.date <= ${scope.asOf}::date
         ${rows}),
    spend as (
      select e.id, e.village_code, to_char(e.date, 'YYYY-MM-DD') as date, e.period, e.year, e.voucher_no, e.summary,
             e.account_code, coalesce(a.name, e.account_code) as account_name,
             (e.amount_fen + coalesce(rev.amount_fen, 0))::bigint as amount_fen, e.counterparty,
             e.payment_method, e.invoice_no, e.handler, e.decision_ref,
             e.party_key, e.invoice_key, e.voucher_pages,
             dec.k is not null as decision_known, to_char(dec.decided_on, 'YYYY-MM-DD') as decided_on,
             coalesce(dec.decided_on <= e.date, false) as decided
        from base e
        left join rev on rev.reverses_id = e.id
        left join accounts a on a.standard = e.account_standard and a.code = e.account_code
        left join dec on dec.village_code = e.village_code and dec.k = e.decision_key and e.decision_key <> ''
       where e.amount_fen + coalesce(rev.amount_fen, 0) > 0)`;
}

/** The county-villages SQL made for each scope (so spendingCtes recognises it). */
const COUNTY_VILLAGES = new WeakMap<RuleScope, SQL>();

/** The villages of the counties of the scope's villages (peers for county-wide comparisons). */
export const countyVillages = (scope: RuleScope): SQL => {
  const made = sql`(select r.code from regions r where r.level = 'village'
          and left(r.code, 6) in (select left(v, 6) from json_array_elements_text(${jsonParam(scope.villages)}) as v))`;
  COUNTY_VILLAGES.set(scope, made);
  return made;
};

/**
 * Computes the spending of every village of the counties of the scope's villages once into a
 * table the rules of a run then read instead of each recomputing it from the ledger. By default a
 * temporary table dropped at the end of the transaction `tx`; `persistent`: an unlogged table
 * that outlives it, so that several workers' transactions can read it (a check run drops it when
 * the county is done: dropPreparedSpending). Returns the scope with the table set.
 */
export async function prepareSpending(tx: Executor, scope: RuleScope, table = 'check_run_spend', persistent = false): Promise<RuleScope> {
  const plain: RuleScope = { region: scope.region, villages: scope.villages, asOf: scope.asOf };
  await tx.execute(sql`drop table if exists ${sql.identifier(table)}`);
  const counties = [...new Set(scope.villages.map((v) => v.slice(0, 6)))].sort();
  await tx.execute(
    sql`create ${persistent ? sql`unlogged` : sql`temporary`} table ${sql.identifier(table)} ${persistent ? sql`` : sql`on commit drop`} as
          with ${spendingCtesOf(plain, { counties })} select * from spend`,
  );
  // Statistics for the planner from a small sample: the default (30,000 rows, every column with
  // its text) took longer than filling the table.
  await tx.execute(sql`set local default_statistics_target = 10`);
  await tx.execute(sql`analyze ${sql.identifier(table)}`);
  await tx.execute(sql`reset default_statistics_target`);
  const [counts] = await queryRows<{ covered: unknown; total: unknown }>(
    tx,
    sql`select (select count(*) from ${countyVillages(plain)} c) as covered,
               (select count(*) from regions r where r.level = 'village') as total`,
  );
  const covered = num(counts?.covered);
  return {
    ...scope,
    prepared: { table, all: covered === num(counts?.total), scopeIsAll: covered === new Set(scope.villages).size, shared: new Map() },
  };
}

/** Drops a table prepareSpending made `persistent`. */
export async function dropPreparedSpending(db: Executor, table: string): Promise<void> {
  await db.execute(sql`drop table if exists ${sql.identifier(table)}`);
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

/** Marks gatherMonthlyTotals' default: the scope's villages. */
const SCOPE_DEFAULT = sql``;

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
 * The monthly totals per village and account of the scope's spending not covered by a decision,
 * and the entries behind the totals that `pick` singles out (so evidence is fetched only for
 * those). Shared by the rules that compare monthly totals.
 */
export async function gatherMonthlyTotals(
  db: Executor,
  scope: RuleScope,
  pick: (totals: MonthlyTotal[]) => { villageCode: string; account: string; period: string }[],
  /** The villages whose totals are gathered (default: the scope's; peer comparisons pass the whole county). */
  totalsOver: SQL = SCOPE_DEFAULT,
): Promise<{ totals: MonthlyTotal[]; entries: Record<string, EntryRow[]> }> {
  const read = async (villages: SQL) =>
    (
      await queryRows<Record<string, unknown>>(
        db,
        // No order: the rules group the totals themselves (sorting 150,000 groups of a county
        // took as long as summing them).
        sql`with ${spendingCtes(scope, villages)}
          select s.village_code, s.account_code as account, max(s.account_name) as account_name, s.period, sum(s.amount_fen) as total_fen
            from spend s
           where not s.decided
           group by s.village_code, s.account_code, s.period`,
      )
    ).map(
      (r): MonthlyTotal => ({
        villageCode: String(r.village_code),
        account: String(r.account),
        accountName: String(r.account_name),
        period: String(r.period),
        totalFen: num(r.total_fen),
      }),
    );
  // In a run the prepared table holds the scope's whole counties: their totals are read once per
  // transaction for every rule that asks (a rule keeps the villages it compares; an incremental
  // run's villages are a part of their counties).
  const prepared = scope.prepared;
  let totals: MonthlyTotal[];
  if (prepared) {
    let once = prepared.shared.get('monthly-totals') as Promise<MonthlyTotal[]> | undefined;
    if (!once) prepared.shared.set('monthly-totals', (once = read(countyVillages(scope))));
    totals = await once;
  } else totals = await read(totalsOver === SCOPE_DEFAULT ? scopeVillages(scope) : totalsOver);
  const candidates = pick(totals).map((t) => ({ village: t.villageCode, account: t.account, period: t.period }));
  const entries: Record<string, EntryRow[]> = {};
  if (candidates.length) {
    const found = await queryRows<Record<string, unknown>>(
      db,
      sql`with ${spendingCtes(scope)}
        select c.village, c.account, c.period,
               json_agg(json_build_object('id', s.id, 'villageCode', s.village_code, 'voucherNo', s.voucher_no,
                                          'date', s.date, 'amountFen', s.amount_fen) order by s.date, s.voucher_no) as entries
          from json_to_recordset(${jsonParam(candidates)}) as c(village text, account text, period text)
          join spend s on s.village_code = c.village and s.account_code = c.account and s.period = c.period
         where not s.decided
         group by c.village, c.account, c.period`,
    );
    for (const f of found) {
      entries[monthlyKey({ villageCode: String(f.village), account: String(f.account), period: String(f.period) })] = json<Record<string, unknown>[]>(
        f.entries,
      ).map((e) => ({
        id: String(e.id),
        villageCode: String(e.villageCode),
        voucherNo: String(e.voucherNo),
        date: String(e.date),
        amountFen: num(e.amountFen),
      }));
    }
  }
  return { totals, entries };
}
