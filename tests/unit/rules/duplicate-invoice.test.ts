import { describe, expect, it } from 'vitest';
import { rule, type Row } from '../../../jobs/rules/duplicate-invoice.ts';

const V = '519901102202';
const W = '519901103201';
const scope = { region: '519901000000', villages: [V, W], asOf: '2026-01-31' };
const params = new Map([
  [V, rule.params.parse({})],
  [W, rule.params.parse({})],
]);
let n = 0;
const row = (o: Partial<Row> = {}): Row => ({
  id: `e${String(++n).padStart(3, '0')}`,
  villageCode: V,
  voucherNo: `记-2024-10-${650 + n}`,
  date: `2024-10-${String((n % 28) + 1).padStart(2, '0')}`,
  amountFen: 300_100,
  invoiceNo: null,
  voucherShas: [`sha-${n}`],
  ...o,
});

describe('duplicate-invoice', () => {
  it.each([
    { name: 'the same invoice number twice fires', rows: [row({ invoiceNo: '51247733841' }), row({ invoiceNo: '51247733841' })], fires: 1 },
    {
      name: 'spaces, dashes, full-width digits and case do not hide it',
      rows: [row({ invoiceNo: ' 5124-7733 841 ' }), row({ invoiceNo: '５１２４７７３３８４１' })],
      fires: 1,
    },
    {
      name: 'letters in another case are the same invoice',
      rows: [row({ invoiceNo: 'ab-001' }), row({ invoiceNo: 'ＡＢ００１' })],
      fires: 1,
    },
    { name: 'different invoice numbers are quiet', rows: [row({ invoiceNo: '51247733841' }), row({ invoiceNo: '51247733842' })], fires: 0 },
    { name: 'no invoice numbers are quiet', rows: [row(), row()], fires: 0 },
    { name: 'empty invoice numbers are not the same invoice', rows: [row({ invoiceNo: ' ' }), row({ invoiceNo: '-' })], fires: 0 },
    {
      name: 'the same voucher image behind two entries fires',
      rows: [row({ voucherShas: ['abc'] }), row({ voucherShas: ['abc', 'def'] })],
      fires: 1,
    },
    { name: 'one entry with two pages of the same image is quiet', rows: [row({ voucherShas: ['abc', 'abc'] })], fires: 0 },
    {
      name: 'across villages each village in scope gets a finding',
      rows: [row({ invoiceNo: 'X1' }), row({ villageCode: W, invoiceNo: 'X1' })],
      fires: 2,
    },
    {
      name: 'a village outside the scope gets none',
      rows: [row({ invoiceNo: 'X1' }), row({ villageCode: '519901109999', invoiceNo: 'X1' })],
      fires: 1,
    },
  ])('$name', ({ rows, fires }) => {
    expect(rule.evaluate(rows, params, scope)).toHaveLength(fires);
  });

  it('one finding when invoice and image point at the same two entries', () => {
    const rows = [row({ invoiceNo: 'A1', voucherShas: ['same'] }), row({ invoiceNo: 'A1', voucherShas: ['same'] })];
    const found = rule.evaluate(rows, params, scope);
    expect(found).toHaveLength(1);
    expect(found[0]!.figures.kind).toBe('invoice');
  });

  it('lists every entry using the invoice, with amounts in yuan', () => {
    const a = row({ invoiceNo: '51247733841', date: '2024-10-05', amountFen: 300_100 });
    const b = row({ invoiceNo: '51247733841', date: '2024-12-22', amountFen: 240_900 });
    const [f] = rule.evaluate([b, a], params, scope);
    expect(f).toMatchObject({
      subject: `${V}:invoice:51247733841`,
      villageCode: V,
      period: '2024-10',
      severity: 'high',
      figures: { count: 2, totalFen: 541_000 },
    });
    expect(f!.entries.map((e) => e.voucherNo)).toEqual([a.voucherNo, b.voucherNo]);
    expect(f!.summary).toContain('发票号码 51247733841 被 2 笔支出重复使用，合计 ¥5,410.00');
    expect(f!.summary).toContain(`${a.voucherNo}（2024-10-05，¥3,001.00）`);
  });

  it('is deterministic with unique subjects', () => {
    const rows = [
      row({ invoiceNo: 'X1', voucherShas: ['s1'] }),
      row({ villageCode: W, invoiceNo: 'x-1', voucherShas: ['s2'] }),
      row({ voucherShas: ['s2'] }),
    ];
    const one = rule.evaluate(rows, params, scope);
    expect(rule.evaluate([...rows].reverse(), params, scope)).toEqual(one);
    expect(new Set(one.map((f) => f.subject)).size).toBe(one.length);
  });
});
