// The scheduler in real server processes: a publication queues an incremental check of the
// village, its alerts appear without anyone asking and the township's inspector gets an e-mail
// about the high-severity one at a real SMTP server (embedded database); and two servers on one
// PostgreSQL share the pg-boss queues — every run, every nightly occurrence runs once.
import type { AddressInfo } from 'node:net';
import postgres from 'postgres';
import { SMTPServer } from 'smtp-server';
import { afterAll, describe, expect, it } from 'vitest';
import { newLogKeyPem } from '../../api/log-key.ts';
import { createPostgresDatabase } from '../support/database.ts';
import { parseMail, type Mail } from '../support/mail.ts';
import { demoDataDirCopy, removeDir, startServer, tempDir, type ServerProcess } from '../support/server.ts';

const dirs: string[] = [];
const servers: ServerProcess[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  dirs.forEach(removeDir);
});

const VILLAGE = '519901101201';

async function signIn(url: string): Promise<string> {
  const res = await fetch(`${url}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: 'admin-password-1' }),
  });
  expect(res.status).toBe(200);
  return res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
}

async function api(url: string, cookie: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${url}/api/v1${path}`, {
    method,
    headers: { cookie, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/**
 * Imports a ledger for 2026-01 and publishes it: a ¥1,260 hospitality bill (over the ¥500 cap:
 * a medium alert) and, with `major`, a ¥18,000 repair without a decision (a high one).
 */
async function publishHospitalityBill(url: string, cookie: string, voucherNo: string, major?: string) {
  const csv =
    `日期,凭证号,摘要,科目编码,收入,支出,收付款方\n2026-01-15,${voucherNo},接待上级检查用餐,51304,,1260.00,青山饭店\n` +
    (major ? `2026-01-20,${major},村道修补工程款,514,,18000.00,青山建筑队\n` : '');
  const form = new FormData();
  form.set('file', new Blob([csv], { type: 'text/csv' }), 'ledger-2026-01.csv');
  const imported = await fetch(`${url}/api/v1/villages/${VILLAGE}/imports`, { method: 'POST', headers: { cookie }, body: form });
  expect(imported.status, await imported.clone().text()).toBe(201);
  const published = await api(url, cookie, 'POST', `/villages/${VILLAGE}/publications`, { period: '2026-01' });
  expect(published.status, JSON.stringify(published.body)).toBe(200);
}

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

describe('the scheduler in a real server (embedded database)', () => {
  it('a publication queues an incremental check: the over-cap bill becomes an alert without anyone asking', async () => {
    // A real SMTP server the portal sends to.
    const inbox: Mail[] = [];
    const smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          inbox.push(parseMail(Buffer.concat(chunks).toString('latin1'), session.envelope.rcptTo.map((r) => r.address)));
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    const smtpPort = (smtp.server.address() as AddressInfo).port;

    const dir = demoDataDirCopy();
    dirs.push(dir);
    const server = await startServer({ DATA_DIR: dir, CHECKS_SCHEDULE: 'off', SMTP_URL: `smtp://127.0.0.1:${smtpPort}`, SITE_URL: 'https://cunwu.example.org' });
    servers.push(server);
    const cookie = await signIn(server.url);
    // The township's inspector, with an address; and one of another township, who hears nothing.
    for (const [username, scope, email] of [
      ['jijian-didong', '519901101000', 'didong@example.org'],
      ['jijian-other', '519901102000', 'other@example.org'],
    ]) {
      const created = await api(server.url, cookie, 'POST', '/users', { username, password: 'inspector-password-1', role: 'inspector', scope, displayName: username, email });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
    }
    const before = await api(server.url, cookie, 'GET', `/alerts?village=${VILLAGE}&rule=single-expense-cap&limit=100`);
    expect((before.body.items as unknown[]).length).toBe(0);

    await publishHospitalityBill(server.url, cookie, '记-2026-01-901', '记-2026-01-902');
    const alert = await until(
      'the alert of the published bill',
      async () => {
        const res = await api(server.url, cookie, 'GET', `/alerts?village=${VILLAGE}&rule=single-expense-cap&limit=100`);
        return (res.body.items as { id: string; summary: string; entries: { voucherNo: string }[] }[]).find((a) => a.entries.some((e) => e.voucherNo === '记-2026-01-901'));
      },
      60_000,
    );
    expect(alert.summary).toContain('¥1,260.00');
    expect(server.output()).toMatch(/检查运行 \S+ \(publication, incremental, 519901101201\) 完成/);

    // The high-severity alert (the repair without a decision) is mailed to the township's inspector.
    const high = await api(server.url, cookie, 'GET', `/alerts?village=${VILLAGE}&rule=large-expense-no-decision&limit=100`);
    const repair = (high.body.items as { id: string; entries: { voucherNo: string }[] }[]).find((a) => a.entries.some((e) => e.voucherNo === '记-2026-01-902'));
    expect(repair).toBeDefined();
    const mail = await until('the e-mail about the high-severity alert', async () => inbox.find((m) => m.text.includes(repair!.id)), 30_000);
    expect(mail.to).toEqual(['didong@example.org']);
    expect(mail.text).toContain(`https://cunwu.example.org/staff/alerts/${repair!.id}`);
    expect(mail.subject).toContain('高风险预警');
    // Nothing about the medium one now (it waits for the digest), nothing to the other township.
    expect(inbox.some((m) => m.text.includes(alert.id))).toBe(false);
    expect(inbox.flatMap((m) => m.to)).not.toContain('other@example.org');

    expect(await server.stop()).toBe(0);
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
  });
});

const postgresUrl = process.env.TEST_DATABASE_URL;
// PostgreSQL is optional outside CI; with TEST_DATABASE_URL unset this block is not registered
// (vitest.config.ts prints so).
if (postgresUrl) {
  describe('two servers on one PostgreSQL', () => {
    it('run every queued check, every nightly occurrence and every publication check exactly once', { timeout: 600_000 }, async () => {
      const { url, drop } = await createPostgresDatabase();
      const sql = postgres(url, { max: 2, onnotice: () => {} });
      try {
        // The nightly run every minute, so the test sees occurrences that both servers' cron
        // monitors want to send.
        const env = { DATABASE_URL: url, ADMIN_PASSWORD: 'admin-password-1', DEMO: '1', LOG_SIGNING_KEY: newLogKeyPem(), CHECKS_SCHEDULE: '* * * * *' };
        const [dirA, dirB] = [tempDir(), tempDir()];
        dirs.push(dirA, dirB);
        const [a, b] = await Promise.all([startServer({ ...env, DATA_DIR: dirA }, 240_000), startServer({ ...env, DATA_DIR: dirB }, 240_000)]);
        servers.push(a, b);
        const [cookieA, cookieB] = await Promise.all([signIn(a.url), signIn(b.url)]);

        // Eight runs asked of either server at once.
        const asked = await Promise.all(
          Array.from({ length: 8 }, (_, i) => {
            const [s, cookie] = i % 2 ? [a, cookieA] : [b, cookieB];
            return api(s.url, cookie, 'POST', '/checks/runs', { asOf: '2026-01-31', region: '519901000000' });
          }),
        );
        expect(asked.map((r) => r.status)).toEqual(Array(8).fill(202));
        const runIds = asked.map((r) => r.body.runId as string);

        // A publication on B: its incremental run is queued in the same transaction.
        await publishHospitalityBill(b.url, cookieB, '记-2026-01-902');

        await until(
          'every asked run to finish',
          async () => {
            const rows = await sql<{ status: string }[]>`select status from check_runs where id = any(${runIds}::uuid[])`;
            return rows.length === 8 && rows.every((r) => r.status === 'done');
          },
          240_000,
        );
        // At least one nightly occurrence after both servers were up, and everything finished.
        const bothUp = new Date();
        await until(
          'a nightly occurrence after both servers were up, and every run finished',
          async () => {
            const [row] = await sql<{ late: number; unfinished: number; publication: number }[]>`
              select count(*) filter (where trigger = 'schedule' and queued_at > ${bothUp})::int as late,
                     count(*) filter (where status in ('queued', 'running'))::int as unfinished,
                     count(*) filter (where trigger = 'publication' and status = 'done')::int as publication
              from check_runs`;
            return row!.late > 0 && row!.unfinished === 0 && row!.publication === 1;
          },
          240_000,
        );

        const runs = await sql<{ id: string; trigger: string; status: string; alerts_opened: number }[]>`
          select id, trigger, status, alerts_opened from check_runs order by queued_at`;
        expect(runs.every((r) => r.status === 'done')).toBe(true);
        expect(runs.filter((r) => r.trigger === 'publication')).toHaveLength(1);

        // Each run ran in exactly one of the two processes, once.
        const output = a.output() + b.output();
        for (const run of runs) expect(output.split(`检查运行 ${run.id} `).length - 1, `run ${run.id}`).toBe(1);
        // Both processes did work (the queue is shared, not owned by one of them).
        expect(a.output()).toContain('检查运行');
        expect(b.output()).toContain('检查运行');

        // One pg-boss job per run, each completed on its first attempt. A job completes when its
        // handler returns, after the run's row is recorded and the notifications are sent: wait
        // for the last ones to leave the active state.
        const checkJobs = () => sql<{ id: string; state: string; retry_count: number }[]>`
          select id::text, state, retry_count from pgboss.job where name = 'check-run' order by id`;
        await until('every check-run job to settle', async () => (await checkJobs()).every((j) => !['created', 'active'].includes(j.state)), 60_000);
        const jobs = await checkJobs();
        expect(jobs.map((j) => j.id).sort()).toEqual(runs.map((r) => r.id).sort());
        expect(jobs).toEqual(jobs.map((j) => ({ id: j.id, state: 'completed', retry_count: 0 })));

        // One nightly job per cron occurrence (minute), whichever server's monitor sent it, and one
        // scheduled run per occurrence (the demo has one county).
        const nightly = await sql<{ minute: string; n: number }[]>`
          select date_trunc('minute', created_on)::text as minute, count(*)::int as n
          from pgboss.job where name = 'checks-nightly' group by 1`;
        expect(nightly.length).toBeGreaterThan(0);
        expect(nightly.every((m) => m.n === 1)).toBe(true);
        const scheduled = runs.filter((r) => r.trigger === 'schedule');
        const nightlyDone = await sql<{ n: number }[]>`select count(*)::int as n from pgboss.job where name = 'checks-nightly' and state = 'completed'`;
        expect(scheduled).toHaveLength(nightlyDone[0]!.n);

        // No alert twice: every alert was opened by exactly one run.
        const [alerts] = await sql<{ n: number; fingerprints: number }[]>`select count(*)::int as n, count(distinct fingerprint)::int as fingerprints from alerts`;
        expect(alerts!.n).toBeGreaterThan(0);
        expect(alerts!.fingerprints).toBe(alerts!.n);
        expect(runs.reduce((sum, r) => sum + r.alerts_opened, 0)).toBe(alerts!.n);

        expect(await Promise.all([a.stop(), b.stop()])).toEqual([0, 0]);
      } finally {
        await sql.end();
        await drop();
      }
    });
  });
}
