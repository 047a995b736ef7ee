// Alerts: what the checks found, fingerprinted (same rule + same subject = same alert, updated,
// never duplicated), with their lifecycle open → acknowledged → investigating → resolved |
// dismissed, each step recorded with who, when and why.
import { createHash, randomUUID } from 'node:crypto';
import { and, asc, desc, eq, gt, inArray, isNull, lte, sql, type SQL } from 'drizzle-orm';
import { writeAudit, type Ctx } from './audit.ts';
import { pgTextArray, queryRows, type Executor, type Tx } from './client.ts';
import { DomainError } from './errors.ts';
import { codePrefix, inScope } from './regions.ts';
import { accounts, alertEvents, alerts, alertStatuses, dismissalReasons, entryVouchers, ledgerEntries, regions, users, vouchers } from './schema.ts';

export type AlertStatus = (typeof alertStatuses)[number];
export type DismissalReason = (typeof dismissalReasons)[number];
export type Alert = typeof alerts.$inferSelect;

/** A finding as the alert store receives it (the shape of jobs/rules/rule.ts's Finding). */
export interface FindingInput {
  subject: string;
  villageCode: string | null;
  regionCode: string;
  period: string | null;
  severity: 'high' | 'medium' | 'low';
  title: string;
  summary: string;
  entries: { id: string; voucherNo: string; date: string; amountFen: number }[];
  figures: Record<string, number | string>;
}

export const fingerprintOf = (ruleId: string, subject: string) => createHash('sha256').update(`${ruleId}\n${subject}`).digest('hex');

/** One rule's findings of a run, as recordFindings stores them. */
export interface RuleFindings {
  ruleId: string;
  ruleVersion: number;
  findings: FindingInput[];
  /** The parameter version that applied at a region (the finding's village, or its region). */
  paramsVersion: (regionCode: string) => string;
}

/**
 * Stores the findings of a run's rules over some regions: new ones open, known ones are updated
 * (and come back if they had gone), and alerts of these rules in the covered regions that were
 * not found again are marked gone — their history stays. Returns how many were opened and
 * updated. The alerts it will change are locked first, in fingerprint order, and then written:
 * concurrent runs over overlapping villages take their locks in one order and cannot deadlock.
 */
