import { describe, expect, it } from 'vitest';
import { rule, type Input } from '../../../jobs/rules/history-spike.ts';
import type { Total } from '../../../jobs/rules/peer-outlier.ts';

const V = '519901101203';
const scope = { region: '519901000000', villages: [V], asOf: '2026-01-31' };
const params = (over: Record<string, unknown> = {}) => new Map([[V, rule.params.parse(over)]]);
const period = (i: number) => `${2024 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`;
const total = (i: number, totalFen: number, o: Partial<Total> = {}): Total => ({
  villageCode: V,
  account: '514',
  accountName: '公益支出',
  period: period(i),
  totalFen,
  ...o,
});
/** `months` months of ¥2,000–¥3,000 (fen 200 000…300 000), then `x` in the next month. */
const series = (months: number, x: number, o: Partial<Total> = {}): Total[] => [
  ...Array.from({ length: months }, (_, i) => total(i, 200_000 + ((i * 37) % 11) * 10_000, o)),
  total(months, x, o),
];
const run = (totals: Total[], over: Record<string, unknown> = {}, entries: Input['entries'] = {}) =>
  rule.evaluate({ totals, entries }, params(over), scope);

describe('history-spike', () => {
  it.each([
    { name: 'a ¥30,000 month after 12 months around ¥2,500 fires', totals: series(12, 3_000_000), fires: 1 },
    { name: 'with 9 months of history it is quiet', totals: series(9, 3_000_000), fires: 0 },
    { name: 'with exactly 10 months it fires', totals: series(10, 3_000_000), fires: 1 },
    { name: 'a usual month is quiet', totals: series(12, 280_000), fires: 0 },
    { name: 'over the fence but below materiality is quiet', totals: series(12, 700_000), fires: 0 },
    { name: 'with materiality off, over the fence fires', totals: series(12, 700_000), over: { minExcessFen: 0 }, fires: 1 },
    { name: 'cadre pay is not checked', totals: series(12, 3_000_000, { account: '51301', accountName: '报酬' }), fires: 0 },
    { name: 'history older than 24 months does not count', totals: [...series(12, 200_000).slice(0, 12), total(40, 3_000_000)], fires: 0 },
  ])('$name', ({ totals, over, fires }) => {
    expect(run(totals, over)).toHaveLength(fires);
  });

  it('gives the fence and the entries', () => {
    const totals = [...Array.from({ length: 12 }, (_, i) => total(i, 100_000 + i * 10_000)), total(12, 3_262_219)];
    const key = `${V}|514|2025-01`;
    const [f] = run(
      totals,
      {},
      { [key]: [{ id: 'x', villageCode: V, voucherNo: '记-2025-01-652', date: '2025-01-10', amountFen: 2_668_500 }] },
    );
    // history 100 000 … 210 000: Q1 127 500, Q3 182 500, IQR 55 000, fence 347 500
    expect(f!.figures).toMatchObject({ totalFen: 3_262_219, q1Fen: 127_500, q3Fen: 182_500, fenceFen: 347_500, months: 12, k: 3 });
    expect(f).toMatchObject({ subject: `${V}:514:2025-01`, period: '2025-01', severity: 'medium' });
    expect(f!.entries[0]!.voucherNo).toBe('记-2025-01-652');
    expect(f!.summary).toContain('2025年1月公益支出合计 ¥32,622.19（1 笔），超过本村此前 12 个月的异常上限 ¥3,475.00');
  });
});
