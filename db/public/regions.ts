// What the public region pages show: each village's money and whether it publishes on time
// (the deadline of a period is the 15th of the next month, China time), and search.
import { sql } from 'drizzle-orm';
import { queryRows, type Executor } from '../client.ts';
import { nextPeriod, periodOf } from '../ledger/periods.ts';
import { maskText } from '../privacy.ts';
import { codePrefix } from '../regions.ts';

export type PublicationStatus = 'on_time' | 'late' | 'missing' | 'none';

export interface VillageOverview {
  code: string;
  name: string;
  townshipCode: string;
  /** Latest published period, its closing balance and when it was published. */
  latestPeriod: string | null;
  balanceFen: number | null;
  /** Income and spending of the latest published period's year. */
  year: number | null;
  incomeFen: number;
  expenseFen: number;
  /** The latest period whose deadline has passed, and how the village stands on it. */
  duePeriod: string;
  status: PublicationStatus;
  /** Periods past their deadline and not published. */
  overdue: number;
}

/** The deadline of a period: the end of the 15th of the next month, China Standard Time. */
export function deadlineOf(period: string): Date {
  const next = nextPeriod(period);
  return new Date(`${next}-15T23:59:59.999+08:00`);
}

/** The latest period whose deadline has passed at `now`. */
export function duePeriodAt(now: Date): string {
  let period = periodOf(now);
  // Walk back from the current period until the deadline is behind us (at most two steps).
  while (deadlineOf(period) > now) {
    const [y, m] = period.split('-').map(Number) as [number, number];
    period = m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
  }
  return period;
}

function monthsBetween(from: string, to: string): number {
  const [fy, fm] = from.split('-').map(Number) as [number, number];
  const [ty, tm] = to.split('-').map(Number) as [number, number];
  return (ty - fy) * 12 + (tm - fm);
}

type Row = {
  code: string;
  name: string;
  latest_period: string | null;
  closing_fen: string | number | null;
  year_income: string | number | null;
  year_expense: string | number | null;
  due_published_at: string | Date | null;
};

/** Every village below `code`, with its money and publication status at `now`, in one query. */
export async function villageOverviews(db: Executor, code: string, now: Date): Promise<VillageOverview[]> {
  const due = duePeriodAt(now);
  const prefix = `${codePrefix(code)}%`;
  const result = await queryRows<Row>(
    db,
    sql`
    with latest as (
      select distinct on (village_code) village_code, period, closing_fen
        from publications order by village_code, period desc)
    select r.code, r.name, l.period as latest_period, l.closing_fen,
           (select sum(p.income_fen) from publications p
             where p.village_code = r.code and left(p.period, 4) = left(l.period, 4)) as year_income,
           (select sum(p.expense_fen) from publications p
             where p.village_code = r.code and left(p.period, 4) = left(l.period, 4)) as year_expense,
           (select p.published_at from publications p where p.village_code = r.code and p.period = ${due}) as due_published_at
      from regions r left join latest l on l.village_code = r.code
     where r.level = 'village' and r.code like ${prefix}
     order by r.code`,
  );
  return result.map((r) => {
    const latestPeriod = r.latest_period;
    const publishedDue = r.due_published_at ? new Date(r.due_published_at) : null;
    const status: PublicationStatus = !latestPeriod
      ? 'none'
      : publishedDue
        ? publishedDue <= deadlineOf(due)
          ? 'on_time'
          : 'late'
        : latestPeriod >= due
          ? 'on_time'
          : 'missing';
    return {
      code: r.code,
      name: r.name,
      townshipCode: `${r.code.slice(0, 9)}000`,
      latestPeriod,
      balanceFen: r.closing_fen === null ? null : Number(r.closing_fen),
      year: latestPeriod ? Number(latestPeriod.slice(0, 4)) : null,
      incomeFen: Number(r.year_income ?? 0),
      expenseFen: Number(r.year_expense ?? 0),
      duePeriod: due,
      status,
      overdue: latestPeriod ? Math.max(0, monthsBetween(latestPeriod, due)) : 0,
    };
  });
}