export async function recordFindings(
  tx: Tx,
  input: {
    runId: string;
    now: Date;
    rules: RuleFindings[];
    /** The villages (and regions) the run covered: alerts there not found again are gone. */
    coveredRegions: string[];
  },
): Promise<{ opened: number; updated: number }> {
  const { now } = input;
  const rows = input.rules.flatMap(({ ruleId, ruleVersion, findings, paramsVersion }) => {
    const list = findings.map((f) => {
      // What the run reports of it: the same content found again is only marked seen.
      const content = {
        rule_version: ruleVersion,
        params_version: paramsVersion(f.villageCode ?? f.regionCode),
        severity: f.severity,
        title: f.title,
        summary: f.summary,
        figures: f.figures,
        entries: f.entries.map(({ id, voucherNo, date, amountFen }) => ({ id, voucherNo, date, amountFen })),
      };
      return {
        id: randomUUID(),
        fingerprint: fingerprintOf(ruleId, f.subject),
        rule_id: ruleId,
        village_code: f.villageCode,
        region_code: f.regionCode,
        period: f.period,
        ...content,
        content_hash: createHash('sha256').update(JSON.stringify(content)).digest('hex'),
      };
    });
    if (new Set(list.map((r) => r.fingerprint)).size !== list.length) throw new Error(`rule ${ruleId} reported the same subject twice in one run`);
    return list;
  });
  if (!input.rules.length) return { opened: 0, updated: 0 };
  rows.sort((a, b) => (a.fingerprint < b.fingerprint ? -1 : a.fingerprint > b.fingerprint ? 1 : 0));
  const seen = new Set(rows.map((r) => r.fingerprint));
  const ruleIds = input.rules.map((r) => r.ruleId);
  // The alerts this will touch: those found again, and those of these rules in the covered
  // regions still standing (the ones not found again go). Locked in fingerprint order. (Each set
  // through its own index: joined by `or`, the rows of both would be filtered again against the
  // array of fingerprints, one comparison per fingerprint per row — measured 78 ms against 38
  // for a county's 2,383 alerts on PGlite, growing with the square of their number.)
  const locked = await queryRows<{ id: string; fingerprint: string; rule_id: string; region_code: string; gone: boolean; content_hash: string | null }>(
    tx,
    sql`select a.id, a.fingerprint, a.rule_id, a.region_code, a.gone_at is not null as gone, a.content_hash
          from ${alerts} a
         where a.id in (select x.id from ${alerts} x where x.fingerprint = any(${pgTextArray([...seen])})
                        union all
                        select x.id from ${alerts} x
                         where x.region_code = any(${pgTextArray(input.coveredRegions)}) and x.rule_id = any(${pgTextArray(ruleIds)}) and x.gone_at is null)
         order by a.fingerprint
           for update of a`,
  );
  // An alert found again just as it stands is only marked seen: rewriting its texts, figures and
  // entries (most alerts of a nightly run) took twice as long, mostly reading them back from JSON.
  const stored = new Map(locked.map((a) => [a.fingerprint, a]));
  const same: string[] = [];
  const written = rows.filter((r) => {
    const known = stored.get(r.fingerprint);
    if (known?.content_hash !== r.content_hash) return true;
    same.push(known.id);
    return false;
  });
  let opened = 0;
  let updated = same.length;
  if (same.length) {
    await tx.execute(
      sql`update ${alerts} set last_seen_at = ${now.toISOString()}::timestamptz, last_run_id = ${input.runId}::uuid, gone_at = null
           where id = any(${pgTextArray(same)}::uuid[])`,
    );
  }
  // A slice of findings is one JSON parameter (bound parameters, one per column and row, took
  // two to three times as long to send and plan).
  for (let i = 0; i < written.length; i += 2000) {
    const result = await queryRows<{ inserted: boolean }>(
      tx,
      sql`insert into ${alerts} (id, fingerprint, rule_id, rule_version, params_version, village_code, region_code, period, severity,
                                status, title, summary, figures, entries, content_hash, first_seen_at, last_seen_at, last_run_id, gone_at)
          select r.id, r.fingerprint, r.rule_id, r.rule_version, r.params_version, r.village_code, r.region_code, r.period, r.severity,
                 'open', r.title, r.summary, r.figures, r.entries, r.content_hash, ${now.toISOString()}::timestamptz, ${now.toISOString()}::timestamptz,
                 ${input.runId}::uuid, null
            from json_to_recordset(${JSON.stringify(written.slice(i, i + 2000))}::json)
                 as r(id uuid, fingerprint text, rule_id text, rule_version int, params_version text, village_code text, region_code text,
                      period text, severity text, title text, summary text, figures jsonb, entries jsonb, content_hash text)
           order by r.fingerprint
          on conflict (fingerprint) do update
             set rule_version = excluded.rule_version, params_version = excluded.params_version, severity = excluded.severity,
                 title = excluded.title, summary = excluded.summary, figures = excluded.figures, entries = excluded.entries,
                 content_hash = excluded.content_hash, last_seen_at = excluded.last_seen_at, last_run_id = excluded.last_run_id, gone_at = null
          -- xmax = 0 only for a freshly inserted row: tells opened from updated in one statement.
          returning (xmax = 0) as inserted`,
    );
    for (const r of result) r.inserted ? opened++ : updated++;
  }
  const covered = new Set(input.coveredRegions);
  const rules = new Set(ruleIds);
  const gone = locked.filter((a) => !a.gone && !seen.has(a.fingerprint) && rules.has(a.rule_id) && covered.has(a.region_code)).map((a) => a.id);
  if (gone.length) {
    await tx.execute(
      sql`update ${alerts} set gone_at = ${now.toISOString()}::timestamptz
           where id = any(${pgTextArray(gone)}::uuid[])`,
    );
  }
  return { opened, updated };
}

