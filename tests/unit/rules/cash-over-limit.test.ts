import { describe, expect, it } from 'vitest';
import { rule, type Row } from '../../../jobs/rules/cash-over-limit.ts';

const V = '519901101203';
const scope = { region: '519901000000', villages: [V], asOf: '2026-01-31' };
const params = (over: Record<string, unknown> = {}) => new Map([[V, rule.params.parse(over)]]);
let n = 0;
const row = (amountFen: number, o: Partial<Row> = {}): Row => ({
  id: `e${++n}`,
  villageCode: V,
  voucherNo: `记-2025-07-${650 + n}`,
  date: '2025-07-09',
  amountFen,
  summary: '支付临时用工工资',
  counterparty: '付玉强',
  ...o,
});

describe('cash-over-limit', () => {
  it.each([
    { name: '¥2,772 in cash fires', rows: [row(277_200)], fires: 1 },
    { name: 'exactly ¥1,000 in cash is quiet', rows: [row(100_000)], fires: 0 },
    { name: '¥1,000.01 in cash fires', rows: [row(100_001)], fires: 1 },
    { name: 'a village with a ¥3,000 limit is quiet', rows: [row(277_200)], params: params({ limitFen: 300_000 }), fires: 0 },
  ])('$name', ({ rows, params: p, fires }) => {
    expect(rule.evaluate(rows, p ?? params(), scope)).toHaveLength(fires);
  });

  it('names the amount, the limit and the voucher', () => {
    const r = row(277_200);
    const [f] = rule.evaluate([r], params(), scope);
    expect(f).toMatchObject({ subject: r.id, period: '2025-07', figures: { amountFen: 277_200, limitFen: 100_000, excessFen: 177_200 } });
    expect(f!.summary).toContain('现金支付 ¥2,772.00，超过现金支付限额 ¥1,000.00');
    expect(f!.summary).toContain(r.voucherNo);
    expect(f!.entries[0]!.voucherNo).toBe(r.voucherNo);
  });
});
