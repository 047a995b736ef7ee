import { describe, expect, it } from 'vitest';
import { rule, type Row } from '../../../jobs/rules/single-expense-cap.ts';

const V = '519901101201';
const W = '519901101202';
const scope = { region: '519901000000', villages: [V, W], asOf: '2026-01-31' };
const params = (over: Record<string, unknown> = {}, overW: Record<string, unknown> = {}) =>
  new Map([
    [V, rule.params.parse(over)],
    [W, rule.params.parse(overW)],
  ]);
let n = 0;
const row = (o: Partial<Row> = {}): Row => ({
  id: `e${++n}`,
  villageCode: V,
  voucherNo: `记-2025-07-${String(n).padStart(3, '0')}`,
  date: '2025-07-14',
  amountFen: 126_000,
  accountCode: '51304',
  accountName: '招待费',
  summary: '接待上级检查组用餐',
  ...o,
});

describe('single-expense-cap', () => {
  it.each([
    { name: 'hospitality over ¥500 fires', rows: [row()], fires: 1 },
    { name: 'exactly at the cap does not fire', rows: [row({ amountFen: 50_000 })], fires: 0 },
    { name: 'one fen over the cap fires', rows: [row({ amountFen: 50_001 })], fires: 1 },
    {
      name: 'an uncapped account does not fire',
      rows: [row({ accountCode: '51302', accountName: '办公费', amountFen: 900_000 })],
      fires: 0,
    },
    {
      name: 'a village that raised its cap is quiet',
      rows: [row({ amountFen: 80_000 })],
      params: params({ caps: { '51304': 100_000 } }),
      fires: 0,
    },
    { name: 'a village that lifted the cap is quiet', rows: [row()], params: params({ caps: { '51304': null } }), fires: 0 },
    {
      name: 'a cap set on a 3-digit account covers its sub-accounts',
      rows: [row({ accountCode: '51302', amountFen: 300_001 })],
      params: params({ caps: { '513': 300_000 } }),
      fires: 1,
    },
    {
      name: 'each village gets its own cap',
      rows: [row({ amountFen: 80_000 }), row({ villageCode: W, amountFen: 80_000 })],
      params: params({}, { caps: { '51304': 100_000 } }),
      fires: 1,
    },
  ])('$name', ({ rows, params: p, fires }) => {
    expect(rule.evaluate(rows, p ?? params(), scope)).toHaveLength(fires);
  });

  it('says what crossed the line, in yuan, with the voucher', () => {
    const r = row({ amountFen: 126_000 });
    const [f] = rule.evaluate([r], params(), scope);
    expect(f).toMatchObject({
      subject: r.id,
      villageCode: V,
      regionCode: V,
      period: '2025-07',
      severity: 'medium',
      title: '招待费单笔超限',
      figures: { amountFen: 126_000, capFen: 50_000, excessFen: 76_000, accountCode: '51304' },
      entries: [{ id: r.id, voucherNo: r.voucherNo, date: '2025-07-14', amountFen: 126_000, villageCode: V }],
    });
    expect(f!.summary).toContain('招待费单笔 ¥1,260.00，超过限额 ¥500.00');
    expect(f!.summary).toContain(r.voucherNo);
  });

  it('the most specific cap applies', () => {
    const [f] = rule.evaluate([row({ amountFen: 60_000 })], params({ caps: { '513': 1_000_000 } }), scope);
    expect(f!.figures.capFen).toBe(50_000);
  });

  it('masks personal numbers quoted from the summary', () => {
    const [f] = rule.evaluate([row({ summary: '招待 身份证 519901197508251242' })], params(), scope);
    expect(f!.summary).not.toContain('519901197508251242');
  });
});