/** Which statuses each status may move to. */
export const transitions: Record<AlertStatus, readonly AlertStatus[]> = {
  open: ['acknowledged', 'investigating', 'resolved', 'dismissed'],
  acknowledged: ['investigating', 'resolved', 'dismissed'],
  investigating: ['resolved', 'dismissed'],
  resolved: ['open'],
  dismissed: ['open'],
};

export async function getAlert(db: Executor, id: string): Promise<Alert | null> {
  const [row] = await db.select().from(alerts).where(eq(alerts.id, id));
  return row ?? null;
}

/** POST /alerts/:id/transitions: one lifecycle step, with who, when and why. */
export async function transitionAlert(
  ctx: Ctx & { input: { alertId: string; to: AlertStatus; reason?: DismissalReason | undefined; note?: string | undefined } },
): Promise<Alert> {
  const { alertId, to, reason, note } = ctx.input;
  if (to === 'dismissed' && !reason) {
    throw new DomainError('invalid', 'dismissal_reason_required', `驳回须选择原因：${dismissalReasons.join('、')}`);
  }
  if (to !== 'dismissed' && reason) throw new DomainError('invalid', 'reason_only_for_dismissal', '只有驳回需要选择原因');
  return ctx.db.transaction(async (tx) => {
    const [alert] = await tx.select().from(alerts).where(eq(alerts.id, alertId)).for('update');
    if (!alert || (ctx.actor.kind === 'user' && !inScope(ctx.actor.scope, alert.regionCode))) {
      // Outside the caller's scope an alert does not exist for them.
      throw new DomainError('not_found', 'alert_unknown', '没有这条预警');
    }
    if (!transitions[alert.status].includes(to)) {
      throw new DomainError('conflict', 'transition_invalid', `预警不能从“${alert.status}”转为“${to}”`);
    }
    await tx.update(alerts).set({ status: to }).where(eq(alerts.id, alertId));
    await tx.insert(alertEvents).values({
      alertId,
      at: ctx.now,
      actorId: ctx.actor.kind === 'user' ? ctx.actor.id : null,
      fromStatus: alert.status,
      toStatus: to,
      reason: reason ?? null,
      note: note?.trim() || null,
    });
    await writeAudit(tx, ctx, [
      { action: 'alert.transition', entity: 'alert', entityId: alertId, before: { status: alert.status }, after: { status: to, reason, note } },
    ]);
    return { ...alert, status: to };
  });
}

export const alertSeverities = ['high', 'medium', 'low'] as const;
export type AlertSeverity = (typeof alertSeverities)[number];

/** How long ago an alert was first seen, in buckets people use: up to a week, 8–30 days, over 30 days. */
export const ageBuckets = ['week', 'month', 'older'] as const;
export type AgeBucket = (typeof ageBuckets)[number];

const DAY_MS = 86_400_000;

/** Whole days between first seen and `now` (0 on the day it was first seen). */
export const ageInDays = (firstSeenAt: Date, now: Date): number => Math.max(0, Math.floor((now.getTime() - firstSeenAt.getTime()) / DAY_MS));

/** The age bucket of an alert: ≤ 7 days, 8–30 days, > 30 days. */
export function ageBucketOf(firstSeenAt: Date, now: Date): AgeBucket {
  const days = ageInDays(firstSeenAt, now);
  return days <= 7 ? 'week' : days <= 30 ? 'month' : 'older';
}

/** The township code an alert belongs to (null for an alert about a county or above). */
export function townshipOf(regionCode: string): string | null {
  return /^\d{9}000$/.test(regionCode) && !/^\d{6}000000$/.test(regionCode)
    ? regionCode
    : /^\d{12}$/.test(regionCode) && !regionCode.endsWith('000')
      ? `${regionCode.slice(0, 9)}000`
      : null;
}

export interface AlertFilters {
  /** Any region (prefix): the alert's region lies within it. */
  region?: string | undefined;
  /** A township code (prefix, like `region`): kept apart so the page's township facet can drop it. */
  township?: string | undefined;
  village?: string | undefined;
  rule?: string | undefined;
  status?: AlertStatus | undefined;
  severity?: AlertSeverity | undefined;
  /** First seen ≤ 7 days, 8–30 days or > 30 days before `now` (required with `age`). */
  age?: AgeBucket | undefined;
  now?: Date | undefined;
}

