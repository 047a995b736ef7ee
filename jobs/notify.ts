// Telling inspectors of alerts: e-mail over SMTP (nodemailer) and an optional signed webhook.
// Who is told of what, and the exactly-once claims, are db/notifications.ts; this is transport.
//
// The webhook: `POST <ALERT_WEBHOOK_URL>` with `Content-Type: application/json` and the body the
// alert as interchange.md's `Alert` (the shape of `GET /api/v1/alerts` items; personal numbers
// masked), for every new high-severity alert. Headers:
//   X-Yangguang-Event: alert.created
//   X-Yangguang-Delivery: <notification id>   (the same on a retry: deduplicate on it)
//   X-Yangguang-Timestamp: <unix seconds when sent>
//   X-Yangguang-Signature: sha256=<hex HMAC-SHA256(ALERT_WEBHOOK_SECRET, "<timestamp>.<raw body>")>
// A receiver recomputes the HMAC over the timestamp, a dot and the raw body bytes, compares in
// constant time, and rejects stale timestamps (e.g. older than 5 minutes) against replays. Any
// 2xx answer within 10 s counts as delivered; anything else is retried by a later call.
import { createHmac } from 'node:crypto';
import nodemailer from 'nodemailer';
import type { Db } from '../db/client.ts';
import {
  alertPayload,
  claimAlertNotifications,
  claimDigests,
  markFailed,
  markSent,
  previousDay,
  startAttempt,
  unsentNotifications,
  type AlertNotice,
  type PendingNotification,
} from '../db/notifications.ts';
import { maskText } from '../db/privacy.ts';

export const WEBHOOK_TIMEOUT_MS = 10_000;

/** Creates the SMTP transport of `smtpUrl` (smtp://user:pass@host:587, smtps://…:465), sending as `mailFrom`. */
export function createMailer(config: { smtpUrl: string; mailFrom: string }) {
  return nodemailer.createTransport(
    { url: config.smtpUrl, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 },
    { from: config.mailFrom },
  );
}

export type Mailer = ReturnType<typeof createMailer>;
export interface Webhook {
  url: string;
  secret: string;
}
export interface NotifierSetup {
  /** null: no SMTP server configured (no e-mail). */
  mailer: Mailer | null;
  webhook: Webhook | undefined;
  siteUrl: string;
}

/**
 * The notifier of the configuration (api/config.ts's `smtpUrl`, `mailFrom`, `alertWebhook`,
 * `siteUrl`). Always an object: with neither e-mail nor webhook configured, sendAlertNotifications
 * still marks new alerts handled (so they are not all sent as news once something is configured).
 */
export function notifierFromConfig(config: {
  smtpUrl: string | undefined;
  mailFrom: string;
  alertWebhook: Webhook | undefined;
  siteUrl: string;
}): NotifierSetup {
  return {
    mailer: config.smtpUrl ? createMailer({ smtpUrl: config.smtpUrl, mailFrom: config.mailFrom }) : null,
    webhook: config.alertWebhook,
    siteUrl: config.siteUrl.replace(/\/+$/, ''),
  };
}

const SEVERITY = { high: { zh: '高', en: 'high' }, medium: { zh: '中', en: 'medium' }, low: { zh: '低', en: 'low' } } as const;

const shanghaiTime = (d: Date) =>
  new Intl.DateTimeFormat('zh-CN', { timeZone: 'Asia/Shanghai', dateStyle: 'medium', timeStyle: 'short', hourCycle: 'h23' }).format(d);

const placeOf = (n: AlertNotice) =>
  [n.townshipName, n.villageName].filter(Boolean).join(' ') || n.regionName || n.alert.regionCode;

/** The e-mail about one new high-severity alert. */
export function alertEmail(n: Extract<PendingNotification, { kind: 'alert' }>, siteUrl: string) {
  const a = n.notice.alert;
  const title = maskText(a.title);
  const link = `${siteUrl}/staff/alerts/${a.id}`;
  const subject = `【阳光村务】${SEVERITY[a.severity].zh}风险预警：${title}（${placeOf(n.notice)}）`;
  const text = [
    `${n.displayName ?? '您好'}：`,
    '',
    '您管辖的范围内出现一条新的预警，请及时核查。',
    '',
    `预警：${title}`,
    `说明：${maskText(a.summary)}`,
    `村：${n.notice.villageName ?? '—'}${a.villageCode ? `（${a.villageCode}）` : ''}`,
    `乡镇：${n.notice.townshipName ?? '—'}`,
    ...(a.villageCode ? [] : [`区划：${n.notice.regionName ?? a.regionCode}（${a.regionCode}）`]),
    `风险等级：${SEVERITY[a.severity].zh}`,
    `账期：${a.period ?? '—'}`,
    `规则：${a.ruleId}`,
    `发现时间：${shanghaiTime(a.firstSeenAt)}`,
    '',
    `查看与处理：${link}`,
    '',
    `A new ${SEVERITY[a.severity].en}-severity alert (${a.ruleId}) in ${a.villageCode ?? a.regionCode} needs review: ${link}`,
    '',
    '—— 阳光村务（本邮件由系统自动发送，请勿回复）',
  ].join('\n');
  return { subject, text };
}

