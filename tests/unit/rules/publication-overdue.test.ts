import { describe, expect, it } from 'vitest';
import { chinaDate, deadlineOf, duePeriod, rule, type VillageState } from '../../../jobs/rules/publication-overdue.ts';

const V = '519901101201';
const params = (over: Record<string, unknown> = {}) => new Map([[V, rule.params.parse(over)]]);
const scope = (asOf: string) => ({ region: '519901000000', villages: [V], asOf });
/** Published at a China-time moment. */
const at = (iso: string) => Date.parse(`${iso}+08:00`);
const state = (publications: VillageState['publications'], drafts: VillageState['drafts'] = []): VillageState => ({
  villageCode: V,
  villageName: '沙湾村',
  publications,
  drafts,
});
const months = (to: string, publishedAt: (p: string) => number) => {
  const out: VillageState['publications'] = [];
  for (let m = 1; m <= 12; m++) {
    const p = `2025-${String(m).padStart(2, '0')}`;
    if (p <= to) out.push({ period: p, publishedAt: publishedAt(p) });
  }
  return out;
};
const onTime = (p: string) => at(`${deadlineOf(p, 15)}T10:00:00`);

describe('publication deadlines', () => {
  it.each([
    ['2026-01-31', '2025-12'],
    ['2026-01-16', '2025-12'],
    ['2026-01-15', '2025-11'],
    ['2026-03-16', '2026-02'],
  ])('at %s the latest period due is %s', (asOf, period) => {
    expect(duePeriod(asOf, 15)).toBe(period);
  });

  it('reads publication moments in China time', () => {
    expect(chinaDate(Date.parse('2026-01-15T16:30:00Z'))).toBe('2026-01-16');
    expect(chinaDate(Date.parse('2026-01-15T15:59:59Z'))).toBe('2026-01-15');
  });
});

describe('publication-overdue', () => {
  it.each([
    {
      name: 'December not published at 31 January fires',
      villages: [state(months('2025-11', onTime))],
      asOf: '2026-01-31',
      fires: 1,
      status: 'missing',
    },
    {
      name: 'December published on the 15th is quiet',
      villages: [state([...months('2025-11', onTime), { period: '2025-12', publishedAt: at('2026-01-15T23:59:00') }])],
      asOf: '2026-01-31',
      fires: 0,
    },
    {
      name: 'December published on the 16th fires as late',
      villages: [state([...months('2025-11', onTime), { period: '2025-12', publishedAt: at('2026-01-16T00:01:00') }])],
      asOf: '2026-01-31',
      fires: 1,
      status: 'late',
    },
    {
      name: 'a late publication after asOf is not known yet: quiet',
      villages: [state([...months('2025-11', onTime), { period: '2025-12', publishedAt: at('2026-02-03T09:00:00') }])],
      asOf: '2026-01-31',
      fires: 0,
    },
    {
      name: 'on the deadline day itself December is not due yet',
      villages: [state(months('2025-11', onTime))],
      asOf: '2026-01-15',
      fires: 0,
    },
    {
      name: 'an earlier late period is history, not this check',
      villages: [state(months('2025-12', (p) => (p === '2025-06' ? at('2025-09-01T09:00:00') : onTime(p))))],
      asOf: '2026-01-31',
      fires: 0,
    },
  ])('$name', ({ villages, asOf, fires, status }) => {
    const found = rule.evaluate(villages, params(), scope(asOf));
    expect(found).toHaveLength(fires);
    if (status) expect(found[0]!.figures.status).toBe(status);
  });

  it('a village whose deadline is the 20th is not late on the 18th', () => {
    const v = state([...months('2025-11', onTime), { period: '2025-12', publishedAt: at('2026-01-18T09:00:00') }]);
    expect(rule.evaluate([v], params(), scope('2026-01-31'))).toHaveLength(1);
    expect(rule.evaluate([v], params({ deadlineDay: 20 }), scope('2026-01-31'))).toHaveLength(0);
  });

  it('says what is missing and how late, citing the unpublished entries', () => {
    const drafts = [{ id: 'd1', villageCode: V, voucherNo: '记-2025-12-001', date: '2025-12-05', amountFen: 12_000, period: '2025-12' }];
    const [f] = rule.evaluate([state(months('2025-10', onTime), drafts)], params(), scope('2026-01-31'));
    expect(f).toMatchObject({
      subject: `${V}:2025-12`,
      period: '2025-12',
      severity: 'medium',
      figures: { status: 'missing', deadline: '2026-01-15', overdueDays: 16, latestPublished: '2025-10', periodsBehind: 2 },
    });
    expect(f!.entries.map((e) => e.voucherNo)).toEqual(['记-2025-12-001']);
    expect(f!.summary).toBe(
      '2025年12月的财务收支应于 2026-01-15 前公开，截至 2026-01-31 仍未公开（已逾期 16 天，最近公开到 2025-10，另有 1 笔账目未公开）',
    );
    const late = state([...months('2025-11', onTime), { period: '2025-12', publishedAt: at('2026-01-20T09:00:00') }]);
    const [g] = rule.evaluate([late], params(), scope('2026-01-31'));
    expect(g).toMatchObject({
      subject: `${V}:2025-12`,
      severity: 'low',
      figures: { status: 'late', publishedOn: '2026-01-20', lateDays: 5 },
    });
    expect(g!.summary).toBe('2025年12月的财务收支应于 2026-01-15 前公开，实际于 2026-01-20 才公开，逾期 5 天');
  });
});
