// Alert statistics: per rule (raised, in progress, confirmed, dismissed by reason → measured
// precision) for staff, and per township counts for the public region pages. Counts only: nothing
// here returns an alert's title, summary, village or entries. Set-based: one grouped query each.
import { sql } from 'drizzle-orm';
import { queryRows, type Executor } from './client.ts';
import { codePrefix, regionLevel } from './regions.ts';
import { dismissalReasons } from './schema.ts';

export type DismissalReason = (typeof dismissalReasons)[number];
export type Severity = 'high' | 'medium' | 'low';
export const severities: readonly Severity[] = ['high', 'medium', 'low'];

export interface StatusCounts {
  /** Every alert ever raised (whatever its status, gone or not). */
  raised: number;
  open: number;
  acknowledged: number;
  investigating: number;
  /** Resolved: an inspector confirmed it (the rule was right). */
  resolved: number;
  /** Dismissed, in total and by the reason of its latest dismissal. */
  dismissed: number;
  dismissedBy: Record<DismissalReason, number>;
  /** No longer found by a later run (any status). */
  gone: number;
  /** resolved / (resolved + dismissed); null while nothing has been decided. */
  precision: number | null;
}

export interface RuleStatistics extends StatusCounts {
  rule: string;
  bySeverity: Record<Severity, StatusCounts>;
}

/** Measured precision: confirmed among decided; null when nothing is decided yet. */
export function precisionOf(resolved: number, dismissed: number): number | null {
  return resolved + dismissed === 0 ? null : resolved / (resolved + dismissed);
}

const emptyCounts = (): StatusCounts => ({
  raised: 0,
  open: 0,
  acknowledged: 0,
  investigating: 0,
  resolved: 0,
  dismissed: 0,
  dismissedBy: Object.fromEntries(dismissalReasons.map((r) => [r, 0])) as Record<DismissalReason, number>,
  gone: 0,
  precision: null,
});

const isStatus = (s: string): s is 'open' | 'acknowledged' | 'investigating' | 'resolved' | 'dismissed' =>
  s === 'open' || s === 'acknowledged' || s === 'investigating' || s === 'resolved' || s === 'dismissed';

function add(into: StatusCounts, status: string, reason: string | null, gone: boolean, n: number) {
  into.raised += n;
  if (isStatus(status)) into[status] += n;
  if (status === 'dismissed') {
    const r = (dismissalReasons as readonly string[]).includes(reason ?? '') ? (reason as DismissalReason) : 'other';
    into.dismissedBy[r] += n;
  }
  if (gone) into.gone += n;
}

/**
 * Per rule, the alerts about regions within `scope` (a region code; 000000000000: everything):
 * raised, by status, dismissed by reason (of the alert's latest dismissal), gone, and precision,
 * also per severity. `ruleIds` lists rules to include even without any alert (in that order;
 * rules with alerts not listed follow, by id).
 */
export async function ruleStatistics(db: Executor, scope: string, ruleIds: readonly string[] = []): Promise<RuleStatistics[]> {
  const prefix = `${codePrefix(scope)}%`;
  const grouped = await queryRows<{ rule_id: string; severity: string; status: string; reason: string | null; gone: boolean; n: number }>(
    db,
    sql`
    select a.rule_id, a.severity, a.status, d.reason, (a.gone_at is not null) as gone, count(*)::int as n
      from alerts a
      left join lateral (
        select e.reason from alert_events e
         where e.alert_id = a.id and e.to_status = 'dismissed'
         order by e.at desc, e.id desc limit 1) d on a.status = 'dismissed'
     where a.region_code like ${prefix}
     group by a.rule_id, a.severity, a.status, d.reason, (a.gone_at is not null)`,
  );
  const byRule = new Map<string, RuleStatistics>();
  const entry = (rule: string) => {
    let s = byRule.get(rule);
    if (!s) {
      s = { rule, ...emptyCounts(), bySeverity: { high: emptyCounts(), medium: emptyCounts(), low: emptyCounts() } };
      byRule.set(rule, s);
    }
    return s;
  };
  for (const id of ruleIds) entry(id);
  for (const r of [...grouped].sort((a, b) => a.rule_id.localeCompare(b.rule_id))) {
    const s = entry(r.rule_id);
    const n = Number(r.n);
    add(s, r.status, r.reason, Boolean(r.gone), n);
    const sev = (severities as readonly string[]).includes(r.severity) ? (r.severity as Severity) : 'low';
    add(s.bySeverity[sev], r.status, r.reason, Boolean(r.gone), n);
  }
  const out = [...byRule.values()];
  for (const s of out) {
    s.precision = precisionOf(s.resolved, s.dismissed);
    for (const sev of severities) s.bySeverity[sev].precision = precisionOf(s.bySeverity[sev].resolved, s.bySeverity[sev].dismissed);
  }
  return out;
}

