// Notifications of alerts on the demo county, through a real SMTP server (smtp-server) and a real
// HTTP server for the webhook: inspectors whose scope holds a new high-severity alert get one
// e-mail for it (others, disabled ones and accountants none), the webhook's signature verifies,
// nothing is sent twice (sequential or concurrent calls), a refused message is recorded and
// retried (a bounded number of times), and the daily digest gathers the day's medium and low
// alerts once per inspector.
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { and, eq, inArray, isNull, ne, sql, type SQL } from 'drizzle-orm';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../db/audit.ts';
import { queueRun } from '../../db/checks.ts';
import {
  ATTEMPT_LEASE,
  claimAlertNotifications,
  listNotifications,
  markFailed,
  markSent,
  MAX_ATTEMPTS,
  startAttempt,
  unsentNotifications,
} from '../../db/notifications.ts';
import { containsPersonalNumber } from '../../db/privacy.ts';
import { inScope } from '../../db/regions.ts';
import { alerts, auditLog, notifications, users } from '../../db/schema.ts';
import { createUser } from '../../db/users.ts';
import { drainRuns } from '../../jobs/checks.ts';
import { createMailer, sendAlertNotifications, sendDailyDigests, type Mailer } from '../../jobs/notify.ts';
import { ADMIN, PASSWORD, useTestApp } from '../support/app.ts';
import { parseMail, type Mail } from '../support/mail.ts';

const t = useTestApp({ demo: 'full' });
const SITE = 'https://cunwu.example.org';
const SECRET = 'webhook-secret-0123456789';
const DIDONG = '519901101000'; // 底洞镇
const YUHE = '519901102000'; // 玉和镇
const CAOYING = '519901103000'; // 曹营镇: only a medium benford alert

// ---- a real SMTP server ------------------------------------------------------------------------

const inbox: Mail[] = [];
/** Recipients whose messages the server refuses (550), as it would for a full mailbox. */
const refuse = new Set<string>();
const logins: string[] = [];
let smtp: SMTPServer;
let mailer: Mailer;

// ---- a real webhook receiver -------------------------------------------------------------------

interface Hook {
  headers: IncomingHttpHeaders;
  body: string;
}
const hooks: Hook[] = [];
/** What the webhook receiver answers. */
let hookStatus = 204;
let hookServer: Server;
let hookUrl = '';

const send = () => sendAlertNotifications({ db: t.database.db, now: t.now, mailer, webhook: { url: hookUrl, secret: SECRET }, siteUrl: `${SITE}/` });
const mailsTo = (address: string) => inbox.filter((m) => m.to.includes(address));
const alertIdOf = (m: Mail) => /\/staff\/alerts\/([0-9a-f-]{36})/.exec(m.text)?.[1];
const hookAlertIds = () => hooks.map((h) => (JSON.parse(h.body) as { id: string }).id);

// ---- staff ---------------------------------------------------------------------------------------

const A = 'didong.jiwei@example.org'; // inspector of 底洞镇 (created through the API, upper case)
const B = 'yuhe.jiwei@example.org'; // inspector of 玉和镇
const C = 'caoying.jiwei@example.org'; // inspector of 曹营镇
const COUNTY = 'xian.jiwei@example.org'; // inspector of the whole county
const OFF = 'disabled.jiwei@example.org'; // disabled inspector of 底洞镇
const ACCOUNTANT = 'shawan.kuaiji@example.org'; // accountant of 沙湾村 (底洞镇)
const scopes: Record<string, string> = { [A]: DIDONG, [B]: YUHE, [C]: CAOYING, [COUNTY]: '519901000000' };

/** Alerts present before the first send that were already handled (as the migration marks them). */
let handledBefore: string;
type AlertRow = typeof alerts.$inferSelect;
let fresh: AlertRow[] = [];

async function fabricateAlert(village: string, summary: string, severity: 'high' | 'medium' = 'high') {
  const id = randomUUID();
  await t.database.db.insert(alerts).values({
    id,
    fingerprint: randomBytes(32).toString('hex'),
    ruleId: 'split-payment',
    ruleVersion: 1,
    paramsVersion: 'default',
    villageCode: village,
    regionCode: village,
    period: '2026-01',
    severity,
    title: `拆分支付规避审批（测试 ${id.slice(0, 8)}）`,
    summary,
    figures: { payee: summary },
    entries: [{ id: randomUUID(), voucherNo: '记-2026-01-001', date: '2026-01-10', amountFen: 480_000 }],
    firstSeenAt: t.now,
    lastSeenAt: t.now,
  });
  return id;
}

