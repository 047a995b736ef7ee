import { describe, expect, it } from 'vitest';
import { rule, type Row } from '../../../jobs/rules/round-amounts.ts';

const V = '519901103204';
const scope = { region: '519901000000', villages: [V], asOf: '2026-01-31' };
const params = (over: Record<string, unknown> = {}) => new Map([[V, rule.params.parse(over)]]);
let n = 0;
const row = (amountFen: number, o: Partial<Row> = {}): Row => ({
  id: `e${String(++n).padStart(4, '0')}`,
  villageCode: V,
  voucherNo: `记-2025-05-${100 + n}`,
  date: `2025-05-${String((n % 28) + 1).padStart(2, '0')}`,
  amountFen,
  accountCode: '514',
  ...o,
});
/** `total` expenses of ≥ ¥1,000, `round` of them multiples of ¥100. */
const year = (total: number, round: number, o: Partial<Row> = {}) => [
  ...Array.from({ length: round }, (_, i) => row(200_000 + i * 10_000, o)),
  ...Array.from({ length: total - round }, (_, i) => row(150_037 + i * 1_013, o)),
];

describe('round-amounts', () => {
  it.each([
    { name: '9 round of 30 (30%) fires', rows: year(30, 9), fires: 1 },
    { name: '6 round of 30 (exactly 20%) is quiet', rows: year(30, 6), fires: 0 },
    { name: '7 round of 30 (23%) fires', rows: year(30, 7), fires: 1 },
    { name: '10 round of 29 is too few expenses', rows: year(29, 10), fires: 0 },
    { name: 'cadre pay does not count', rows: year(30, 9, { accountCode: '51301' }), fires: 0 },
    { name: 'subsidies (其他支出) do not count', rows: year(30, 9, { accountCode: '515' }), fires: 0 },
    { name: 'amounts under ¥1,000 do not count', rows: [...year(30, 5), ...Array.from({ length: 10 }, () => row(50_000))], fires: 0 },
    { name: 'two years are judged apart', rows: [...year(20, 6), ...year(20, 6, { date: '2024-05-01' })], fires: 0 },
  ])('$name', ({ rows, fires }) => {
    expect(rule.evaluate(rows.length ? { entries: rows } : { entries: [] }, params(), scope)).toHaveLength(fires);
  });

  it('a village with a 40% threshold is quiet at 30%', () => {
    expect(rule.evaluate({ entries: year(30, 9) }, params({ share: 0.4 }), scope)).toHaveLength(0);
  });

  it('is low severity and cites the round amounts', () => {
    const rows = year(40, 10);
    const [f] = rule.evaluate({ entries: rows }, params(), scope);
    expect(f).toMatchObject({
      subject: `${V}:2025`,
      period: '2025',
      severity: 'low',
      figures: { count: 40, roundCount: 10, share: 0.25, threshold: 0.2 },
    });
    expect(f!.entries).toHaveLength(10);
    expect(f!.entries.every((e) => e.amountFen % 10_000 === 0)).toBe(true);
    expect(f!.summary).toBe('2025年 ¥1,000.00 以上的 40 笔支出中有 10 笔是 ¥100.00 的整数倍，占 25.0%，超过 20%');
  });
});
