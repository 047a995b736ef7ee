// Alerts: what the checks found, fingerprinted (same rule + same subject = same alert, updated,
// never duplicated), with their lifecycle open → acknowledged → investigating → resolved |
// dismissed, each step recorded with who, when and why.
import { createHash, randomUUID } from 'node:crypto';
import { and, asc, desc, eq, inArray, isNull, sql, type SQL } from 'drizzle-orm';
import { writeAudit, type Ctx } from './audit.ts';
import type { Executor, Tx } from './client.ts';
import { DomainError } from './errors.ts';
import { codePrefix, inScope } from './regions.ts';
import { alertEvents, alerts, alertStatuses, dismissalReasons } from './schema.ts';

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

/**
 * Stores one rule's findings of a run: new ones open, known ones are updated (and come back if
 * they had gone), and alerts of this rule in the run's villages that were not found again are
 * marked gone — their history stays. Returns how many were opened and updated.
 */
export async function recordFindings(
  tx: Tx,
  input: {
    runId: string;
    now: Date;
    ruleId: string;
    ruleVersion: number;
    findings: FindingInput[];
    paramsVersion: (regionCode: string) => string;
    /** The villages (and regions) the run covered: alerts there not found again are gone. */
    coveredRegions: string[];
  },
): Promise<{ opened: number; updated: number }> {
  const { now, ruleId } = input;
  const rows = input.findings.map((f) => ({
    id: randomUUID(),
    fingerprint: fingerprintOf(ruleId, f.subject),
    ruleId,
    ruleVersion: input.ruleVersion,
    paramsVersion: input.paramsVersion(f.villageCode ?? f.regionCode),
    villageCode: f.villageCode,
    regionCode: f.regionCode,
    period: f.period,
    severity: f.severity,
    status: 'open' as const,
    title: f.title,
    summary: f.summary,
    figures: f.figures,
    entries: f.entries.map(({ id, voucherNo, date, amountFen }) => ({ id, voucherNo, date, amountFen })),
    firstSeenAt: now,
    lastSeenAt: now,
    lastRunId: input.runId,
    goneAt: null,
  }));
  const seen = new Set(rows.map((r) => r.fingerprint));
  if (seen.size !== rows.length) throw new Error(`rule ${ruleId} reported the same subject twice in one run`);
  let opened = 0;
  let updated = 0;
  for (let i = 0; i < rows.length; i += 500) {
    const slice = rows.slice(i, i + 500);
    const result = await tx
      .insert(alerts)
      .values(slice)
      .onConflictDoUpdate({
        target: alerts.fingerprint,
        set: {
          ruleVersion: sql`excluded.rule_version`,
          paramsVersion: sql`excluded.params_version`,
          severity: sql`excluded.severity`,
          title: sql`excluded.title`,
          summary: sql`excluded.summary`,
          figures: sql`excluded.figures`,
          entries: sql`excluded.entries`,
          lastSeenAt: sql`excluded.last_seen_at`,
          lastRunId: sql`excluded.last_run_id`,
          goneAt: sql`null`,
        },
      })
      // xmax = 0 only for a freshly inserted row: tells opened from updated in one statement.
      .returning({ inserted: sql<boolean>`(xmax = 0)` });
    for (const r of result) r.inserted ? opened++ : updated++;
  }
  const covered = input.coveredRegions;
  if (covered.length) {
    const notSeen = await tx
      .select({ id: alerts.id, fingerprint: alerts.fingerprint })
      .from(alerts)
      .where(and(eq(alerts.ruleId, ruleId), isNull(alerts.goneAt), inArray(alerts.regionCode, covered)));
    const gone = notSeen.filter((a) => !seen.has(a.fingerprint)).map((a) => a.id);
    for (let i = 0; i < gone.length; i += 1000) {
      await tx.update(alerts).set({ goneAt: now }).where(inArray(alerts.id, gone.slice(i, i + 1000)));
    }
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

export interface AlertFilters {
  region?: string | undefined;
  village?: string | undefined;
  rule?: string | undefined;
  status?: AlertStatus | undefined;
  severity?: 'high' | 'medium' | 'low' | undefined;
}

/** Alerts within `scope` (a staff member's), filtered, newest first, keyset-paginated by (first seen, id). */
export async function listAlerts(db: Executor, scope: string, filters: AlertFilters, page: { cursor?: string | undefined; limit: number }) {
  const where: SQL[] = [sql`${alerts.regionCode} like ${`${codePrefix(scope)}%`}`];
  if (filters.region) where.push(sql`${alerts.regionCode} like ${`${codePrefix(filters.region)}%`}`);
  if (filters.village) where.push(eq(alerts.villageCode, filters.village));
  if (filters.rule) where.push(eq(alerts.ruleId, filters.rule));
  if (filters.status) where.push(eq(alerts.status, filters.status));
  if (filters.severity) where.push(eq(alerts.severity, filters.severity));
  if (page.cursor) {
    const [at, id] = Buffer.from(page.cursor, 'base64url').toString().split('|');
    if (!at || !id) throw new DomainError('invalid', 'cursor_invalid', '分页游标无效');
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

export async function alertHistory(db: Executor, alertId: string) {
  return db.select().from(alertEvents).where(eq(alertEvents.alertId, alertId)).orderBy(asc(alertEvents.at), asc(alertEvents.id));
}