/**
 * Long digit runs could probe for an ID, card or phone number hidden by masking (a match would
 * confirm it), so such queries search village names only (the search page and the public API alike).
 */
export function isDigitProbe(query: string): boolean {
  return /[0-9０-９][0-9０-９\s-]{4,}[0-9０-９Xx]/.test(query.trim().slice(0, 50));
}

export interface SearchResults {
  villages: { code: string; name: string; level: string }[];
  entries: { villageCode: string; villageName: string; id: string; date: string; voucherNo: string; summary: string; counterparty: string | null; amountFen: number; direction: string }[];
}

/** Villages by name, and published entries by summary or counterparty (trigram-indexed substring match). */
export async function searchPublic(db: Executor, query: string, limit = 50): Promise<SearchResults> {
  const q = query.trim().slice(0, 50);
  if (!q) return { villages: [], entries: [] };
  const pattern = `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const villages = await queryRows<{ code: string; name: string; level: string }>(
    db,
    sql`select code, name, level from regions where name ilike ${pattern} order by level, code limit ${limit}`,
  );
  const probing = isDigitProbe(q);
  const entries = probing ? [] : await queryRows<{
    village_code: string; village_name: string; id: string; date: string; voucher_no: string; summary: string;
    counterparty: string | null; amount_fen: string | number; direction: string;
  }>(
    db,
    sql`select e.village_code, r.name as village_name, e.id, to_char(e.date, 'YYYY-MM-DD') as date, e.voucher_no, e.summary,
               e.counterparty, e.amount_fen, e.direction
          from ledger_entries e join regions r on r.code = e.village_code
         where e.status = 'published' and (e.summary ilike ${pattern} or e.counterparty ilike ${pattern})
         order by e.date desc, e.voucher_no limit ${limit}`,
  );
  return {
    villages,
    // Masked after matching: a search for someone's ID number finds nothing in clear.
    entries: entries.map((e) => ({
      villageCode: e.village_code,
      villageName: e.village_name,
      id: e.id,
      date: e.date,
      voucherNo: e.voucher_no,
      summary: maskText(e.summary),
      counterparty: maskText(e.counterparty),
      amountFen: Number(e.amount_fen),
      direction: e.direction,
    })),
  };
}

/** A token that changes whenever anything is published below `code` (for HTTP caching). */
export async function publicationVersion(db: Executor, code: string): Promise<string> {
  const [row] = await queryRows<{ n: number; last: string | Date | null }>(
    db,
    sql`select count(*)::int as n, max(published_at) as last from publications where village_code like ${`${codePrefix(code)}%`}`,
  );
  const last = row?.last ? new Date(row.last).toISOString() : '';
  return `${row?.n ?? 0}:${last}`;
}

export interface ChildOverview {
  code: string;
  name: string;
  level: string;
  /** Villages within the child (1 for a village). */
  villages: number;
  /** Sums over those villages of their latest published year's income and spending, and their balances. */
  incomeFen: number;
  expenseFen: number;
  /** Sum of the villages' latest balances; null when none has published. */
  balanceFen: number | null;
  /** How many of those villages stand on_time / late / missing / none. */
  publication: Record<PublicationStatus, number>;
}

/** A child region's figures from the overviews of the villages within it. */
export function childOverview(child: { code: string; name: string; level: string }, villages: VillageOverview[]): ChildOverview {
  const prefix = codePrefix(child.code);
  const within = villages.filter((v) => v.code.startsWith(prefix));
  const balances = within.filter((v) => v.balanceFen !== null);
  const publication: Record<PublicationStatus, number> = { on_time: 0, late: 0, missing: 0, none: 0 };
  for (const v of within) publication[v.status]++;
  return {
    code: child.code,
    name: child.name,
    level: child.level,
    villages: within.length,
    incomeFen: within.reduce((s, v) => s + v.incomeFen, 0),
    expenseFen: within.reduce((s, v) => s + v.expenseFen, 0),
    balanceFen: balances.length ? balances.reduce((s, v) => s + (v.balanceFen ?? 0), 0) : null,
    publication,
  };
}
