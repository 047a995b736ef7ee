// Recording a run's findings: new ones open, ones found again are updated (only marked seen when
// nothing about them changed), ones not found again in the covered regions go and come back
// when found again.
import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { fingerprintOf, recordFindings, type FindingInput } from '../../db/alerts.ts';
import { alerts } from '../../db/schema.ts';
import { useTestApp } from '../support/app.ts';

const t = useTestApp();
const VILLAGE = '519901101201';
const OTHER = '519901101202';
const RULE = 'single-expense-cap';

const finding = (village: string, voucherNo: string, amountFen: number): FindingInput => ({
  subject: `${village}:${voucherNo}`,
  villageCode: village,
  regionCode: village,
  period: '2025-07',
  severity: 'high',
  title: '招待费单笔超限',
  summary: `招待费单笔 ¥${(amountFen / 100).toFixed(2)}，超过限额 ¥500.00`,
  entries: [{ id: randomUUID(), voucherNo, date: '2025-07-03', amountFen }],
  figures: { amountFen, capFen: 50_000 },
});

let hour = 0;
/** One run's findings recorded over both villages, an hour after the last. */
const record = async (findings: FindingInput[], ruleVersion = 1) => {
  const runId = randomUUID();
  const now = new Date(t.now.getTime() + ++hour * 3_600_000);
  const result = await t.database.db.transaction((tx) =>
    recordFindings(tx, { runId, now, rules: [{ ruleId: RULE, ruleVersion, findings, paramsVersion: () => 'default' }], coveredRegions: [VILLAGE, OTHER] }),
  );
  return { ...result, runId, now };
};
const stored = async (f: FindingInput) => {
  const [row] = await t.database.db.select().from(alerts).where(eq(alerts.fingerprint, fingerprintOf(RULE, f.subject)));
  return row!;
};

describe('recording findings', () => {
  const a = finding(VILLAGE, '记-2025-07-001', 126_000);
  const b = finding(OTHER, '记-2025-07-002', 88_000);
  const changed = { ...a, summary: '招待费单笔 ¥1,300.00，超过限额 ¥500.00', figures: { amountFen: 130_000, capFen: 50_000 } };

  it('opens new findings, and a finding seen again unchanged is marked seen by the run', async () => {
    const first = await record([a, b]);
    expect(first).toMatchObject({ opened: 2, updated: 0 });
    const before = await stored(a);
    const second = await record([a, b]);
    expect(second).toMatchObject({ opened: 0, updated: 2 });
    const after = await stored(a);
    expect(after).toMatchObject({ id: before.id, lastRunId: second.runId, lastSeenAt: second.now, firstSeenAt: first.now, summary: a.summary, goneAt: null });
    expect(after.contentHash).toBe(before.contentHash);
  });

  it('rewrites a finding found again with other figures, evidence or rule version', async () => {
    const before = await stored(a);
    const run = await record([changed, b]);
    expect(run).toMatchObject({ opened: 0, updated: 2 });
    const after = await stored(a);
    expect(after).toMatchObject({ id: before.id, summary: changed.summary, figures: changed.figures, lastRunId: run.runId });
    expect(after.contentHash).not.toBe(before.contentHash);
    const bumped = await record([changed, b], 2);
    expect((await stored(a)).ruleVersion).toBe(2);
    expect((await stored(b)).ruleVersion).toBe(2);
    expect((await stored(b)).lastRunId).toBe(bumped.runId);
  });

  it('marks gone what a run over its region no longer finds, and brings it back unchanged when found again', async () => {
    const current = await stored(a);
    const without = await record([b], 2);
    expect((await stored(a)).goneAt).toEqual(without.now);
    const back = await record([changed, b], 2);
    expect(back).toMatchObject({ opened: 0, updated: 2 });
    expect(await stored(a)).toMatchObject({ goneAt: null, lastRunId: back.runId, contentHash: current.contentHash });
  });

  it('rewrites an alert stored without a content hash (before it was kept) and keeps one from then on', async () => {
    const current = await stored(b);
    await t.database.db.execute(sql`update alerts set content_hash = null, title = 'stale' where id = ${current.id}`);
    await record([b], 2);
    expect(await stored(b)).toMatchObject({ title: b.title, contentHash: current.contentHash });
  });
});
