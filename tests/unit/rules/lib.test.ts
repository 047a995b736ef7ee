// Shared helpers of the check rules: money in yuan, reference normalisation, dates; and the rule list.
import { describe, expect, it } from 'vitest';
import { rules } from '../../../jobs/rules/index.ts';
import { addDays, daysBetween, normalizeRef, partyKey, sameInputs, yuan } from '../../../jobs/rules/lib.ts';

describe('yuan (integer fen → people)', () => {
  it.each([
    [0, '¥0.00'],
    [5, '¥0.05'],
    [50_000, '¥500.00'],
    [126_000, '¥1,260.00'],
    [100_000_001, '¥1,000,000.01'],
    [-126_050, '-¥1,260.50'],
    [Number.MAX_SAFE_INTEGER, '¥90,071,992,547,409.91'],
  ])('%i fen is %s', (fen, text) => {
    expect(yuan(fen)).toBe(text);
  });

  it('refuses fractions of a fen', () => {
    expect(() => yuan(1.5)).toThrow();
  });
});

describe('normalizeRef (invoice numbers, decision refs)', () => {
  it.each([
    [' 5124 7733 841 ', '51247733841'],
    ['５１２４７７３３８４１', '51247733841'],
    ['No.5124-7733-841', 'NO.51247733841'],
    ['ａｂ－１２', 'AB12'],
    ['ab—12', 'AB12'],
    ['决－2025－01', '决202501'],
    [null, ''],
    ['  ', ''],
  ])('%s → %s', (raw, norm) => {
    expect(normalizeRef(raw)).toBe(norm);
  });
});

describe('partyKey (names of payees)', () => {
  it('ignores white space and full-width forms', () => {
    expect(partyKey('青山县 底洞（普通合伙）')).toBe(partyKey('青山县底洞(普通合伙)'));
    expect(partyKey('崔　伟')).toBe('崔伟');
    expect(partyKey('崔伟')).not.toBe(partyKey('崔伟明'));
  });
});

describe('dates', () => {
  it('counts days and adds them across months and years', () => {
    expect(daysBetween('2024-02-03', '2024-03-04')).toBe(30);
    expect(daysBetween('2025-12-31', '2026-01-01')).toBe(1);
    expect(addDays('2026-01-31', -31)).toBe('2025-12-31');
  });
});

describe('the rule list', () => {
  it('has the 15 rules of the product table, in its order, each with defaults', () => {
    expect(rules.map((r) => r.id)).toEqual([
      'single-expense-cap',
      'period-cap',
      'large-expense-no-decision',
      'split-payment',
      'near-threshold',
      'cash-over-limit',
      'missing-voucher',
      'duplicate-invoice',
      'duplicate-payment',
      'peer-outlier',
      'history-spike',
      'benford',
      'round-amounts',
      'related-party',
      'publication-overdue',
    ]);
    for (const r of rules) {
      expect(r.version).toBe(1);
      expect(r.title.zh && r.title.en && r.description.zh && r.description.en && r.basis).toBeTruthy();
      expect(() => r.params.parse({})).not.toThrow();
    }
  });

  it('has the product defaults (money in fen)', () => {
    const defaults = Object.fromEntries(rules.map((r) => [r.id, r.params.parse({})])) as Record<string, Record<string, unknown>>;
    expect(defaults['single-expense-cap']!.caps).toEqual({ '51304': 50_000 });
    expect(defaults['period-cap']!.caps).toEqual({ '51304': { month: null, year: 300_000 } });
    expect(defaults['large-expense-no-decision']).toEqual({ majorFen: 1_000_000 });
    expect(defaults['split-payment']).toMatchObject({ majorFen: 1_000_000, windowDays: 30 });
    expect(defaults['near-threshold']).toMatchObject({ majorFen: 1_000_000, band: 0.95, count: 3, windowDays: 90 });
    expect(defaults['cash-over-limit']).toEqual({ limitFen: 100_000 });
    expect(defaults['missing-voucher']).toEqual({ graceDays: 0 });
    expect(defaults['duplicate-payment']).toEqual({ days: 7 });
    expect(defaults['peer-outlier']).toMatchObject({ threshold: 3.5, minPeers: 8 });
    expect(defaults['history-spike']).toMatchObject({ k: 3, minMonths: 10, lookbackMonths: 24 });
    expect(defaults['benford']).toMatchObject({ mad: 0.015, ratio: 2, minCount: 500 });
    expect(defaults['round-amounts']).toMatchObject({ share: 0.2, minCount: 30, minAmountFen: 100_000, unitFen: 10_000 });
    expect(defaults['publication-overdue']).toEqual({ deadlineDay: 15 });
  });

  it('keeps a default cap when a region sets another account (parameters merge key by key)', () => {
    const single = rules.find((r) => r.id === 'single-expense-cap')!;
    expect(single.params.parse({ caps: { '51303': 200_000 } })).toEqual({ caps: { '51304': 50_000, '51303': 200_000 } });
    expect(single.params.parse({ caps: { '51304': null } })).toEqual({ caps: { '51304': null } });
    expect(() => single.params.parse({ caps: { abc: 1 } })).toThrow();
    const period = rules.find((r) => r.id === 'period-cap')!;
    expect(period.params.parse({ caps: { '51304': { month: 100_000 } } })).toEqual({
      caps: { '51304': { month: 100_000, year: 300_000 } },
    });
  });
});

describe('sameInputs', () => {
  it('computes once for the same three arguments and again when any differs', () => {
    let calls = 0;
    const sum = sameInputs((xs: number[], k: number, scope: { n: number }) => {
      calls++;
      return xs.reduce((s, x) => s + x * k, scope.n);
    });
    const xs = [1, 2, 3];
    const scope = { n: 1 };
    expect(sum(xs, 2, scope)).toBe(13);
    expect(sum(xs, 2, scope)).toBe(13);
    expect(calls).toBe(1);
    expect(sum(xs, 3, scope)).toBe(19);
    expect(sum(xs, 3, { n: 1 })).toBe(19);
    expect(sum([1, 2, 3], 3, scope)).toBe(19);
    expect(calls).toBe(4);
  });
});