/** The daily digest: the day's medium and low alerts in the inspector's scope. */
export function digestEmail(n: Extract<PendingNotification, { kind: 'digest' }>, siteUrl: string) {
  const subject = `【阳光村务】预警日报 ${n.day}：新增 ${n.notices.length} 条中低风险预警`;
  const items = n.notices.map((x, i) => {
    const a = x.alert;
    return [
      `${i + 1}. [${SEVERITY[a.severity].zh}] ${maskText(a.title)} — ${placeOf(x)}${a.period ? `，账期 ${a.period}` : ''}`,
      `   ${maskText(a.summary)}`,
      `   ${siteUrl}/staff/alerts/${a.id}`,
    ].join('\n');
  });
  const text = [
    `${n.displayName ?? '您好'}：`,
    '',
    `${n.day}，您管辖的范围内新增 ${n.notices.length} 条中低风险预警（高风险预警已即时通知）：`,
    '',
    ...items,
    '',
    `全部预警：${siteUrl}/staff/alerts`,
    '',
    `Daily digest for ${n.day}: ${n.notices.length} new medium/low-severity alert(s) in your jurisdiction: ${siteUrl}/staff/alerts`,
    '',
    '—— 阳光村务（本邮件由系统自动发送，请勿回复）',
  ].join('\n');
  return { subject, text };
}

/** The signature header value of a webhook body sent at `timestamp` (unix seconds). */
export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

async function postWebhook(webhook: Webhook, n: Extract<PendingNotification, { kind: 'alert' }>): Promise<void> {
  const body = JSON.stringify(alertPayload(n.notice.alert));
  const timestamp = String(Math.floor(Date.now() / 1000));
  const res = await fetch(webhook.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'user-agent': 'yangguang-cunwu-notifier',
      'x-yangguang-event': 'alert.created',
      'x-yangguang-delivery': n.id,
      'x-yangguang-timestamp': timestamp,
      'x-yangguang-signature': webhookSignature(webhook.secret, timestamp, body),
    },
    body,
    redirect: 'manual',
    signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
  });
  await res.body?.cancel().catch(() => {});
  if (res.status < 200 || res.status > 299) throw new Error(`webhook answered ${res.status}`);
}

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Sends each row once (claiming an attempt first), records the outcome; returns the counts. */
async function deliver(
  db: Db,
  now: Date,
  pending: PendingNotification[],
  send: (n: PendingNotification) => Promise<void>,
): Promise<{ sent: number; failed: number }> {
  let sent = 0;
  let failed = 0;
  for (const n of pending) {
    if (!(await startAttempt(db, n))) continue;
    try {
      await send(n);
    } catch (err) {
      await markFailed({ db, now, id: n.id, attempt: n.attempts + 1, error: errorText(err) });
      failed++;
      continue;
    }
    await markSent({ db, now, id: n.id });
    sent++;
  }
  return { sent, failed };
}

/**
 * After a check run: claims the new alerts, then sends every alert notification still due —
 * the new ones and earlier failures (at most MAX_ATTEMPTS tries each). Safe to call from several
 * processes at once: each notification is sent by one of them.
 */
export async function sendAlertNotifications(input: {
  db: Db;
  now: Date;
  mailer: Mailer | null;
  webhook?: Webhook | undefined;
  siteUrl: string;
}): Promise<{ sent: number; failed: number }> {
  const { db, now, mailer, webhook } = input;
  const siteUrl = input.siteUrl.replace(/\/+$/, '');
  await claimAlertNotifications({ db, now, email: mailer !== null, webhookUrl: webhook?.url });
  const pending = await unsentNotifications({ db, kind: 'alert' });
  return deliver(db, now, pending, async (n) => {
    if (n.kind !== 'alert') return;
    if (n.channel === 'email') {
      if (!mailer) throw new Error('no SMTP server configured (SMTP_URL)');
      await mailer.sendMail({ to: n.recipient, ...alertEmail(n, siteUrl), headers: { 'X-Yangguang-Delivery': n.id } });
    } else {
      if (!webhook || webhook.url !== n.recipient) throw new Error('this webhook URL is no longer configured (ALERT_WEBHOOK_URL)');
      await postWebhook(webhook, n);
    }
  });
}

/**
 * The daily digest (default: of the day before `now`, Asia/Shanghai): queues one e-mail per
 * inspector with something to read and sends it, with earlier failed digests. Without a mailer
 * nothing is queued.
 */
export async function sendDailyDigests(input: {
  db: Db;
  now: Date;
  day?: string | undefined;
  mailer: Mailer | null;
  siteUrl: string;
}): Promise<{ sent: number; failed: number }> {
  const { db, now, mailer } = input;
  if (!mailer) return { sent: 0, failed: 0 };
  const siteUrl = input.siteUrl.replace(/\/+$/, '');
  await claimDigests({ db, now, day: input.day ?? previousDay(now) });
  const pending = await unsentNotifications({ db, kind: 'digest' });
  return deliver(db, now, pending, async (n) => {
    if (n.kind !== 'digest') return;
    await mailer.sendMail({ to: n.recipient, ...digestEmail(n, siteUrl), headers: { 'X-Yangguang-Delivery': n.id } });
  });
}

/**
 * The scheduler's notifier (jobs/scheduler.ts `Notifier`: `alerts()` after each run and every
 * housekeeping tick, `digest(day)` each morning) over the configured channels.
 */
export function schedulerNotifier(input: { db: Db; now: () => Date; setup: NotifierSetup }) {
  const { db, now, setup } = input;
  return {
    async alerts(): Promise<void> {
      await sendAlertNotifications({ db, now: now(), mailer: setup.mailer, webhook: setup.webhook, siteUrl: setup.siteUrl });
    },
    async digest(day: string): Promise<void> {
      await sendDailyDigests({ db, now: now(), day, mailer: setup.mailer, siteUrl: setup.siteUrl });
    },
  };
}