beforeAll(async () => {
  smtp = new SMTPServer({
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth(auth, _session, callback) {
      logins.push(auth.username ?? '');
      if (auth.username === 'notifier' && auth.password === 'smtp-pass') callback(null, { user: auth.username });
      else callback(new Error('bad credentials'));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const to = session.envelope.rcptTo.map((r) => r.address);
        if (to.some((r) => refuse.has(r))) {
          callback(Object.assign(new Error('mailbox unavailable'), { responseCode: 550 }));
          return;
        }
        inbox.push(parseMail(Buffer.concat(chunks).toString('latin1'), to));
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const smtpPort = (smtp.server.address() as AddressInfo).port;
  mailer = createMailer({ smtpUrl: `smtp://notifier:smtp-pass@127.0.0.1:${smtpPort}`, mailFrom: '阳光村务 <noreply@example.org>' });

  hookServer = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (hookStatus < 300) hooks.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(hookStatus).end();
    });
  });
  await new Promise<void>((resolve) => hookServer.listen(0, '127.0.0.1', resolve));
  hookUrl = `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}/hooks/yangguang`;

  const db = t.database.db;
  const ctx = { db, now: t.now, actor: systemActor('test') };
  const admin = await t.signIn(ADMIN.username, ADMIN.password);
  const res = await t.request('/api/v1/users', {
    method: 'POST',
    cookie: admin,
    json: { username: 'jiwei-didong', password: PASSWORD, role: 'inspector', scope: DIDONG, displayName: '底洞镇纪委', email: A.toUpperCase() },
  });
  expect(res.status, await res.clone().text()).toBe(201);
  const add = (username: string, role: 'inspector' | 'accountant', scope: string, email: string | undefined, displayName = username) =>
    createUser({ ...ctx, input: { username, password: PASSWORD, role, scope, displayName, email } });
  await add('jiwei-yuhe', 'inspector', YUHE, B, '玉和镇纪委');
  await add('jiwei-caoying', 'inspector', CAOYING, C, '曹营镇纪委');
  await add('jiwei-xian', 'inspector', '519901000000', COUNTY, '青山县纪委');
  await add('jiwei-noemail', 'inspector', DIDONG, undefined);
  const off = await add('jiwei-off', 'inspector', DIDONG, OFF);
  await db.update(users).set({ disabled: true }).where(eq(users.id, off.id));
  await add('kuaiji-shawan', 'accountant', '519901101201', ACCOUNTANT);

  // The checks over the county as of the sample's date open the alerts.
  await queueRun({ ...ctx, input: { region: '519901000000', asOf: '2026-01-31' } });
  await drainRuns(db, () => t.now);
  // One high-severity alert of 底洞镇 counts as handled before notifications existed.
  const [old] = await db
    .select()
    .from(alerts)
    .where(and(eq(alerts.severity, 'high'), sql`${alerts.regionCode} like '519901101%'`))
    .orderBy(alerts.id)
    .limit(1);
  handledBefore = old!.id;
  await db.update(alerts).set({ notifiedAt: t.now }).where(eq(alerts.id, handledBefore));
  fresh = await db.select().from(alerts).where(isNull(alerts.notifiedAt));
}, 300_000);

afterAll(async () => {
  mailer?.close();
  await new Promise<void>((resolve) => (smtp ? smtp.close(resolve) : resolve()));
  await new Promise<void>((resolve) => (hookServer ? hookServer.close(() => resolve()) : resolve()));
});

const newHighIn = (scope: string) => fresh.filter((a) => a.severity === 'high' && inScope(scope, a.villageCode ?? a.regionCode)).map((a) => a.id).sort();

