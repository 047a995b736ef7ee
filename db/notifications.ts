// Notifications of alerts to inspectors: who is told of what, claimed exactly once.
//
// A new high-severity alert is news at once: one row per recipient (each enabled inspector with
// an e-mail address whose scope contains the alert's village or region, and the webhook if one is
// configured). Medium and low alerts wait for the daily digest: one row per inspector and day.
// Inserting the row is the claim — the unique keys (channel, recipient, alert) and (channel,
// recipient, day) make a second insert a no-op, so two server processes never queue one
// notification twice. Sending is claimed per row too (startAttempt: a compare-and-set on
// `attempts`), so a row is sent by one process at a time; a failure is recorded and retried by a
// later call, at most MAX_ATTEMPTS times, and so is an attempt whose process died before it
// recorded the outcome (after ATTEMPT_LEASE). The transport (SMTP, HTTP) lives in jobs/notify.ts.
import { randomUUID } from 'node:crypto';
import { and, asc, eq, inArray, isNotNull, isNull, lt, ne, or, sql } from 'drizzle-orm';
import { alertJson } from './alerts.ts';
import { systemActor, writeAudit, type Actor } from './audit.ts';
import type { Db, Executor } from './client.ts';
import { todayOf } from './ledger/periods.ts';
import { maskText } from './privacy.ts';
import { codePrefix, inScope } from './regions.ts';
import { alerts, notifications, regions, users } from './schema.ts';

export type Alert = typeof alerts.$inferSelect;
export type Notification = typeof notifications.$inferSelect;

/** A notification is tried at most this many times. */
export const MAX_ATTEMPTS = 5;

/**
 * How long a claimed attempt may go without being marked sent or failed before another call may
 * claim the row again: its process died between the claim and the outcome (a send gives up
 * within a minute: SMTP and webhook timeouts, jobs/notify.ts). The lost attempt counts as one of
 * MAX_ATTEMPTS; a receiver that got it after all sees the same delivery id twice.
 */
export const ATTEMPT_LEASE = '15 minutes';

/** A row whose next attempt may be claimed: never tried, failed, or claimed and abandoned (rows
 * claimed before migration 0011 have no claim time: abandoned too). */
const due = or(
  eq(notifications.attempts, 0),
  isNotNull(notifications.lastError),
  sql`coalesce(${notifications.attemptStartedAt}, '-infinity') < now() - ${ATTEMPT_LEASE}::interval`,
);

/** The actor notification rows are written by (the audit log's `actor_name`). */
export const notifierActor: Actor = systemActor('notifier');

/** An alert with the names a person reads it by. */
export interface AlertNotice {
  alert: Alert;
  /** The village's name (null for an alert about a township or county). */
  villageName: string | null;
  /** The township's name (the village's township, or the alert's region when it is a township). */
  townshipName: string | null;
  /** The name of the alert's region code. */
  regionName: string | null;
}

interface Base {
  id: string;
  recipient: string;
  attempts: number;
  userId: string | null;
  /** The inspector's display name (null for the webhook). */
  displayName: string | null;
}

/** A notification ready to send, with what its message needs. */
export type PendingNotification =
  | (Base & { kind: 'alert'; channel: 'email' | 'webhook'; notice: AlertNotice })
  | (Base & { kind: 'digest'; channel: 'email'; day: string; notices: AlertNotice[] });

const townshipOf = (code: string) => `${code.slice(0, 9)}000`;

/** Names of the regions an alert is about, for every alert given. */
async function noticesOf(db: Executor, list: Alert[]): Promise<AlertNotice[]> {
  const codes = new Set<string>();
  for (const a of list) {
    codes.add(a.regionCode);
    if (a.villageCode) codes.add(a.villageCode);
    codes.add(townshipOf(a.villageCode ?? a.regionCode));
  }
  const names = new Map<string, { name: string; level: string }>();
  const found = codes.size ? await db.select({ code: regions.code, name: regions.name, level: regions.level }).from(regions).where(inArray(regions.code, [...codes])) : [];
  for (const r of found) names.set(r.code, r);
  return list.map((alert) => {
    const township = names.get(townshipOf(alert.villageCode ?? alert.regionCode));
    return {
      alert,
      villageName: alert.villageCode ? (names.get(alert.villageCode)?.name ?? null) : null,
      townshipName: township?.level === 'township' ? township.name : null,
      regionName: names.get(alert.regionCode)?.name ?? null,
    };
  });
}

