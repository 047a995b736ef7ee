import { describe, expect, it } from 'vitest';
import { partyKey } from '../../../jobs/rules/lib.ts';
import { namesPerson, OWN_ACCOUNT_SUFFIXES, rule, type Input, type Row } from '../../../jobs/rules/related-party.ts';

const V = '519901101201';
const W = '519901101202';
const scope = { region: '519901000000', villages: [V, W], asOf: '2026-01-31' };
const params = new Map([
  [V, rule.params.parse({})],
  [W, rule.params.parse({})],
]);
const people: Input['people'] = [
  { villageCode: V, name: '崔伟', post: '党支部书记、村委会主任' },
  { villageCode: V, name: '毛红', post: '报账员' },
  { villageCode: W, name: '张春', post: '村委会副主任' },
  { villageCode: V, name: '王会计', post: '经办人' },
];
let n = 0;
const row = (o: Partial<Row> = {}): Row => ({
  id: `e${++n}`,
  villageCode: V,
  voucherNo: `记-2025-03-${600 + n}`,
  date: '2025-03-12',
  amountFen: 85_000,
  accountCode: '51302',
  accountName: '办公费',
  summary: '购买办公用品',
  counterparty: '崔伟',
  handler: '毛红',
  ...o,
});
const run = (entries: Row[]) => rule.evaluate({ entries, people }, params, scope);

describe('related-party', () => {
  it.each([
    { name: 'office supplies paid to the village head fires', rows: [row()], fires: 1 },
    { name: 'his pay (51301) is quiet', rows: [row({ accountCode: '51301', accountName: '报酬' })], fires: 0 },
    { name: 'his travel (51303) is quiet', rows: [row({ accountCode: '51303', accountName: '差旅费' })], fires: 0 },
    { name: 'his meeting costs (51305) are quiet', rows: [row({ accountCode: '51305', accountName: '会议费' })], fires: 0 },
    { name: 'a repair paid to the accountant fires', rows: [row({ accountCode: '51306', counterparty: '毛 红' })], fires: 1 },
    { name: 'the official trading on his own account fires', rows: [row({ counterparty: '崔伟（个体）' })], fires: 1 },
    { name: 'a shop whose name contains the official’s is not evidence', rows: [row({ counterparty: '青山县底洞崔伟五金店' })], fires: 0 },
    { name: 'a person whose name merely contains it is quiet', rows: [row({ counterparty: '崔伟明' })], fires: 0 },
    { name: 'an ordinary supplier is quiet', rows: [row({ counterparty: '青山县底洞明华文具店' })], fires: 0 },
    { name: 'an official of another village is quiet', rows: [row({ counterparty: '张春' })], fires: 0 },
    { name: 'paying the handler of the entry fires', rows: [row({ counterparty: '李四', handler: '李四' })], fires: 1 },
    { name: 'paying someone who handles the village’s entries fires', rows: [row({ counterparty: '王会计', handler: '毛红' })], fires: 1 },
  ])('$name', ({ rows, fires }) => {
    expect(run(rows)).toHaveLength(fires);
  });

  it('matches names and businesses', () => {
    expect(namesPerson('崔伟', '崔伟')).toBe('same');
    expect(namesPerson('崔伟个体工商户', '崔伟')).toBe('own-account');
    expect(namesPerson('崔 伟', '崔伟')).toBe('same');
    expect(namesPerson('崔伟五金店', '崔伟')).toBeNull();
    expect(namesPerson('崔伟明', '崔伟')).toBeNull();
    expect(namesPerson('崔伟（个体户）', '崔伟')).toBe('own-account');
    expect(namesPerson('崔伟(个体', '崔伟')).toBe('own-account');
    expect(namesPerson('崔伟个人', '崔伟')).toBe('own-account');
    expect(namesPerson('崔伟个体五金店', '崔伟')).toBeNull();
    expect(namesPerson('崔伟（个人）', '崔伟')).toBeNull();
  });

  it('lists the own-account marks as stored keys (the query looks payees up by equality)', () => {
    expect(new Set(OWN_ACCOUNT_SUFFIXES).size).toBe(OWN_ACCOUNT_SUFFIXES.length);
    for (const suffix of OWN_ACCOUNT_SUFFIXES) expect(partyKey(suffix)).toBe(suffix);
    expect(OWN_ACCOUNT_SUFFIXES).toContain('(个体工商户)');
    expect(OWN_ACCOUNT_SUFFIXES).not.toContain('（个体工商户）');
  });

  it('says who was paid', () => {
    const r = row();
    const [f] = run([r]);
    expect(f).toMatchObject({
      subject: r.id,
      villageCode: V,
      period: '2025-03',
      severity: 'high',
      figures: { amountFen: 85_000, accountCode: '51302', counterparty: '崔伟' },
    });
    expect(f!.summary).toBe(
      `2025-03-12 凭证 ${r.voucherNo}「购买办公用品」（办公费）向「崔伟」支付 ¥850.00，收款方即本村党支部书记、村委会主任崔伟`,
    );
  });
});
