import { describe, expect, it } from 'vitest';
import { rule, type Input, type Total } from '../../../jobs/rules/peer-outlier.ts';

const county = '519901000000';
const village = (i: number) => `5199011${String(Math.floor(i / 6) + 1).padStart(2, '0')}2${String((i % 6) + 1).padStart(2, '0')}`;
const X = village(0);
const total = (v: string, totalFen: number, o: Partial<Total> = {}): Total => ({
  villageCode: v,
  account: '51306',
  accountName: '维修费',
  period: '2025-07',
  totalFen,
  ...o,
});
/** X spends `x`; `peers` other villages spend around ¥1,000 (100 000 fen ± 10 000). */
const cell = (x: number, peers: number, o: Partial<Total> = {}): Total[] => [
  total(X, x, o),
  ...Array.from({ length: peers }, (_, i) => total(village(i + 1), 90_000 + (i % 5) * 5_000, o)),
];
const scopeOf = (totals: Total[]) => ({ region: county, villages: [...new Set(totals.map((t) => t.villageCode))], asOf: '2026-01-31' });
const paramsOf = (totals: Total[], over: Record<string, unknown> = {}) =>
  new Map(scopeOf(totals).villages.map((v) => [v, rule.params.parse(over)]));
const run = (totals: Total[], over: Record<string, unknown> = {}, entries: Input['entries'] = {}) =>
  rule.evaluate({ totals, entries }, paramsOf(totals, over), scopeOf(totals)).filter((f) => f.villageCode === X);

describe('peer-outlier', () => {
  it.each([
    { name: 'a month of ¥30,000 against 8 peers around ¥1,000 fires', totals: cell(3_000_000, 8), fires: 1 },
    { name: 'the same against 7 peers is quiet', totals: cell(3_000_000, 7), fires: 0 },
    { name: 'a month near the peers is quiet', totals: cell(110_000, 12), fires: 0 },
    { name: 'below the materiality level it is quiet', totals: cell(900_000, 12), fires: 0 },
    { name: 'with materiality off, a far-out small month fires', totals: cell(900_000, 12), over: { minExcessFen: 0 }, fires: 1 },
    {
      name: 'MAD 0 is skipped',
      totals: [total(X, 3_000_000), ...Array.from({ length: 10 }, (_, i) => total(village(i + 1), 100_000))],
      fires: 0,
    },
    { name: 'cadre pay is not compared', totals: cell(3_000_000, 10, { account: '51301', accountName: '报酬' }), fires: 0 },
    {
      name: 'peers of another county do not count',
      totals: [
        total(X, 3_000_000),
        ...Array.from({ length: 10 }, (_, i) => total(`5199021012${String(i + 10)}`, 90_000 + (i % 5) * 5_000)),
      ],
      fires: 0,
    },
    {
      name: 'peers of another month do not count',
      totals: [total(X, 3_000_000), ...cell(0, 10, { period: '2025-08' }).slice(1)],
      fires: 0,
    },
  ])('$name', ({ totals, over, fires }) => {
    expect(run(totals, over)).toHaveLength(fires);
  });

  it('gives the modified z-score, the peers and the entries behind the month', () => {
    const totals = cell(3_000_000, 9);
    const entries = {
      [`${X}|51306|2025-07`]: [{ id: 'a', villageCode: X, voucherNo: '记-2025-07-090', date: '2025-07-20', amountFen: 3_000_000 }],
    };
    const [f] = run(totals, {}, entries);
    // peers: 90 000, 95 000, 100 000, 105 000, 110 000, 90 000, 95 000, 100 000, 105 000 → median 100 000, MAD 5 000
    expect(f!.figures).toMatchObject({ totalFen: 3_000_000, medianFen: 100_000, madFen: 5_000, peers: 9, threshold: 3.5 });
    expect(f!.figures.z).toBeCloseTo((0.6745 * 2_900_000) / 5_000, 2);
    expect(f).toMatchObject({ subject: `${X}:51306:2025-07`, period: '2025-07', severity: 'medium' });
    expect(f!.entries.map((e) => e.voucherNo)).toEqual(['记-2025-07-090']);
    expect(f!.summary).toContain('2025年7月维修费合计 ¥30,000.00（1 笔），同县其他 9 个村同月中位数 ¥1,000.00（MAD ¥50.00）');
  });
});