describe('alert notifications', () => {
  it('stores staff e-mail addresses lower-cased and refuses a malformed one', async () => {
    const [row] = await t.database.db.select({ email: users.email }).from(users).where(eq(users.username, 'jiwei-didong'));
    expect(row?.email).toBe(A);
    const admin = await t.signIn(ADMIN.username, ADMIN.password);
    const bad = await t.request('/api/v1/users', {
      method: 'POST',
      cookie: admin,
      json: { username: 'jiwei-bad', password: PASSWORD, role: 'inspector', scope: DIDONG, displayName: 'x', email: 'not an address' },
    });
    expect(bad.status).toBe(400);
  });

  it('e-mails each inspector exactly the new high-severity alerts in their scope, once, however many senders run', async () => {
    const highA = newHighIn(DIDONG);
    const highB = newHighIn(YUHE);
    expect(highA.length).toBeGreaterThan(1);
    expect(highB.length).toBeGreaterThan(0);
    expect(newHighIn(CAOYING)).toEqual([]);
    expect(fresh.some((a) => a.severity !== 'high')).toBe(true);

    // Two senders at once (as two server processes would after their check runs).
    const [one, two] = await Promise.all([send(), send()]);
    const expectedMails = highA.length + highB.length + newHighIn('519901000000').length;
    const highAll = newHighIn('519901000000');
    expect(one.failed + two.failed).toBe(0);
    expect(one.sent + two.sent).toBe(expectedMails + highAll.length); // e-mails + one webhook per alert
    expect(logins.length).toBeGreaterThan(0);
    expect(logins.every((u) => u === 'notifier')).toBe(true);

    expect(mailsTo(A).map(alertIdOf).sort()).toEqual(highA);
    expect(mailsTo(B).map(alertIdOf).sort()).toEqual(highB);
    expect(mailsTo(COUNTY).map(alertIdOf).sort()).toEqual(highAll);
    expect(highA).not.toContain(handledBefore);
    expect(inbox.some((m) => alertIdOf(m) === handledBefore)).toBe(false);
    for (const nobody of [C, OFF, ACCOUNTANT]) expect(mailsTo(nobody)).toEqual([]);
    expect(inbox.length).toBe(expectedMails);
    for (const m of inbox) expect(m.to).toHaveLength(1);

    // A second call finds nothing left to send.
    expect(await send()).toEqual({ sent: 0, failed: 0 });
    expect(inbox.length).toBe(expectedMails);
  });

  it('writes subject and body in Chinese with the alert, its place, its severity and a link to the desk', () => {
    const mail = mailsTo(A)[0]!;
    const alert = fresh.find((a) => a.id === alertIdOf(mail))!;
    expect(mail.from).toBe('阳光村务 <noreply@example.org>');
    expect(mail.subject).toContain('高风险预警');
    expect(mail.subject).toContain(alert.title);
    expect(mail.subject).toContain('底洞镇');
    expect(mail.text).toContain(`预警：${alert.title}`);
    expect(mail.text).toContain(`说明：${alert.summary}`);
    expect(mail.text).toMatch(/村：(沙湾村|代家村|回龙村|木泽村|岩口村|水井村)（519901101\d{3}）/);
    expect(mail.text).toContain('乡镇：底洞镇');
    expect(mail.text).toContain('风险等级：高');
    expect(mail.text).toContain(`${SITE}/staff/alerts/${alert.id}`);
    expect(mail.text).toMatch(/A new high-severity alert \([a-z-]+\) in 519901101\d{3} needs review/);
    expect(mail.text.startsWith('底洞镇纪委：')).toBe(true);
    const ids = fresh.filter((a) => a.severity === 'high').map((a) => a.title);
    for (const m of mailsTo(B)) expect(ids.some((title) => m.subject.includes(title))).toBe(true);
  });

  it('posts each new high-severity alert to the webhook as the API’s Alert, signed with the secret', async () => {
    const highAll = newHighIn('519901000000');
    expect(hookAlertIds().sort()).toEqual(highAll);
    const apiAlerts = new Map<string, unknown>();
    const admin = await t.signIn(ADMIN.username, ADMIN.password);
    let cursor: string | null = null;
    do {
      const page = (await (await t.request(`/api/v1/alerts?severity=high&limit=100${cursor ? `&cursor=${cursor}` : ''}`, { cookie: admin })).json()) as {
        items: { id: string }[];
        nextCursor: string | null;
      };
      for (const a of page.items) apiAlerts.set(a.id, a);
      cursor = page.nextCursor;
    } while (cursor);
    for (const hook of hooks) {
      expect(hook.headers['content-type']).toMatch(/^application\/json/);
      expect(hook.headers['x-yangguang-event']).toBe('alert.created');
      const timestamp = String(hook.headers['x-yangguang-timestamp']);
      expect(Math.abs(Number(timestamp) - Date.now() / 1000)).toBeLessThan(300);
      const signature = String(hook.headers['x-yangguang-signature']);
      const expected = `sha256=${createHmac('sha256', SECRET).update(`${timestamp}.${hook.body}`).digest('hex')}`;
      expect(timingSafeEqual(Buffer.from(signature), Buffer.from(expected))).toBe(true);
      // A different secret or a changed body does not verify.
      expect(signature).not.toBe(`sha256=${createHmac('sha256', 'another-secret-0123').update(`${timestamp}.${hook.body}`).digest('hex')}`);
      expect(signature).not.toBe(`sha256=${createHmac('sha256', SECRET).update(`${timestamp}.${hook.body} `).digest('hex')}`);
      const body = JSON.parse(hook.body) as { id: string };
      expect(body).toEqual(apiAlerts.get(body.id));
    }
  });

  it('never puts a personal number in clear into an e-mail or the webhook', async () => {
    const before = inbox.length;
    const id = await fabricateAlert('519901101205', '向 张三（身份证 510102199001011234，手机 13812345678，卡号 6222020200112233445）分三笔支付');
    const [one, two] = await Promise.all([send(), send()]);
    // 底洞镇 and the county inspector, and the webhook.
    expect(one.sent + two.sent).toBe(3);
    const mails = inbox.slice(before);
    expect(mails.map((m) => m.to[0]).sort()).toEqual([COUNTY, A].sort());
    for (const m of mails) {
      expect(alertIdOf(m)).toBe(id);
      expect(containsPersonalNumber(m.text)).toBe(false);
      expect(m.text).toContain('510102********1234');
      expect(m.text).not.toContain('13812345678');
    }
    const hook = hooks.find((h) => (JSON.parse(h.body) as { id: string }).id === id)!;
    expect(containsPersonalNumber(hook.body)).toBe(false);
    expect(hook.body).toContain('****3445');
  });

  it('records a refused message and sends it on a later call', async () => {
    refuse.add(B);
    const id = await fabricateAlert('519901102203', '凉风村向同一收款人分三笔支付 ¥4,800.00');
    const first = await send();
    expect(first).toEqual({ sent: 2, failed: 1 }); // the county inspector and the webhook went out
    const [row] = await t.database.db
      .select()
      .from(notifications)
      .where(and(eq(notifications.alertId, id), eq(notifications.recipient, B)));
    expect(row).toMatchObject({ attempts: 1, sentAt: null });
    expect(row?.lastError).toMatch(/550|mailbox unavailable/);
    expect(mailsTo(B).filter((m) => alertIdOf(m) === id)).toEqual([]);

    refuse.delete(B);
    expect(await send()).toEqual({ sent: 1, failed: 0 });
    const [after] = await t.database.db.select().from(notifications).where(eq(notifications.id, row!.id));
    expect(after).toMatchObject({ attempts: 2, lastError: null });
    expect(after?.sentAt).toBeInstanceOf(Date);
    expect(mailsTo(B).filter((m) => alertIdOf(m) === id)).toHaveLength(1);
    expect(await send()).toEqual({ sent: 0, failed: 0 });
  });

  it('retries a webhook the receiver did not accept', async () => {
    hookStatus = 503;
    const id = await fabricateAlert('519901103204', '庙坝村向同一收款人分三笔支付 ¥4,700.00');
    expect(await send()).toEqual({ sent: 2, failed: 1 }); // 曹营镇 and the county inspector by e-mail
    const [row] = await t.database.db
      .select()
      .from(notifications)
      .where(and(eq(notifications.alertId, id), eq(notifications.channel, 'webhook')));
    expect(row).toMatchObject({ attempts: 1, sentAt: null, lastError: 'webhook answered 503', recipient: hookUrl });
    expect(hookAlertIds()).not.toContain(id);
    hookStatus = 204;
    expect(await send()).toEqual({ sent: 1, failed: 0 });
    expect(hookAlertIds().filter((x) => x === id)).toHaveLength(1);
    expect(mailsTo(C).map(alertIdOf)).toEqual([id]);
  });

  it('gives up after a bounded number of attempts', async () => {
    refuse.add(B);
    const id = await fabricateAlert('519901102206', '瓦窑村向同一收款人分三笔支付 ¥4,900.00');
    for (let i = 0; i < MAX_ATTEMPTS + 2; i++) await send();
    refuse.delete(B);
    expect(await send()).toEqual({ sent: 0, failed: 0 });
    const [row] = await t.database.db
      .select()
      .from(notifications)
      .where(and(eq(notifications.alertId, id), eq(notifications.recipient, B)));
    expect(row).toMatchObject({ attempts: MAX_ATTEMPTS, sentAt: null });
    expect(mailsTo(B).filter((m) => alertIdOf(m) === id)).toEqual([]);
  });

  it('lets exactly one of two processes that listed a notification send it', async () => {
    const db = t.database.db;
    const id = await fabricateAlert('519901102201', '团结村向同一收款人分三笔支付 ¥4,600.00');
    const queued = await claimAlertNotifications({ db, now: t.now, webhookUrl: hookUrl });
    expect(queued.map((n) => n.recipient).sort()).toEqual([B, COUNTY, hookUrl].sort());
    expect(await claimAlertNotifications({ db, now: t.now, webhookUrl: hookUrl })).toEqual([]);
    // Both "processes" list the same rows, then race for each.
    const [first, second] = await Promise.all([unsentNotifications({ db, kind: 'alert' }), unsentNotifications({ db, kind: 'alert' })]);
    const mine = (list: typeof first) => list.filter((n) => n.kind === 'alert' && n.notice.alert.id === id);
    expect(mine(first)).toHaveLength(3);
    const wins = await Promise.all([...mine(first), ...mine(second)].map((n) => startAttempt(db, n)));
    expect(wins.filter(Boolean)).toHaveLength(3);
    // An attempt under way is not listed again.
    expect(mine(await unsentNotifications({ db, kind: 'alert' }))).toEqual([]);
    for (const n of mine(first)) await markSent({ db, now: t.now, id: n.id });
  });

  it('sends again a notification whose process died after claiming it, once the claim is older than ATTEMPT_LEASE', async () => {
    const db = t.database.db;
    const id = await fabricateAlert('519901102201', '团结村维修费三笔合计 ¥12,000.00');
    await claimAlertNotifications({ db, now: t.now, email: true });
    const row = async () => (await db.select().from(notifications).where(and(eq(notifications.alertId, id), eq(notifications.recipient, B))))[0]!;
    const toB = () => mailsTo(B).filter((m) => alertIdOf(m) === id);
    // A process claims B's e-mail and dies before sending it.
    const claimed = await row();
    expect(await startAttempt(db, claimed)).toBe(true);
    const abandoned = await row();
    expect(abandoned).toMatchObject({ attempts: 1, lastError: null, sentAt: null });
    expect(abandoned.attemptStartedAt).toBeInstanceOf(Date);
    /** Moves the claim back in time, on the database's clock (as startAttempt stamps it). */
    const claimAge = (age: SQL) => db.update(notifications).set({ attemptStartedAt: sql`now() - (${age})` }).where(eq(notifications.id, abandoned.id));
    // While the claim is fresh, and until the lease is nearly over, nobody else sends it.
    await send();
    await claimAge(sql`${ATTEMPT_LEASE}::interval - interval '1 minute'`);
    await send();
    expect(toB()).toEqual([]);
    expect(await row()).toMatchObject({ attempts: 1, sentAt: null });
    // Past the lease it is claimed again and sent once; the lost attempt counts.
    await claimAge(sql`${ATTEMPT_LEASE}::interval + interval '1 minute'`);
    await send();
    expect(toB()).toHaveLength(1);
    const sent = await row();
    expect(sent).toMatchObject({ attempts: 2, lastError: null });
    expect(sent.sentAt).toBeInstanceOf(Date);
    await send();
    expect(toB()).toHaveLength(1);
  });

  it('lets a failure of an attempt another call has taken over leave the row alone', async () => {
    const db = t.database.db;
    const id = await fabricateAlert('519901102201', '团结村办公费两笔合计 ¥11,000.00');
    await claimAlertNotifications({ db, now: t.now, email: true });
    const [n] = await db.select().from(notifications).where(and(eq(notifications.alertId, id), eq(notifications.recipient, B)));
    expect(await startAttempt(db, n!)).toBe(true); // attempt 1, then its process stalls past the lease
    await db.update(notifications).set({ attemptStartedAt: sql`now() - ${ATTEMPT_LEASE}::interval - interval '1 minute'` }).where(eq(notifications.id, n!.id));
    expect(await startAttempt(db, { id: n!.id, attempts: 1 })).toBe(true); // attempt 2, by another call
    await markFailed({ db, now: t.now, id: n!.id, attempt: 1, error: 'timed out' }); // attempt 1 gives up late
    const [after] = await db.select().from(notifications).where(eq(notifications.id, n!.id));
    expect(after).toMatchObject({ attempts: 2, lastError: null, sentAt: null });
    // Attempt 2 is under way: not listed for a third call.
    expect((await unsentNotifications({ db, kind: 'alert' })).map((x) => x.id)).not.toContain(n!.id);
    await markFailed({ db, now: t.now, id: n!.id, attempt: 2, error: 'mailbox full' });
    const [failed] = await db.select().from(notifications).where(eq(notifications.id, n!.id));
    expect(failed).toMatchObject({ attempts: 2, lastError: 'mailbox full' });
    await send();
    expect(mailsTo(B).filter((m) => alertIdOf(m) === id)).toHaveLength(1);
  });

  it('marks every new alert handled and audits each notification as the system', async () => {
    const [left] = await t.database.db.select({ n: sql<number>`count(*)::int` }).from(alerts).where(isNull(alerts.notifiedAt));
    expect(left?.n).toBe(0);
    const rows = await listNotifications(t.database.db, { kind: 'alert' });
    const audited = await t.database.db
      .select({ entityId: auditLog.entityId, actorName: auditLog.actorName, actorId: auditLog.actorId })
      .from(auditLog)
      .where(and(eq(auditLog.action, 'notification.queue'), inArray(auditLog.entityId, rows.map((r) => r.id))));
    expect(audited).toHaveLength(rows.length);
    expect(audited.every((a) => a.actorName === 'notifier' && a.actorId === null)).toBe(true);
    const sent = await t.database.db.select({ n: sql<number>`count(*)::int` }).from(auditLog).where(eq(auditLog.action, 'notification.sent'));
    expect(sent[0]?.n).toBe(rows.filter((r) => r.sentAt).length);
  });
});