/** Public counts of one region's alerts: how many were raised and how they stand. */
export interface AlertCounts {
  raised: number;
  open: number;
  /** Acknowledged or under investigation. */
  inProgress: number;
  /** Resolved: confirmed by an inspector. */
  confirmed: number;
  dismissed: number;
}

export interface TownshipAlertCounts {
  /** The region the counts are for (a township; for a city or province, its counties). */
  code: string;
  name: string;
  level: string;
  counts: AlertCounts;
}

export interface RegionAlertCounts {
  code: string;
  /** One row per township of a county (each township alone for a township; per county above). */
  rows: TownshipAlertCounts[];
  /** Everything within the region, including alerts about the region itself (e.g. a county). */
  total: AlertCounts;
}

/** The level whose regions a region's public counts are given per. */
function rowLevel(code: string): 'township' | 'county' | null {
  const level = regionLevel(code);
  if (level === 'township' || level === 'county') return 'township';
  if (level === 'city' || level === 'province') return 'county';
  return null;
}

const ROW_PREFIX = { township: 9, county: 6 } as const;

/**
 * Public alert counts for a region page: for a county, per township; for a township, its own
 * (for a city or province, per county). Counts only — never an alert's title, summary, village
 * or entries. Null for a village (the public sees alert figures per township at the finest).
 */
export async function townshipAlertCounts(db: Executor, regionCode: string): Promise<RegionAlertCounts | null> {
  const level = rowLevel(regionCode);
  if (!level) return null;
  const prefix = codePrefix(regionCode);
  const len = ROW_PREFIX[level];
  const counted = await queryRows<{ grp: string; status: string; n: number }>(
    db,
    sql`select left(region_code, ${len}) as grp, status, count(*)::int as n
          from alerts where region_code like ${`${prefix}%`}
         group by 1, 2`,
  );
  const places = await queryRows<{ code: string; name: string; level: string }>(
    db,
    regionLevel(regionCode) === 'township'
      ? sql`select code, name, level from regions where code = ${regionCode}`
      : sql`select code, name, level from regions where level = ${level} and code like ${`${prefix}%`} order by code`,
  );
  const zero = (): AlertCounts => ({ raised: 0, open: 0, inProgress: 0, confirmed: 0, dismissed: 0 });
  const bump = (c: AlertCounts, status: string, n: number) => {
    c.raised += n;
    if (status === 'open') c.open += n;
    else if (status === 'acknowledged' || status === 'investigating') c.inProgress += n;
    else if (status === 'resolved') c.confirmed += n;
    else if (status === 'dismissed') c.dismissed += n;
  };
  const byPrefix = new Map(places.map((p) => [p.code.slice(0, len), { code: p.code, name: p.name, level: p.level, counts: zero() }]));
  const total = zero();
  for (const r of counted) {
    const n = Number(r.n);
    bump(total, r.status, n);
    const row = byPrefix.get(r.grp);
    if (row) bump(row.counts, r.status, n);
  }
  return { code: regionCode, rows: [...byPrefix.values()], total };
}

/** A version of a region's public counts (for HTTP caching): changes exactly when they change. */
export function alertCountsVersion(counts: RegionAlertCounts | null): string {
  if (!counts) return '-';
  const c = (x: AlertCounts) => `${x.raised}.${x.open}.${x.inProgress}.${x.confirmed}.${x.dismissed}`;
  return [c(counts.total), ...counts.rows.map((r) => `${r.code}=${c(r.counts)}`)].join(',');
}