/** The code an alert is "about" for scope: its village, else its region. */
const subjectCode = (a: Pick<Alert, 'villageCode' | 'regionCode'>) => a.villageCode ?? a.regionCode;

/** Inspectors who can be told: enabled, with an e-mail address. */
async function reachableInspectors(db: Executor) {
  return db
    .select({ id: users.id, email: users.email, scope: users.scope, displayName: users.displayName })
    .from(users)
    .where(and(eq(users.role, 'inspector'), eq(users.disabled, false), isNotNull(users.email)))
    .orderBy(asc(users.username));
}

/**
 * The alerts an outside system may see, as interchange.md's `Alert` (the same shape as
 * `GET /api/v1/alerts`), with personal numbers masked in the free text.
 */
export function alertPayload(a: Alert) {
  return alertJson(a, maskText);
}

/**
 * Takes the alerts not yet handled (row-locked, SKIP LOCKED: concurrent callers take disjoint
 * sets), queues one notification per recipient of each high-severity one, and marks them all
 * handled (medium and low ones go to the daily digest). One transaction; returns the rows this
 * call queued, ready to send.
 */
export async function claimAlertNotifications(input: {
  db: Db;
  now: Date;
  /** Queue e-mails (default true; false when no SMTP server is configured). */
  email?: boolean;
  webhookUrl?: string | undefined;
}): Promise<PendingNotification[]> {
  const { db, now } = input;
  const sendEmail = input.email ?? true;
  const ctx = { now, actor: notifierActor };
  const claimed = await db.transaction(async (tx) => {
    const fresh = await tx.select().from(alerts).where(isNull(alerts.notifiedAt)).orderBy(asc(alerts.firstSeenAt), asc(alerts.id)).for('update', { skipLocked: true });
    if (!fresh.length) return { queued: [] as Notification[], high: [] as Alert[] };
    const high = fresh.filter((a) => a.severity === 'high');
    const inspectors = sendEmail && high.length ? await reachableInspectors(tx) : [];
    const values: (typeof notifications.$inferInsert)[] = [];
    for (const a of high) {
      for (const u of inspectors) {
        if (!inScope(u.scope, subjectCode(a))) continue;
        values.push({ id: randomUUID(), kind: 'alert', channel: 'email', recipient: u.email!, userId: u.id, alertId: a.id, createdAt: now });
      }
      if (input.webhookUrl) values.push({ id: randomUUID(), kind: 'alert', channel: 'webhook', recipient: input.webhookUrl, alertId: a.id, createdAt: now });
    }
    const queued: Notification[] = [];
    for (let i = 0; i < values.length; i += 500) {
      queued.push(...(await tx.insert(notifications).values(values.slice(i, i + 500)).onConflictDoNothing().returning()));
    }
    const ids = fresh.map((a) => a.id);
    for (let i = 0; i < ids.length; i += 1000) {
      await tx.update(alerts).set({ notifiedAt: now }).where(inArray(alerts.id, ids.slice(i, i + 1000)));
    }
    await writeAudit(tx, ctx, [
      ...queued.map((n) => ({ action: 'notification.queue', entity: 'notification', entityId: n.id, before: null, after: n })),
      { action: 'alert.notified', entity: 'alert', entityId: null, before: null, after: { alerts: ids, high: high.map((a) => a.id) } },
    ]);
    return { queued, high };
  });
  return pendingOf(db, claimed.queued);
}

