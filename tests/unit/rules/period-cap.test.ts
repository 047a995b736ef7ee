import { describe, expect, it } from 'vitest';
import { rule, type Group } from '../../../jobs/rules/period-cap.ts';
import type { EntryRow } from '../../../jobs/rules/lib.ts';

const V = '519901102205';
const scope = { region: '519901000000', villages: [V], asOf: '2026-01-31' };
const params = (over: Record<string, unknown> = {}) => new Map([[V, rule.params.parse(over)]]);
const entries = (amounts: number[], year = '2025'): EntryRow[] =>
  amounts.map((a, i) => ({
    id: `e${year}${i}`,
    villageCode: V,
    voucherNo: `记-${year}-0${(i % 9) + 1}-64${i}`,
    date: `${year}-0${(i % 9) + 1}-10`,
    amountFen: a,
  }));
const group = (amounts: number[], o: Partial<Group> = {}): Group => {
  const es = entries(amounts, o.period?.slice(0, 4) ?? '2025');
  return {
    villageCode: V,
    account: '51304',
    accountName: '招待费',
    kind: 'year',
    period: '2025',
    totalFen: es.reduce((s, e) => s + e.amountFen, 0),
    entries: es,
    ...o,
  };
};

describe('period-cap', () => {
  it.each([
    {
      name: 'a year of hospitality over ¥3,000 fires',
      groups: [group([40_000, 40_000, 40_000, 40_000, 40_000, 40_000, 40_000, 40_000])],
      fires: 1,
    },
    { name: 'exactly ¥3,000 does not fire', groups: [group([100_000, 100_000, 100_000])], fires: 0 },
    { name: '¥3,000.01 fires', groups: [group([100_000, 100_000, 100_001])], fires: 1 },
    { name: 'no monthly cap by default', groups: [group([290_000], { kind: 'month', period: '2025-03' })], fires: 0 },
    {
      name: 'a monthly cap set by the region applies',
      groups: [group([120_000], { kind: 'month', period: '2025-03' })],
      params: params({ caps: { '51304': { month: 100_000 } } }),
      fires: 1,
    },
    {
      name: 'a raised yearly cap is quiet',
      groups: [group([350_000])],
      params: params({ caps: { '51304': { year: 400_000 } } }),
      fires: 0,
    },
    { name: 'an account without a cap is quiet', groups: [group([900_000], { account: '51303', accountName: '差旅费' })], fires: 0 },
  ])('$name', ({ groups, params: p, fires }) => {
    expect(rule.evaluate(groups, p ?? params(), scope)).toHaveLength(fires);
  });

  it('cites every entry of the period and the figures', () => {
    const g = group([60_000, 70_000, 80_000, 90_000, 61_000]);
    const [f] = rule.evaluate([g], params(), scope);
    expect(f).toMatchObject({
      subject: `${V}:51304:2025`,
      period: '2025',
      villageCode: V,
      figures: { totalFen: 361_000, capFen: 300_000, excessFen: 61_000, count: 5, kind: 'year' },
    });
    expect(f!.entries.map((e) => e.voucherNo).sort()).toEqual(g.entries.map((e) => e.voucherNo).sort());
    expect(f!.summary).toBe('2025年招待费累计 ¥3,610.00（5 笔），超过年度限额 ¥3,000.00（超出 ¥610.00）');
  });
});
