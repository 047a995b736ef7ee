import { describe, expect, it } from 'vitest';
import { bandFloor, rule, type Row } from '../../../jobs/rules/near-threshold.ts';

const V = '519901102202';
const scope = { region: '519901000000', villages: [V], asOf: '2026-01-31' };
const params = (over: Record<string, unknown> = {}) => new Map([[V, rule.params.parse(over)]]);
let n = 0;
const exp = (date: string, amountFen: number, o: Partial<Row> = {}): Row => ({
  id: `e${String(++n).padStart(3, '0')}`,
  villageCode: V,
  voucherNo: `记-${date.slice(0, 7)}-${640 + n}`,
  date,
  amountFen,
  summary: '村道维修',
  counterparty: '青山县玉和霞艳建材店',
  ...o,
});

describe('near-threshold', () => {
  it('the band starts at 95% of T_major', () => {
    expect(bandFloor({ majorFen: 1_000_000, band: 0.95 })).toBe(950_000);
    expect(bandFloor({ majorFen: 1_000_001, band: 0.95 })).toBe(950_001);
  });

  it.each([
    {
      name: 'three in the band within 63 days fire',
      rows: [exp('2024-10-06', 980_260), exp('2024-11-07', 984_187), exp('2024-12-08', 961_014)],
      fires: 1,
    },
    { name: 'two in the band are quiet', rows: [exp('2024-10-06', 980_260), exp('2024-11-07', 984_187)], fires: 0 },
    {
      name: 'three at exactly 95% fire',
      rows: [exp('2024-10-06', 950_000), exp('2024-10-07', 950_000), exp('2024-10-08', 950_000)],
      fires: 1,
    },
    {
      name: 'one fen below the band does not count',
      rows: [exp('2024-10-06', 949_999), exp('2024-10-07', 980_000), exp('2024-10-08', 980_000)],
      fires: 0,
    },
    {
      name: 'at T_major is out of the band',
      rows: [exp('2024-10-06', 1_000_000), exp('2024-10-07', 980_000), exp('2024-10-08', 980_000)],
      fires: 0,
    },
    {
      name: '91 days from first to last is outside the window',
      rows: [exp('2024-10-01', 980_000), exp('2024-11-01', 980_000), exp('2024-12-31', 980_000)],
      fires: 0,
    },
    {
      name: '90 days from first to last is inside',
      rows: [exp('2024-10-01', 980_000), exp('2024-11-01', 980_000), exp('2024-12-30', 980_000)],
      fires: 1,
    },
    {
      name: 'different villages do not add up',
      rows: [exp('2024-10-01', 980_000), exp('2024-10-02', 980_000), exp('2024-10-03', 980_000, { villageCode: '519901102203' })],
      fires: 0,
    },
  ])('$name', ({ rows, fires }) => {
    expect(rule.evaluate(rows, params(), scope)).toHaveLength(fires);
  });

  it('a count parameter of 4 needs four', () => {
    const rows = [exp('2024-10-06', 980_260), exp('2024-11-07', 984_187), exp('2024-12-08', 961_014)];
    expect(rule.evaluate(rows, params({ count: 4 }), scope)).toHaveLength(0);
  });

  it('says which amounts sit under the line', () => {
    const rows = [exp('2024-10-06', 980_260), exp('2024-11-07', 984_187), exp('2024-12-08', 961_014)];
    const [f] = rule.evaluate(rows, params(), scope);
    expect(f!.subject).toBe(rows[0]!.id);
    expect(f!.entries.map((e) => e.voucherNo)).toEqual(rows.map((r) => r.voucherNo));
    expect(f!.figures).toMatchObject({ count: 3, bandFloorFen: 950_000, majorFen: 1_000_000, totalFen: 2_925_461, spanDays: 63 });
    expect(f!.summary).toContain('有 3 笔支出在 ¥9,500.00～¥10,000.00 之间');
    expect(f!.summary).toContain(`${rows[0]!.voucherNo} ¥9,802.60`);
  });
});