/** The start and end (exclusive) of a calendar day in Asia/Shanghai (UTC+8, no daylight saving). */
export function shanghaiDay(day: string): { from: Date; to: Date } {
  const from = new Date(`${day}T00:00:00+08:00`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || Number.isNaN(from.getTime())) throw new Error(`not a day: ${day}`);
  return { from, to: new Date(from.getTime() + 86_400_000) };
}

/** The day before `now`'s day in Asia/Shanghai: the day a digest sent at `now` covers by default. */
export function previousDay(now: Date): string {
  return todayOf(new Date(shanghaiDay(todayOf(now)).from.getTime() - 1));
}

/** The medium and low alerts first seen on `day` (Asia/Shanghai) within `scope`. */
async function digestAlerts(db: Executor, scope: string, day: string): Promise<Alert[]> {
  const { from, to } = shanghaiDay(day);
  return db
    .select()
    .from(alerts)
    .where(
      and(
        ne(alerts.severity, 'high'),
        sql`${alerts.firstSeenAt} >= ${from.toISOString()}::timestamptz`,
        sql`${alerts.firstSeenAt} < ${to.toISOString()}::timestamptz`,
        sql`coalesce(${alerts.villageCode}, ${alerts.regionCode}) like ${`${codePrefix(scope)}%`}`,
      ),
    )
    .orderBy(asc(alerts.villageCode), asc(alerts.ruleId), asc(alerts.id));
}

/**
 * Queues the daily digest of `day` (Asia/Shanghai): for each enabled inspector with an e-mail
 * address, the medium and low alerts first seen that day within their scope (the high ones were
 * sent at once) — one row per inspector and day, only when there is something to say. Call it
 * once the day is over (a second call for the same day queues nothing).
 */
export async function claimDigests(input: { db: Db; now: Date; day: string }): Promise<PendingNotification[]> {
  const { db, now, day } = input;
  shanghaiDay(day);
  const queued = await db.transaction(async (tx) => {
    const inspectors = await reachableInspectors(tx);
    const values: (typeof notifications.$inferInsert)[] = [];
    for (const u of inspectors) {
      if (!(await digestAlerts(tx, u.scope, day)).length) continue;
      values.push({ id: randomUUID(), kind: 'digest', channel: 'email', recipient: u.email!, userId: u.id, digestDay: day, createdAt: now });
    }
    const inserted = values.length ? await tx.insert(notifications).values(values).onConflictDoNothing().returning() : [];
    await writeAudit(
      tx,
      { now, actor: notifierActor },
      inserted.map((n) => ({ action: 'notification.queue', entity: 'notification', entityId: n.id, before: null, after: n })),
    );
    return inserted;
  });
  return pendingOf(db, queued);
}

/** Rows with what their messages need: the alert and its region names, or the digest's alerts. */
async function pendingOf(db: Executor, list: Notification[]): Promise<PendingNotification[]> {
  if (!list.length) return [];
  const userIds = [...new Set(list.flatMap((n) => (n.userId ? [n.userId] : [])))];
  const people = new Map(
    (userIds.length ? await db.select({ id: users.id, scope: users.scope, displayName: users.displayName }).from(users).where(inArray(users.id, userIds)) : []).map((u) => [u.id, u]),
  );
  const alertIds = [...new Set(list.flatMap((n) => (n.kind === 'alert' && n.alertId ? [n.alertId] : [])))];
  const alertRows = alertIds.length ? await db.select().from(alerts).where(inArray(alerts.id, alertIds)) : [];
  const notices = new Map((await noticesOf(db, alertRows)).map((n) => [n.alert.id, n]));
  const out: PendingNotification[] = [];
  for (const n of list) {
    const person = n.userId ? people.get(n.userId) : undefined;
    const base: Base = { id: n.id, recipient: n.recipient, attempts: n.attempts, userId: n.userId, displayName: person?.displayName ?? null };
    if (n.kind === 'alert') {
      const notice = n.alertId ? notices.get(n.alertId) : undefined;
      if (notice) out.push({ ...base, kind: 'alert', channel: n.channel, notice });
    } else if (n.digestDay && person) {
      const list = await noticesOf(db, await digestAlerts(db, person.scope, n.digestDay));
      out.push({ ...base, kind: 'digest', channel: 'email', day: n.digestDay, notices: list });
    }
  }
  return out;
}