type FacetKey = 'status' | 'severity' | 'rule' | 'township' | 'age';

const townshipSql = sql<string | null>`case when substr(${alerts.regionCode}, 7, 3) <> '000' then substr(${alerts.regionCode}, 1, 9) || '000' end`;

/** The WHERE terms for `scope` and `filters`, leaving out the facet `except` (for facet counts). */
function alertWhere(scope: string, filters: AlertFilters, except?: FacetKey): SQL[] {
  const where: SQL[] = [];
  const prefix = codePrefix(scope);
  if (prefix) where.push(sql`${alerts.regionCode} like ${`${prefix}%`}`);
  if (filters.region) where.push(sql`${alerts.regionCode} like ${`${codePrefix(filters.region)}%`}`);
  if (filters.township && except !== 'township') where.push(sql`${alerts.regionCode} like ${`${codePrefix(filters.township)}%`}`);
  if (filters.village) where.push(eq(alerts.villageCode, filters.village));
  if (filters.rule && except !== 'rule') where.push(eq(alerts.ruleId, filters.rule));
  if (filters.status && except !== 'status') where.push(eq(alerts.status, filters.status));
  if (filters.severity && except !== 'severity') where.push(eq(alerts.severity, filters.severity));
  if (filters.age && except !== 'age') {
    const now = (filters.now ?? new Date()).getTime();
    const before = (days: number) => new Date(now - days * DAY_MS);
    if (filters.age === 'week') where.push(gt(alerts.firstSeenAt, before(8)));
    else if (filters.age === 'month') where.push(and(lte(alerts.firstSeenAt, before(8)), gt(alerts.firstSeenAt, before(31)))!);
    else where.push(lte(alerts.firstSeenAt, before(31)));
  }
  return where;
}

/** Alerts within `scope` (a staff member's), filtered, newest first, keyset-paginated by (first seen, id). */
export async function listAlerts(db: Executor, scope: string, filters: AlertFilters, page: { cursor?: string | undefined; limit: number }) {
  const where = alertWhere(scope, filters);
  if (page.cursor) {
    const [at, id] = Buffer.from(page.cursor, 'base64url').toString().split('|');
    if (!at || !id || Number.isNaN(Date.parse(at)) || !/^[0-9a-f-]{36}$/i.test(id)) {
      throw new DomainError('invalid', 'cursor_invalid', '分页游标无效');
    }
    where.push(sql`(${alerts.firstSeenAt}, ${alerts.id}) < (${at}::timestamptz, ${id}::uuid)`);
  }
  const rows = await db
    .select()
    .from(alerts)
    .where(and(...where))
    .orderBy(desc(alerts.firstSeenAt), desc(alerts.id))
    .limit(page.limit + 1);
  const items = rows.slice(0, page.limit);
  const last = items.at(-1);
  const nextCursor = rows.length > page.limit && last ? Buffer.from(`${last.firstSeenAt.toISOString()}|${last.id}`).toString('base64url') : null;
  return { items, nextCursor };
}

export interface AlertFacets {
  /** Alerts matching every filter. */
  total: number;
  /** Each facet counts the alerts matching every filter but its own, so the other choices show what they would give. */
  status: Record<AlertStatus, number>;
  severity: Record<AlertSeverity, number>;
  rule: Record<string, number>;
  township: { code: string; name: string; count: number }[];
  age: Record<AgeBucket, number>;
}

