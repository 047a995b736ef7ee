import { describe, expect, it } from 'vitest';
import { rule, splitGroups, type Row } from '../../../jobs/rules/split-payment.ts';

const V = '519901101204';
const scope = { region: '519901000000', villages: [V], asOf: '2026-01-31' };
const params = (over: Record<string, unknown> = {}) => new Map([[V, rule.params.parse(over)]]);
let n = 0;
const pay = (date: string, amountFen: number, o: Partial<Row> = {}): Row => ({
  id: `e${String(++n).padStart(3, '0')}`,
  villageCode: V,
  voucherNo: `记-${date.slice(0, 7)}-${600 + n}`,
  date,
  amountFen,
  counterparty: '青山县底洞水富劳务有限公司',
  accountCode: '514',
  accountName: '公益支出',
  summary: '村道边沟修缮',
  ...o,
});

describe('split-payment', () => {
  it.each([
    {
      name: 'four pieces of ¥4,050.38 within 8 days fire',
      rows: [pay('2025-07-03', 405_038), pay('2025-07-07', 405_038), pay('2025-07-09', 405_038), pay('2025-07-11', 405_038)],
      fires: 1,
    },
    { name: 'two pieces reaching exactly T_major fire', rows: [pay('2025-07-03', 500_000), pay('2025-07-20', 500_000)], fires: 1 },
    { name: 'two pieces one fen short are quiet', rows: [pay('2025-07-03', 500_000), pay('2025-07-20', 499_999)], fires: 0 },
    { name: '31 days apart is outside the window', rows: [pay('2025-07-01', 600_000), pay('2025-08-01', 600_000)], fires: 0 },
    { name: '30 days apart is inside the window', rows: [pay('2025-07-01', 600_000), pay('2025-07-31', 600_000)], fires: 1 },
    {
      name: 'different counterparties are quiet',
      rows: [pay('2025-07-01', 600_000), pay('2025-07-02', 600_000, { counterparty: '青山县底洞林国建材店' })],
      fires: 0,
    },
    {
      name: 'different accounts are different payments',
      rows: [pay('2025-07-01', 600_000), pay('2025-07-02', 600_000, { accountCode: '511' })],
      fires: 0,
    },
    { name: 'a payment at T_major is not a piece', rows: [pay('2025-07-01', 1_000_000), pay('2025-07-02', 100_000)], fires: 0 },
    { name: 'a single payment is not a split', rows: [pay('2025-07-01', 900_000)], fires: 0 },
    {
      name: 'cadre pay is never a split',
      rows: [pay('2025-07-01', 600_000, { accountCode: '51301' }), pay('2025-07-25', 600_000, { accountCode: '51301' })],
      fires: 0,
    },
    {
      name: 'white space in the name does not hide the counterparty',
      rows: [pay('2025-07-01', 600_000), pay('2025-07-02', 600_000, { counterparty: '青山县底洞 水富劳务有限公司' })],
      fires: 1,
    },
  ])('$name', ({ rows, fires }) => {
    expect(rule.evaluate(rows, params(), scope)).toHaveLength(fires);
  });

  it('reports a group once, with all its pieces, under the first entry', () => {
    const rows = [pay('2024-01-20', 200_000), pay('2024-02-03', 414_336), pay('2024-02-10', 414_336), pay('2024-02-17', 414_336)];
    const found = rule.evaluate([...rows].reverse(), params(), scope);
    expect(found).toHaveLength(1);
    const [f] = found;
    expect(f!.subject).toBe(rows[0]!.id);
    expect(f!.entries.map((e) => e.voucherNo)).toEqual(rows.map((r) => r.voucherNo));
    expect(f!.figures).toMatchObject({ totalFen: 1_443_008, count: 4, majorFen: 1_000_000, spanDays: 28 });
    expect(f!.summary).toContain('每笔均低于重大事项标准 ¥10,000.00，合计 ¥14,430.08，达到该标准');
    expect(f!.severity).toBe('high');
  });

  it('merges overlapping windows and keeps separate splits apart', () => {
    const a = [pay('2025-01-01', 600_000), pay('2025-01-25', 600_000), pay('2025-02-20', 600_000)];
    const b = [pay('2025-06-01', 700_000), pay('2025-06-05', 700_000)];
    const groups = splitGroups([...a, ...b], { majorFen: 1_000_000, windowDays: 30 });
    expect(groups.map((g) => g.entries.map((e) => e.id))).toEqual([a.map((e) => e.id), b.map((e) => e.id)]);
    expect(groups[0]!.maxWindowFen).toBe(1_200_000);
  });

  it('a village with a longer window sees more', () => {
    const rows = [pay('2025-07-01', 600_000), pay('2025-08-15', 600_000)];
    expect(rule.evaluate(rows, params(), scope)).toHaveLength(0);
    expect(rule.evaluate(rows, params({ windowDays: 60 }), scope)).toHaveLength(1);
  });
});
