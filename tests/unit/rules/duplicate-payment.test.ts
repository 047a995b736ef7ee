import { describe, expect, it } from 'vitest';
import { rule, type Row } from '../../../jobs/rules/duplicate-payment.ts';

const V = '519901102205';
const scope = { region: '519901000000', villages: [V], asOf: '2026-01-31' };
const params = (over: Record<string, unknown> = {}) => new Map([[V, rule.params.parse(over)]]);
let n = 0;
const pay = (date: string, o: Partial<Row> = {}): Row => ({
  id: `e${String(++n).padStart(3, '0')}`,
  villageCode: V,
  voucherNo: `记-${date.slice(0, 7)}-${650 + n}`,
  date,
  amountFen: 429_700,
  counterparty: '青山县玉和桂国环卫服务有限公司',
  summary: '垃圾清运费',
  ...o,
});

describe('duplicate-payment', () => {
  it.each([
    { name: 'same amount to the same payee 5 days apart fires', rows: [pay('2025-09-10'), pay('2025-09-15')], fires: 1 },
    { name: 'exactly 7 days apart fires', rows: [pay('2025-09-10'), pay('2025-09-17')], fires: 1 },
    { name: '8 days apart is quiet', rows: [pay('2025-09-10'), pay('2025-09-18')], fires: 0 },
    { name: 'one fen different is quiet', rows: [pay('2025-09-10'), pay('2025-09-12', { amountFen: 429_701 })], fires: 0 },
    {
      name: 'full-width brackets and spaces do not hide the payee',
      rows: [
        pay('2025-09-10', { counterparty: '青山县环卫服务(普通合伙)' }),
        pay('2025-09-12', { counterparty: '青山县环卫服务 （普通合伙）' }),
      ],
      fires: 1,
    },
    { name: 'another payee is quiet', rows: [pay('2025-09-10'), pay('2025-09-12', { counterparty: '青山县底洞林国建材店' })], fires: 0 },
    {
      name: 'the same voucher number is not a second payment',
      rows: [pay('2025-09-10', { voucherNo: '记-1' }), pay('2025-09-12', { voucherNo: '记-1' })],
      fires: 0,
    },
    { name: 'monthly payments of the same amount are quiet', rows: [pay('2025-07-10'), pay('2025-08-10'), pay('2025-09-10')], fires: 0 },
    {
      name: 'a village with a 3-day window is quiet at 5 days',
      rows: [pay('2025-09-10'), pay('2025-09-15')],
      params: params({ days: 3 }),
      fires: 0,
    },
  ])('$name', ({ rows, params: p, fires }) => {
    expect(rule.evaluate(rows, p ?? params(), scope)).toHaveLength(fires);
  });

  it('a chain of weekly repeats is one finding', () => {
    const rows = [pay('2024-02-03'), pay('2024-02-10'), pay('2024-02-17')];
    const found = rule.evaluate(rows, params(), scope);
    expect(found).toHaveLength(1);
    expect(found[0]!.entries).toHaveLength(3);
    expect(found[0]!.subject).toBe(rows[0]!.id);
  });

  it('names both vouchers and the amount', () => {
    const rows = [pay('2025-09-10'), pay('2025-09-15', { summary: '垃圾清运服务费' })];
    const [f] = rule.evaluate(rows, params(), scope);
    expect(f!.figures).toMatchObject({ amountFen: 429_700, count: 2, totalFen: 859_400, spanDays: 5, days: 7 });
    expect(f!.summary).toContain('5 天内以 2 张不同凭证向「青山县玉和桂国环卫服务有限公司」各支付 ¥4,297.00');
    expect(f!.summary).toContain(rows[0]!.voucherNo);
    expect(f!.summary).toContain(rows[1]!.voucherNo);
  });
});