/** Counts per status, severity, rule, township and age for the current filters within `scope`. */
export async function alertFacets(db: Executor, scope: string, filters: AlertFilters): Promise<AlertFacets> {
  const n = sql<number>`count(*)::int`.mapWith(Number);
  const whereOf = (except?: FacetKey) => and(...alertWhere(scope, filters, except));
  const now = (filters.now ?? new Date()).getTime();
  const [total, status, severity, rule, township, age] = await Promise.all([
    db.select({ n }).from(alerts).where(whereOf()),
    db.select({ key: alerts.status, n }).from(alerts).where(whereOf('status')).groupBy(alerts.status),
    db.select({ key: alerts.severity, n }).from(alerts).where(whereOf('severity')).groupBy(alerts.severity),
    db.select({ key: alerts.ruleId, n }).from(alerts).where(whereOf('rule')).groupBy(alerts.ruleId),
    db
      .select({ key: townshipSql, n })
      .from(alerts)
      .where(whereOf('township'))
      .groupBy(townshipSql),
    db
      .select({
        week: sql<number>`count(*) filter (where ${alerts.firstSeenAt} > ${new Date(now - 8 * DAY_MS).toISOString()}::timestamptz)::int`.mapWith(Number),
        older: sql<number>`count(*) filter (where ${alerts.firstSeenAt} <= ${new Date(now - 31 * DAY_MS).toISOString()}::timestamptz)::int`.mapWith(Number),
        all: n,
      })
      .from(alerts)
      .where(whereOf('age')),
  ]);
  const townshipCodes = township.map((t) => t.key).filter((c): c is string => !!c);
  const names = new Map(
    townshipCodes.length
      ? (await db.select({ code: regions.code, name: regions.name }).from(regions).where(inArray(regions.code, townshipCodes))).map((r) => [r.code, r.name])
      : [],
  );
  const record = <K extends string>(keys: readonly K[], rows: { key: string | null; n: number }[]) =>
    Object.fromEntries(keys.map((k) => [k, rows.find((r) => r.key === k)?.n ?? 0])) as Record<K, number>;
  const a = age[0] ?? { week: 0, older: 0, all: 0 };
  return {
    total: total[0]?.n ?? 0,
    status: record(alertStatuses, status),
    severity: record(alertSeverities, severity),
    rule: Object.fromEntries(rule.map((r) => [r.key, r.n])),
    township: township
      .filter((t): t is { key: string; n: number } => !!t.key)
      .map((t) => ({ code: t.key, name: names.get(t.key) ?? t.key, count: t.n }))
      .sort((x, y) => x.code.localeCompare(y.code)),
    age: { week: a.week, month: a.all - a.week - a.older, older: a.older },
  };
}