describe('the daily digest', () => {
  const DAY = '2026-01-15'; // t.now is 2026-01-15 16:00 in Shanghai
  const digest = () => sendDailyDigests({ db: t.database.db, now: new Date('2026-01-16T00:30:00Z'), day: DAY, mailer, siteUrl: SITE });

  it('gathers the day’s medium and low alerts once per inspector, and none for an empty scope', async () => {
    // A medium alert fabricated in 水井村 joins the day's.
    const extra = await fabricateAlert('519901101206', '水井村现金支付超限额', 'medium');
    const dayAlerts = await t.database.db.select().from(alerts).where(ne(alerts.severity, 'high'));
    const expectedIn = (scope: string) => dayAlerts.filter((a) => inScope(scope, a.villageCode ?? a.regionCode)).map((a) => a.id).sort();
    expect(expectedIn(DIDONG)).toContain(extra);
    expect(expectedIn(CAOYING).length).toBeGreaterThan(0); // benford, about the township itself

    const before = inbox.length;
    const result = await digest();
    expect(result).toEqual({ sent: 4, failed: 0 });
    const digests = inbox.slice(before);
    expect(digests.map((m) => m.to[0]).sort()).toEqual([A, B, C, COUNTY].sort());
    for (const m of digests) {
      const address = m.to[0]!;
      expect(m.subject).toContain(`预警日报 ${DAY}`);
      const listed = [...m.text.matchAll(/\/staff\/alerts\/([0-9a-f-]{36})/g)].map((x) => x[1]!).sort();
      expect(listed).toEqual(expectedIn(scopes[address]!));
      expect(m.subject).toContain(`新增 ${listed.length} 条`);
      expect(m.text).toContain(`Daily digest for ${DAY}`);
      expect(m.text).not.toMatch(/\[高\]/);
    }

    // Once per inspector and day.
    expect(await digest()).toEqual({ sent: 0, failed: 0 });
    expect(inbox.length).toBe(before + 4);
    const rows = await listNotifications(t.database.db, { kind: 'digest' });
    expect(rows).toHaveLength(4);
    expect(rows.every((r) => r.digestDay === DAY && r.sentAt !== null)).toBe(true);
  });

  it('has nothing to say about a day without alerts', async () => {
    expect(await sendDailyDigests({ db: t.database.db, now: new Date('2026-01-17T00:30:00Z'), day: '2026-01-16', mailer, siteUrl: SITE })).toEqual({
      sent: 0,
      failed: 0,
    });
  });
});