/**
 * Notifications still to send, oldest first: never tried, or failed fewer than MAX_ATTEMPTS
 * times. (A row whose attempt is under way has no error yet and is not listed.)
 */
export async function unsentNotifications(input: { db: Db; kind: 'alert' | 'digest'; limit?: number }): Promise<PendingNotification[]> {
  const { db, kind } = input;
  const list = await db
    .select()
    .from(notifications)
    .where(
      and(
        eq(notifications.kind, kind),
        isNull(notifications.sentAt),
        lt(notifications.attempts, MAX_ATTEMPTS),
        due,
      ),
    )
    .orderBy(asc(notifications.createdAt), asc(notifications.id))
    .limit(input.limit ?? 500);
  return pendingOf(db, list);
}

/**
 * Claims one attempt at sending a row: a compare-and-set on its attempt count, so of several
 * processes that listed it, exactly one goes on to send. False: someone else has it (or it is
 * sent, or used up). The claim is stamped with the database's clock (every process's lease is
 * measured on the same clock, whatever business time the caller runs at).
 */
export async function startAttempt(db: Db, n: Pick<PendingNotification, 'id' | 'attempts'>): Promise<boolean> {
  const claimed = await db
    .update(notifications)
    .set({ attempts: sql`${notifications.attempts} + 1`, lastError: null, attemptStartedAt: sql`now()` })
    .where(and(eq(notifications.id, n.id), eq(notifications.attempts, n.attempts), isNull(notifications.sentAt), lt(notifications.attempts, MAX_ATTEMPTS), due))
    .returning({ id: notifications.id });
  return claimed.length === 1;
}

/** Records a sent notification. */
export async function markSent(input: { db: Db; now: Date; id: string }): Promise<void> {
  await input.db.transaction(async (tx) => {
    const [row] = await tx.update(notifications).set({ sentAt: input.now, lastError: null }).where(eq(notifications.id, input.id)).returning();
    if (!row) return;
    await writeAudit(tx, { now: input.now, actor: notifierActor }, [
      { action: 'notification.sent', entity: 'notification', entityId: input.id, before: null, after: { sentAt: row.sentAt, attempts: row.attempts } },
    ]);
  });
}

/**
 * Records a failed attempt (`attempt`: the row's attempt count once startAttempt claimed it); a
 * later call retries it. An attempt that outlived its lease and was claimed again by another call
 * leaves the row to that one.
 */
export async function markFailed(input: { db: Db; now: Date; id: string; attempt: number; error: string }): Promise<void> {
  const error = maskText(input.error.slice(0, 1000)) || 'failed';
  await input.db.transaction(async (tx) => {
    const [row] = await tx
      .update(notifications)
      .set({ lastError: error })
      .where(and(eq(notifications.id, input.id), eq(notifications.attempts, input.attempt), isNull(notifications.sentAt)))
      .returning();
    if (!row) return;
    await writeAudit(tx, { now: input.now, actor: notifierActor }, [
      { action: 'notification.fail', entity: 'notification', entityId: input.id, before: null, after: { attempts: row.attempts, lastError: error } },
    ]);
  });
}

/** All notification rows (newest first), for tests and the desk. */
export async function listNotifications(db: Executor, filter: { alertId?: string; kind?: 'alert' | 'digest' } = {}) {
  const where = [];
  if (filter.alertId) where.push(eq(notifications.alertId, filter.alertId));
  if (filter.kind) where.push(eq(notifications.kind, filter.kind));
  return db
    .select()
    .from(notifications)
    .where(where.length ? and(...where) : undefined)
    .orderBy(asc(notifications.createdAt), asc(notifications.id));
}
