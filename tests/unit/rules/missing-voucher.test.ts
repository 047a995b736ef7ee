import { describe, expect, it } from 'vitest';
import { rule, type Row } from '../../../jobs/rules/missing-voucher.ts';

const V = '519901102204';
const scope = { region: '519901000000', villages: [V], asOf: '2026-01-31' };
const params = (over: Record<string, unknown> = {}) => new Map([[V, rule.params.parse(over)]]);
let n = 0;
const row = (date: string, o: Partial<Row> = {}): Row => ({
  id: `e${++n}`,
  villageCode: V,
  voucherNo: `记-${date.slice(0, 7)}-${650 + n}`,
  date,
  amountFen: 211_500,
  summary: '购买慰问物资',
  accountName: '其他支出',
  ...o,
});

describe('missing-voucher', () => {
  it.each([
    { name: 'an old expense without a voucher fires', rows: [row('2024-02-16')], fires: 1 },
    { name: 'with no grace, an expense of asOf itself fires', rows: [row('2026-01-31')], fires: 1 },
    { name: 'inside a 10-day grace it is quiet', rows: [row('2026-01-25')], params: params({ graceDays: 10 }), fires: 0 },
    { name: 'past a 10-day grace it fires', rows: [row('2026-01-21')], params: params({ graceDays: 10 }), fires: 1 },
  ])('$name', ({ rows, params: p, fires }) => {
    expect(rule.evaluate(rows, p ?? params(), scope)).toHaveLength(fires);
  });

  it('says which entry lacks its voucher', () => {
    const r = row('2024-02-16');
    const [f] = rule.evaluate([r], params(), scope);
    expect(f).toMatchObject({ subject: r.id, period: '2024-02', severity: 'medium', figures: { amountFen: 211_500, graceDays: 0 } });
    expect(f!.summary).toBe(`2024-02-16 凭证 ${r.voucherNo}「购买慰问物资」（其他支出）支出 ¥2,115.00，已公开但未附原始凭证影像`);
  });
});