/** How many alerts in `scope` still need work (open, acknowledged or investigating). */
export async function countActiveAlerts(db: Executor, scope: string): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int`.mapWith(Number) })
    .from(alerts)
    .where(and(...alertWhere(scope, {}), inArray(alerts.status, ['open', 'acknowledged', 'investigating'])));
  return row?.n ?? 0;
}

export async function alertHistory(db: Executor, alertId: string) {
  return db.select().from(alertEvents).where(eq(alertEvents.alertId, alertId)).orderBy(asc(alertEvents.at), asc(alertEvents.id));
}

/** One step of an alert's history, with the display name of who took it (null: the system). */
export interface AlertStep {
  at: Date;
  actorId: string | null;
  actorName: string | null;
  fromStatus: AlertStatus | null;
  toStatus: AlertStatus;
  reason: DismissalReason | null;
  note: string | null;
}

export interface EvidencePage {
  page: number;
  sha256: string;
  mime: string;
  /** A re-encoded public copy exists (served for published entries at /api/v1/public/vouchers/:sha256). */
  hasPublicCopy: boolean;
  hasThumbnail: boolean;
}

/** An alert's evidence entry as stored with the alert, joined to the ledger (null fields: the entry is gone or out of scope). */
export interface EvidenceEntryDetail {
  id: string;
  voucherNo: string;
  date: string;
  /** The amount the rule counted (net of reversals). */
  amountFen: number;
  ledger: {
    villageCode: string;
    villageName: string;
    summary: string;
    accountCode: string;
    accountName: string;
    counterparty: string | null;
    direction: 'income' | 'expense';
    /** The entry's own amount in the ledger. */
    amountFen: number;
    paymentMethod: string;
    invoiceNo: string | null;
    published: boolean;
    vouchers: EvidencePage[];
  } | null;
}

/** A bar of an alert's chart: the figure that crossed the line, the line itself, or a reference (a median). */
export interface ChartBar {
  key: string;
  value: number;
  role: 'value' | 'limit' | 'reference';
}

/** The figures of an alert a chart can show: money (fen), a share or statistic, or a count. */
export interface ChartFigures {
  unit: 'fen' | 'ratio' | 'count';
  bars: ChartBar[];
}

/** Which figure each rule compares with which line (see jobs/rules/*.ts for the figure keys). */
const chartSpecs: Record<string, { unit: ChartFigures['unit']; bars: [string, ChartBar['role']][] }> = {
  'single-expense-cap': { unit: 'fen', bars: [['amountFen', 'value'], ['capFen', 'limit']] },
  'cash-over-limit': { unit: 'fen', bars: [['amountFen', 'value'], ['limitFen', 'limit']] },
  'large-expense-no-decision': { unit: 'fen', bars: [['amountFen', 'value'], ['majorFen', 'limit']] },
  'period-cap': { unit: 'fen', bars: [['totalFen', 'value'], ['capFen', 'limit']] },
  'split-payment': { unit: 'fen', bars: [['totalFen', 'value'], ['maxWindowFen', 'reference'], ['majorFen', 'limit']] },
  'near-threshold': { unit: 'count', bars: [['count', 'value'], ['minCount', 'limit']] },
  'peer-outlier': { unit: 'fen', bars: [['totalFen', 'value'], ['medianFen', 'reference']] },
  'history-spike': { unit: 'fen', bars: [['totalFen', 'value'], ['fenceFen', 'limit'], ['medianFen', 'reference']] },
  benford: { unit: 'ratio', bars: [['mad', 'value'], ['madThreshold', 'limit'], ['othersMedianMad', 'reference']] },
  'round-amounts': { unit: 'ratio', bars: [['share', 'value'], ['threshold', 'limit']] },
};

/** The figure against its threshold or its peers, for the alert's chart; null when the rule has no such line. */
export function chartFiguresOf(ruleId: string, figures: Record<string, unknown>): ChartFigures | null {
  const spec = chartSpecs[ruleId];
  if (!spec) return null;
  const bars = spec.bars
    .map(([key, role]) => ({ key, role, value: figures[key] }))
    .filter((b): b is ChartBar => typeof b.value === 'number' && Number.isFinite(b.value));
  return bars.some((b) => b.role === 'value') && bars.length >= 2 ? { unit: spec.unit, bars } : null;
}

export interface AlertDetail {
  alert: Alert;
  village: { code: string; name: string } | null;
  township: { code: string; name: string } | null;
  region: { code: string; name: string };
  entries: EvidenceEntryDetail[];
  history: AlertStep[];
  chart: ChartFigures | null;
}

/** An alert with everything an inspector needs to judge it; null when unknown or outside `scope`. */
export async function alertDetail(db: Executor, scope: string, id: string): Promise<AlertDetail | null> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return null;
  const alert = await getAlert(db, id.toLowerCase());
  if (!alert || !inScope(scope, alert.regionCode)) return null;
  const ids = [...new Set(alert.entries.map((e) => e.id))];
  const township = townshipOf(alert.regionCode);
  const [places, ledger, pages, history] = await Promise.all([
    db
      .select({ code: regions.code, name: regions.name })
      .from(regions)
      .where(inArray(regions.code, [alert.regionCode, ...(alert.villageCode ? [alert.villageCode] : []), ...(township ? [township] : [])])),
    ids.length
      ? db
          .select({
            id: ledgerEntries.id,
            villageCode: ledgerEntries.villageCode,
            villageName: regions.name,
            summary: ledgerEntries.summary,
            accountCode: ledgerEntries.accountCode,
            accountName: sql<string>`coalesce(${accounts.name}, ${ledgerEntries.accountCode})`,
            counterparty: ledgerEntries.counterparty,
            direction: ledgerEntries.direction,
            amountFen: ledgerEntries.amountFen,
            paymentMethod: ledgerEntries.paymentMethod,
            invoiceNo: ledgerEntries.invoiceNo,
            status: ledgerEntries.status,
          })
          .from(ledgerEntries)
          .innerJoin(regions, eq(regions.code, ledgerEntries.villageCode))
          .leftJoin(accounts, and(eq(accounts.standard, ledgerEntries.accountStandard), eq(accounts.code, ledgerEntries.accountCode)))
          .where(inArray(ledgerEntries.id, ids))
      : Promise.resolve([]),
    ids.length
      ? db
          .select({
            entryId: entryVouchers.entryId,
            page: entryVouchers.page,
            sha256: vouchers.sha256,
            mime: vouchers.mime,
            publicMime: vouchers.publicMime,
            hasThumbnail: vouchers.hasThumbnail,
          })
          .from(entryVouchers)
          .innerJoin(vouchers, eq(vouchers.sha256, entryVouchers.voucherSha256))
          .where(inArray(entryVouchers.entryId, ids))
          .orderBy(asc(entryVouchers.entryId), asc(entryVouchers.page))
      : Promise.resolve([]),
    db
      .select({
        at: alertEvents.at,
        actorId: alertEvents.actorId,
        actorName: users.displayName,
        fromStatus: alertEvents.fromStatus,
        toStatus: alertEvents.toStatus,
        reason: alertEvents.reason,
        note: alertEvents.note,
      })
      .from(alertEvents)
      .leftJoin(users, eq(users.id, alertEvents.actorId))
      .where(eq(alertEvents.alertId, alert.id))
      .orderBy(asc(alertEvents.at), asc(alertEvents.id)),
  ]);
  const name = new Map(places.map((p) => [p.code, p.name]));
  const byId = new Map(ledger.map((l) => [l.id, l]));
  const entries: EvidenceEntryDetail[] = alert.entries.map((e) => {
    const l = byId.get(e.id);
    // Evidence from a village outside the viewer's scope (a cross-village match) shows only what the alert stored.
    if (!l || !inScope(scope, l.villageCode)) return { ...e, ledger: null };
    const { status, id: _id, ...rest } = l;
    return {
      ...e,
      ledger: {
        ...rest,
        published: status === 'published',
        vouchers: pages
          .filter((p) => p.entryId === e.id)
          .map((p) => ({ page: p.page, sha256: p.sha256, mime: p.mime, hasPublicCopy: p.publicMime !== null, hasThumbnail: p.hasThumbnail })),
      },
    };
  });
  return {
    alert,
    village: alert.villageCode ? { code: alert.villageCode, name: name.get(alert.villageCode) ?? alert.villageCode } : null,
    township: township ? { code: township, name: name.get(township) ?? township } : null,
    region: { code: alert.regionCode, name: name.get(alert.regionCode) ?? alert.regionCode },
    entries,
    history: history.map((h) => ({
      ...h,
      fromStatus: (h.fromStatus as AlertStatus | null) ?? null,
      toStatus: h.toStatus as AlertStatus,
    })),
    chart: chartFiguresOf(alert.ruleId, alert.figures),
  };
}

/** Names of regions by code (for lists of alerts). */
export async function regionNames(db: Executor, codes: string[]): Promise<Map<string, string>> {
  const unique = [...new Set(codes)];
  if (!unique.length) return new Map();
  const rows = await db.select({ code: regions.code, name: regions.name }).from(regions).where(inArray(regions.code, unique));
  return new Map(rows.map((r) => [r.code, r.name]));
}

/**
 * An alert as interchange.md's `Alert` (the API's answers and the webhook's body). `text` is
 * applied to its free text — the webhook passes the public masking.
 */
export function alertJson(a: Alert, text: (s: string) => string = (s) => s) {
  return {
    id: a.id,
    rule: a.ruleId,
    ruleVersion: a.ruleVersion,
    paramsVersion: a.paramsVersion,
    village: a.villageCode,
    region: a.regionCode,
    period: a.period,
    severity: a.severity,
    status: a.status,
    title: text(a.title),
    summary: text(a.summary),
    entries: a.entries.map(({ id, voucherNo, date, amountFen }) => ({ id, voucherNo, date, amountFen })),
    figures: Object.fromEntries(Object.entries(a.figures).map(([k, v]) => [k, typeof v === 'string' ? text(v) : v])),
    firstSeenAt: a.firstSeenAt.toISOString(),
    lastSeenAt: a.lastSeenAt.toISOString(),
    goneAt: a.goneAt?.toISOString() ?? null,
  };
}
