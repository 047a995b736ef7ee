// Region overviews (money and publication status per village) and search, on the whole demo county.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { demoDir } from '../../db/demo.ts';
import { searchPublic, villageOverviews } from '../../db/public/regions.ts';
import { useTestApp } from '../support/app.ts';

const t = useTestApp({ demo: 'full' });
const truth = JSON.parse(await readFile(path.join(demoDir, 'truth.json'), 'utf8')) as { pii: { village: string; voucherNo: string; idNo: string; card: string }[] };

describe('village overviews', () => {
  it('gives each village of a township its 2025 money and balance', async () => {
    const list = await villageOverviews(t.database.db, '519901101000', new Date('2026-01-20T00:00:00Z'));
    expect(list.map((v) => v.code)).toEqual(['519901101201', '519901101202', '519901101203', '519901101204', '519901101205', '519901101206']);
    const periods = (await (await t.request('/api/v1/public/villages/519901101201/periods')).json()) as {
      periods: { period: string; incomeFen: number; expenseFen: number; closingFen: number }[];
    };
    const y2025 = periods.periods.filter((p) => p.period.startsWith('2025'));
    const v = list[0]!;
    expect(v).toMatchObject({ latestPeriod: '2025-12', year: 2025, duePeriod: '2025-12', status: 'on_time', overdue: 0 });
    expect(v.incomeFen).toBe(y2025.reduce((s, p) => s + p.incomeFen, 0));
    expect(v.expenseFen).toBe(y2025.reduce((s, p) => s + p.expenseFen, 0));
    expect(v.balanceFen).toBe(y2025.at(-1)!.closingFen);
  });

  it('marks villages overdue once the deadline has passed without publication', async () => {
    const list = await villageOverviews(t.database.db, '519901000000', new Date('2026-04-20T00:00:00Z'));
    expect(list).toHaveLength(18);
    for (const v of list) expect(v).toMatchObject({ duePeriod: '2026-03', status: 'missing', overdue: 3 });
  });
});

describe('search', () => {
  it('finds villages by a Chinese substring of the name', async () => {
    const found = await searchPublic(t.database.db, '沙湾');
    expect(found.villages).toEqual([expect.objectContaining({ code: '519901101201', name: '沙湾村' })]);
  });

  it('finds published entries by summary and by counterparty', async () => {
    const bySummary = await searchPublic(t.database.db, '运转经费');
    expect(bySummary.entries.length).toBeGreaterThan(10);
    expect(bySummary.entries.every((e) => e.summary.includes('运转经费'))).toBe(true);
    const byParty = await searchPublic(t.database.db, '财政局');
    expect(byParty.entries.length).toBeGreaterThan(10);
    expect(byParty.entries.every((e) => (e.counterparty ?? '').includes('财政局') || e.summary.includes('财政局'))).toBe(true);
  });

  it('never shows a personal number, and does not answer digit probes', async () => {
    const pii = truth.pii[0]!;
    const entries = await searchPublic(t.database.db, pii.voucherNo.slice(0, 6));
    expect(JSON.stringify(entries)).not.toContain(pii.idNo);
    for (const probe of [pii.idNo, pii.idNo.slice(0, 10), pii.card.slice(-8)]) {
      expect((await searchPublic(t.database.db, probe)).entries).toEqual([]);
    }
  });
});
