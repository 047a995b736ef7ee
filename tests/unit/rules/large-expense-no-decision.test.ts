import { describe, expect, it } from 'vitest';
import { rule, type Row } from '../../../jobs/rules/large-expense-no-decision.ts';

const V = '519901101206';
const scope = { region: '519901000000', villages: [V], asOf: '2026-01-31' };
const params = (over: Record<string, unknown> = {}) => new Map([[V, rule.params.parse(over)]]);
let n = 0;
const row = (o: Partial<Row> = {}): Row => ({
  id: `e${++n}`,
  villageCode: V,
  voucherNo: `记-2025-04-${640 + n}`,
  date: '2025-04-18',
  amountFen: 2_126_300,
  summary: '村委会院坝改造工程款',
  accountName: '公益支出',
  decisionRef: null,
  decisionFound: false,
  decidedOn: null,
  ...o,
});
const decided = { decisionRef: '决-2025-01', decisionFound: true, decidedOn: '2025-03-12' };

describe('large-expense-no-decision', () => {
  it.each([
    { name: 'no decision ref fires', rows: [row()], fires: 1, reason: 'no_ref' },
    { name: 'a blank ref counts as none', rows: [row({ decisionRef: '  ' })], fires: 1, reason: 'no_ref' },
    { name: 'an unknown ref fires', rows: [row({ decisionRef: '决-2025-77' })], fires: 1, reason: 'unknown_ref' },
    { name: 'a decision after the payment fires', rows: [row({ ...decided, decidedOn: '2025-08-20' })], fires: 1, reason: 'decided_after' },
    { name: 'a decision before the payment is quiet', rows: [row(decided)], fires: 0 },
    { name: 'a decision on the day of the payment is quiet', rows: [row({ ...decided, decidedOn: '2025-04-18' })], fires: 0 },
    { name: 'just below T_major is quiet', rows: [row({ amountFen: 999_999 })], fires: 0 },
    { name: 'exactly T_major fires', rows: [row({ amountFen: 1_000_000 })], fires: 1, reason: 'no_ref' },
    { name: 'a village with a higher T_major is quiet', rows: [row()], params: params({ majorFen: 3_000_000 }), fires: 0 },
  ])('$name', ({ rows, params: p, fires, reason }) => {
    const found = rule.evaluate(rows, p ?? params(), scope);
    expect(found).toHaveLength(fires);
    if (reason) expect(found[0]!.figures.reason).toBe(reason);
  });

  it('explains each case in a sentence with amounts in yuan', () => {
    const a = row({ amountFen: 2_126_300 });
    const b = row({ decisionRef: '决-2025-77', amountFen: 1_678_000, date: '2025-04-11' });
    const c = row({ ...decided, decisionRef: '决-2025-95', decidedOn: '2025-08-20', amountFen: 2_668_500, date: '2025-07-10' });
    const found = rule.evaluate([c, b, a], params(), scope);
    expect(found.map((f) => f.subject)).toEqual([b.id, a.id, c.id]);
    expect(found[1]!.summary).toContain('支出 ¥21,263.00，达到重大事项标准 ¥10,000.00，但未注明决议编号');
    expect(found[0]!.summary).toContain('所注决议编号「决-2025-77」在本村决议中不存在');
    expect(found[2]!.summary).toContain('决议「决-2025-95」作出于 2025-08-20，晚于付款日期');
    expect(found[2]).toMatchObject({
      severity: 'high',
      period: '2025-07',
      figures: { amountFen: 2_668_500, majorFen: 1_000_000, decidedOn: '2025-08-20' },
    });
    expect(found[2]!.entries).toEqual([{ id: c.id, villageCode: V, voucherNo: c.voucherNo, date: '2025-07-10', amountFen: 2_668_500 }]);
  });
});
