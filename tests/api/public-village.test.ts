// The public village pages' queries (db/public/village.ts) and their server-rendered charts
// (site/lib/charts.ts), on the whole demo county plus a small township made up for the median:
// monthly totals against the publications, accounts against the year, the township median on a
// known case, the filtered ledger (masked text only), an entry's surroundings and its proof.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { demoDir } from '../../db/demo.ts';
import { hashLeaf } from '../../db/ledger/leaf.ts';
import { inclusionProofFor, latestPublication, listPublications, logLeaves, publishedEntry } from '../../db/ledger/queries.ts';
import { verifyInclusion } from '../../db/merkle.ts';
import { containsPersonalNumber } from '../../db/privacy.ts';
import {
  accountTotals,
  entryContext,
  latestEntries,
  ledgerRows,
  monthlyTotals,
  parseLedgerQuery,
  publicLedger,
  rowTotals,
  townshipComparison,
  villageAccounts,
  yearTotals,
  type LedgerFilter,
} from '../../db/public/village.ts';
import { accountChart, cachedChart, cachedChartCount, compactYuan, monthlyChart } from '../../site/lib/charts.ts';
import { ADMIN, useTestApp } from '../support/app.ts';
import { uploadForm } from '../support/policy.ts';

const t = useTestApp({ demo: 'full' });
const truth = JSON.parse(await readFile(path.join(demoDir, 'truth.json'), 'utf8')) as {
  villages: string[];
  pii: { village: string; voucherNo: string; idNo: string; card: string }[];
};

const VILLAGE = '519901101201'; // 沙湾村
const NONE: LedgerFilter = { account: null, direction: null, minFen: null, maxFen: null, text: '' };

// A made-up township for the median: five villages, amounts chosen by hand.
const TOWNSHIP = '519901104000';
const A = '519901104201';
const B = '519901104202';
const C = '519901104203';
const D = '519901104204';
const E = '519901104205';
const HEADER = '日期,凭证号,摘要,科目编码,收入,支出,收付款方,结算方式';
const LEDGERS: Record<string, string[]> = {
  // 51304 招待费: 60.00 in November, 40.00 in December (+ 700.00 in 2024, another year); 51302 10.00.
  [A]: [
    '2024-12-05,记-2024-12-001,去年招待,51304,,700.00,某餐馆,转账',
    '2025-11-03,记-2025-11-001,招待,51304,,60.00,某餐馆,转账',
    '2025-12-03,记-2025-12-001,招待,51304,,40.00,某餐馆,转账',
    '2025-12-04,记-2025-12-002,文具,51302,,10.00,某文具店,现金',
    '2025-12-05,记-2025-12-003,村级运转经费,503,5000.00,,县财政局,转账',
  ],
  // 51304: 20.00 in November, 300.00 in December.
  [B]: ['2025-11-05,记-2025-11-001,招待,51304,,20.00,某餐馆,转账', '2025-12-06,记-2025-12-001,招待,51304,,300.00,某餐馆,转账'],
  // Income only: a village with no spending counts as 0 on every account.
  [C]: ['2025-12-10,记-2025-12-001,补助,503,100.00,,县财政局,转账'],
  // 51304: 50.01 in December.
  [D]: ['2025-12-11,记-2025-12-001,招待,51304,,50.01,某餐馆,转账'],
  // Published through November only: left out of a comparison through December.
  [E]: ['2025-11-12,记-2025-11-001,招待,51304,,9999.99,某餐馆,转账'],
};
const THROUGH: Record<string, string> = { [A]: '2025-12', [B]: '2025-12', [C]: '2025-12', [D]: '2025-12', [E]: '2025-11' };
let reversalId = '';
let reversedId = '';

beforeAll(async () => {
  const cookie = await t.signIn(ADMIN.username, ADMIN.password);
  const call = async (method: string, url: string, init: { json?: unknown; body?: FormData }, expected: number) => {
    const res = await t.request(url, { method, cookie, ...init });
    expect(res.status, `${method} ${url}: ${await res.clone().text()}`).toBe(expected);
    return res;
  };
  await call(
    'PUT',
    '/api/v1/regions',
    {
      json: [
        { code: TOWNSHIP, name: '测试镇' },
        { code: A, name: '甲村' },
        { code: B, name: '乙村' },
        { code: C, name: '丙村' },
        { code: D, name: '丁村' },
        { code: E, name: '戊村' },
      ],
    },
    200,
  );
  for (const [code, lines] of Object.entries(LEDGERS)) {
    await call('PUT', `/api/v1/villages/${code}/opening-balance`, { json: { date: '2024-11-30', amountFen: 1_000_000 } }, 200);
    await call('POST', `/api/v1/villages/${code}/imports`, { body: uploadForm('ledger.csv', [HEADER, ...lines].join('\n')) }, 201);
    await call('POST', `/api/v1/villages/${code}/publications`, { json: { through: THROUGH[code] } }, 200);
  }
  // A reverses its November hospitality in January 2026 and publishes that.
  const november = (await ledgerRows(t.database.db, A, '2025-11', NONE))[0]!;
  reversedId = november.id;
  const reversal = await call(
    'POST',
    `/api/v1/villages/${A}/entries/${november.id}/reversal`,
    { json: { date: '2026-01-10', voucherNo: '记-2026-01-001', reason: '重复报销' } },
    201,
  );
  reversalId = ((await reversal.json()) as { id: string }).id;
  await call('POST', `/api/v1/villages/${A}/publications`, { json: { through: '2026-01' } }, 200);
}, 300_000);

describe('a village’s year', () => {
  it('monthly totals equal the published periods’ totals, for every demo village and year', async () => {
    const db = t.database.db;
    for (const code of truth.villages) {
      const pubs = await listPublications(db, code);
      for (const year of [2024, 2025]) {
        const months = await monthlyTotals(db, code, year);
        const expected = pubs.filter((p) => p.period.startsWith(`${year}-`));
        expect(months.map((m) => m.period), code).toEqual(expected.map((p) => p.period));
        expect(months.map((m) => [m.incomeFen, m.expenseFen, m.entries]), code).toEqual(
          expected.map((p) => [p.incomeFen, p.expenseFen, p.entryCount]),
        );
        for (const m of months) expect(Number.isSafeInteger(m.incomeFen) && Number.isSafeInteger(m.expenseFen)).toBe(true);
      }
    }
  });

  it('the year’s totals and accounts add up to the same, and the balance chains', async () => {
    const db = t.database.db;
    const totals = (await yearTotals(db, VILLAGE, 2025))!;
    const pubs = (await listPublications(db, VILLAGE)).filter((p) => p.period.startsWith('2025-'));
    expect(totals.periods).toBe(12);
    expect(totals.firstPeriod).toBe('2025-01');
    expect(totals.lastPeriod).toBe('2025-12');
    expect(totals.incomeFen).toBe(pubs.reduce((s, p) => s + p.incomeFen, 0));
    expect(totals.expenseFen).toBe(pubs.reduce((s, p) => s + p.expenseFen, 0));
    expect(totals.entries).toBe(pubs.reduce((s, p) => s + p.entryCount, 0));
    expect(totals.openingFen).toBe(pubs[0]!.openingFen);
    expect(totals.closingFen).toBe(pubs.at(-1)!.closingFen);
    expect(totals.closingFen).toBe(totals.openingFen + totals.incomeFen - totals.expenseFen);
    expect(totals.closingFen).toBe((await latestPublication(db, VILLAGE))!.closingFen);

    const accounts = await accountTotals(db, VILLAGE, 2025);
    const sum = (d: 'income' | 'expense') => accounts.filter((a) => a.direction === d).reduce((s, a) => s + a.amountFen, 0);
    expect(sum('income')).toBe(totals.incomeFen);
    expect(sum('expense')).toBe(totals.expenseFen);
    expect(accounts.reduce((s, a) => s + a.entries, 0)).toBe(totals.entries);
    const hospitality = accounts.find((a) => a.accountCode === '51304')!;
    expect(hospitality).toMatchObject({ accountName: '招待费', direction: 'expense', nonProductive: true });
    expect(await yearTotals(db, VILLAGE, 2019)).toBeNull();
  });

  it('reversals net off in their own period', async () => {
    const db = t.database.db;
    expect(await monthlyTotals(db, A, 2026)).toEqual([{ period: '2026-01', incomeFen: 0, expenseFen: -6000, entries: 1 }]);
    expect(await accountTotals(db, A, 2026)).toMatchObject([{ accountCode: '51304', amountFen: -6000, entries: 1 }]);
  });

  it('lists the latest entries newest first, masked', async () => {
    const latest = await latestEntries(t.database.db, VILLAGE, 10);
    expect(latest).toHaveLength(10);
    for (let i = 1; i < latest.length; i++) expect(latest[i - 1]!.date >= latest[i]!.date).toBe(true);
    expect(latest[0]!.period).toBe('2025-12');
    for (const e of latest) expect(containsPersonalNumber(`${e.summary} ${e.counterparty ?? ''} ${e.handler ?? ''}`)).toBe(false);
  });
});

describe('the township median', () => {
  it('over the villages that reached the period, counting no spending as 0 (known case)', async () => {
    const cmp = await townshipComparison(t.database.db, A, '2025-12');
    expect(cmp).toMatchObject({ fromPeriod: '2025-01', through: '2025-12', villages: 4 });
    // 51304 over 2025: A 100.00, B 320.00, C 0, D 50.01 (E left out; A's 2024 entry another year;
    // A's reversal is in 2026) → median (50.01 + 100.00) / 2 = 75.005 yuan, rounded to 7501 fen.
    // 51302: A 10.00, the others 0 → median 0.
    expect(cmp.rows).toEqual([
      { accountCode: '51302', accountName: '办公费', nonProductive: true, villageFen: 1000, medianFen: 0 },
      { accountCode: '51304', accountName: '招待费', nonProductive: true, villageFen: 10000, medianFen: 7501 },
    ]);
    const forD = await townshipComparison(t.database.db, D, '2025-12');
    expect(forD.rows.map((r) => [r.accountCode, r.villageFen, r.medianFen])).toEqual([
      ['51302', 0, 0],
      ['51304', 5001, 7501],
    ]);
  });

  it('an odd number of villages gives the middle one', async () => {
    // Through November all five count: 51304 is A 60.00, B 20.00, C 0, D 0, E 9999.99 → 20.00.
    const cmp = await townshipComparison(t.database.db, E, '2025-11');
    expect(cmp.villages).toBe(5);
    expect(cmp.rows).toEqual([{ accountCode: '51304', accountName: '招待费', nonProductive: true, villageFen: 999999, medianFen: 2000 }]);
  });

  it('matches a median computed by hand for a demo township', async () => {
    const db = t.database.db;
    const township = truth.villages.filter((v) => v.startsWith(VILLAGE.slice(0, 9)));
    const perVillage = new Map<string, Map<string, number>>();
    for (const code of township) {
      const totals = new Map<string, number>();
      for (const a of await accountTotals(db, code, 2025)) if (a.direction === 'expense') totals.set(a.accountCode, a.amountFen);
      perVillage.set(code, totals);
    }
    const cmp = await townshipComparison(db, VILLAGE, '2025-12');
    expect(cmp.villages).toBe(township.length);
    const codes = new Set([...perVillage.values()].flatMap((m) => [...m.keys()]));
    expect(cmp.rows.map((r) => r.accountCode)).toEqual([...codes].sort());
    for (const row of cmp.rows) {
      const values = township.map((v) => perVillage.get(v)!.get(row.accountCode) ?? 0).sort((x, y) => x - y);
      const mid = values.length / 2;
      // Even count: the mean of the middle two, rounded half away from zero to the fen (integers only).
      const twice = values.length % 2 ? 2 * values[Math.floor(mid)]! : values[mid - 1]! + values[mid]!;
      const median = twice % 2 === 0 ? twice / 2 : (twice + Math.sign(twice)) / 2;
      expect(row.medianFen, row.accountCode).toBe(median);
      expect(row.villageFen, row.accountCode).toBe(perVillage.get(VILLAGE)!.get(row.accountCode) ?? 0);
    }
  });
});

describe('the filtered ledger', () => {
  it('reads the GET parameters; amounts in yuan become fen without floats', () => {
    const q = parseLedgerQuery(new URLSearchParams('period=2025-10&account=51304&direction=expense&min=1,234.5&max=２０００&q= 招待 '));
    expect(q.period).toBe('2025-10');
    expect(q.filter).toEqual({ account: '51304', direction: 'expense', minFen: 123450, maxFen: 200000, text: '招待' });
    expect(q.problems).toEqual([]);
    expect(q.filtered).toBe(true);
    const bad = parseLedgerQuery(new URLSearchParams('period=2025-13&account=abc&direction=up&min=1.234&max=-5'));
    expect(bad.period).toBeNull();
    expect(bad.filter).toEqual(NONE);
    expect(bad.problems.map((p) => p.field)).toEqual(['period', 'account', 'direction', 'min', 'max']);
    expect(parseLedgerQuery(new URLSearchParams('')).filtered).toBe(false);
  });

  it('filters by account, direction and amount in SQL, and totals the rows shown', async () => {
    const db = t.database.db;
    const all = await ledgerRows(db, VILLAGE, '2025-10', NONE);
    expect(all.length).toBe((await listPublications(db, VILLAGE)).find((p) => p.period === '2025-10')!.entryCount);
    const hospitality = await ledgerRows(db, VILLAGE, '2025-10', { ...NONE, account: '51304' });
    expect(hospitality.length).toBeGreaterThan(0);
    expect(hospitality.every((r) => r.accountCode === '51304' && r.accountName === '招待费')).toBe(true);
    expect(hospitality).toEqual(all.filter((r) => r.accountCode === '51304'));
    // A 3-digit account takes its sub-accounts.
    expect(await ledgerRows(db, VILLAGE, '2025-10', { ...NONE, account: '513' })).toEqual(all.filter((r) => r.accountCode.startsWith('513')));
    const income = await ledgerRows(db, VILLAGE, '2025-10', { ...NONE, direction: 'income' });
    expect(income).toEqual(all.filter((r) => r.direction === 'income'));
    const ranged = await ledgerRows(db, VILLAGE, '2025-10', { ...NONE, minFen: 10000, maxFen: 100000 });
    expect(ranged).toEqual(all.filter((r) => Math.abs(r.amountFen) >= 10000 && Math.abs(r.amountFen) <= 100000));
    const totals = rowTotals(hospitality);
    expect(totals).toEqual({ incomeFen: 0, expenseFen: hospitality.reduce((s, r) => s + r.amountFen, 0), count: hospitality.length });
    const accounts = await villageAccounts(db, VILLAGE);
    expect(accounts.find((a) => a.code === '51304')?.name).toBe('招待费');
  });

  it('matches text in the masked summary and counterparty only: hidden numbers are not searchable', async () => {
    const db = t.database.db;
    for (const pii of truth.pii) {
      const entry = (await latestEntries(db, pii.village, 1000)).find((e) => e.voucherNo === pii.voucherNo)!;
      const period = entry.period;
      const all = await ledgerRows(db, pii.village, period, NONE);
      const row = all.find((r) => r.id === entry.id)!;
      expect(row.summary).not.toContain(pii.idNo);
      expect(row.summary).not.toContain(pii.card);
      expect(containsPersonalNumber(row.summary)).toBe(false);
      // The hidden middle of the ID number and the hidden start of the card find nothing…
      expect(await ledgerRows(db, pii.village, period, { ...NONE, text: pii.idNo.slice(6, 14) })).toEqual([]);
      expect(await ledgerRows(db, pii.village, period, { ...NONE, text: pii.card.slice(0, 12) })).toEqual([]);
      expect(await ledgerRows(db, pii.village, period, { ...NONE, text: pii.idNo })).toEqual([]);
      // …while what the public sees does.
      const visible = row.summary.slice(0, 4);
      expect((await ledgerRows(db, pii.village, period, { ...NONE, text: visible })).map((r) => r.id)).toContain(row.id);
    }
  });

  it('gives the page and its downloads the same rows for the same parameters', async () => {
    const db = t.database.db;
    const params = new URLSearchParams('period=2025-10&account=51304');
    const ledger = (await publicLedger(db, VILLAGE, params))!;
    expect(ledger.period).toBe('2025-10');
    expect(ledger.publication?.period).toBe('2025-10');
    expect(ledger.rows).toEqual(await ledgerRows(db, VILLAGE, '2025-10', { ...NONE, account: '51304' }));
    expect(ledger.shown).toEqual(rowTotals(ledger.rows));
    expect(ledger.periods[0]).toBe('2025-12');
    expect(ledger.periods).toHaveLength(24);
    // Default: the latest period; an unpublished one: no rows; not a village: null.
    expect((await publicLedger(db, VILLAGE, new URLSearchParams()))!.period).toBe('2025-12');
    const future = (await publicLedger(db, VILLAGE, new URLSearchParams('period=2030-01')))!;
    expect([future.period, future.publication, future.rows]).toEqual(['2030-01', null, []]);
    expect(await publicLedger(db, TOWNSHIP, params)).toBeNull();
    expect(await publicLedger(db, 'abc', params)).toBeNull();
  });
});

describe('an entry’s surroundings', () => {
  it('its checkpoint, and an inclusion proof that leads from its leaf to the checkpoint’s root', async () => {
    const db = t.database.db;
    const entry = (await latestEntries(db, VILLAGE, 400)).find((e) => e.decisionRef)!;
    const full = (await publishedEntry(db, VILLAGE, entry.id))!;
    const ctx = await entryContext(db, VILLAGE, full);
    const pub = (await listPublications(db, VILLAGE)).find((p) => p.period === entry.period)!;
    expect(ctx.publication).toMatchObject({ period: pub.period, treeSize: pub.treeSize, rootHash: pub.rootHash });
    expect(ctx.publication!.checkpoint).toContain(`\n${pub.treeSize}\n`);
    expect(ctx.decision?.ref).toBe(entry.decisionRef);
    expect(ctx.decision?.title).toBeTruthy();
    expect(ctx.reverses).toBeNull();
    expect(ctx.reversedBy).toBeNull();
    expect(ctx.thumbnails.size).toBe(full.vouchers.filter((v) => v.mime !== 'application/pdf').length);

    const [leaf] = await logLeaves(db, VILLAGE, full.leafIndex, full.leafIndex + 1);
    const proof = await inclusionProofFor(db, VILLAGE, full.leafIndex, pub.treeSize);
    expect(
      verifyInclusion(hashLeaf(leaf!), full.leafIndex, pub.treeSize, proof.map((h) => Buffer.from(h, 'hex')), Buffer.from(pub.rootHash, 'hex')),
    ).toBe(true);
  });

  it('links a reversal and the entry it reverses, both ways', async () => {
    const db = t.database.db;
    const original = (await publishedEntry(db, A, reversedId))!;
    const reversal = (await publishedEntry(db, A, reversalId))!;
    expect(reversal.reversesId).toBe(reversedId);
    expect((await entryContext(db, A, original)).reversedBy).toMatchObject({ id: reversalId, voucherNo: '记-2026-01-001', amountFen: -6000 });
    const back = await entryContext(db, A, reversal);
    expect(back.reverses).toMatchObject({ id: reversedId, date: '2025-11-03', amountFen: 6000 });
    expect(back.reversedBy).toBeNull();
    expect(back.publication?.period).toBe('2026-01');
  });
});

describe('charts rendered on the server', () => {
  it('are SVG with a text alternative, no script and no inline style (the CSP forbids both)', async () => {
    const months = await monthlyTotals(t.database.db, VILLAGE, 2025);
    const chart = monthlyChart('zh', 2025, months);
    expect(chart.svg.startsWith('<svg role="img" aria-label="')).toBe(true);
    expect(chart.svg).toContain(`aria-label="${chart.label}"`);
    expect(chart.label).toContain('2025 年');
    expect(chart.label).toMatch(/收入合计 ¥[\d,]+\.\d\d，支出合计 ¥[\d,]+\.\d\d/);
    expect(chart.svg).not.toMatch(/<script/i);
    expect(chart.svg).not.toMatch(/<style/i);
    expect(chart.svg).not.toMatch(/\sstyle=/);
    expect(chart.svg).not.toMatch(/\son[a-z]+=/i);
    expect(chart.svg).toContain('viewBox=');
    expect(chart.svg).toContain("'PingFang SC'");
    expect(chart.svg).toContain('#0b57a4');
    expect(chart.svg).toContain('#b4232a');
    expect(chart.svg).toContain('>收入<');
    expect(chart.table.rows).toHaveLength(12);
    expect(chart.table.rows[0]).toEqual(['2025-01', expect.stringMatching(/^¥/), expect.stringMatching(/^¥/)]);

    const spending = (await accountTotals(t.database.db, VILLAGE, 2025)).filter((a) => a.direction === 'expense');
    const en = accountChart('en', 2025, spending);
    expect(en.label).toMatch(/^Bar chart of spending by account, 2025/);
    expect(en.svg).toContain('role="img"');
    expect(en.svg).not.toMatch(/<script|<style|\sstyle=/i);
    expect(en.svg).toContain('>招待费<');
    expect(en.table.rows[0]![0]).toBe(`${spending[0]!.accountCode} ${spending[0]!.accountName}`);
  });

  it('escape what they are given', () => {
    const chart = accountChart('zh', 2025, [{ accountCode: '515', accountName: '<b>"&</b>', amountFen: 100 }]);
    expect(chart.svg).not.toContain('<b>');
    expect(chart.svg).toContain('aria-label="2025 年按科目的支出条形图，共 1 个科目，合计 ¥1.00。最多的是：&lt;b&gt;&quot;&amp;&lt;/b&gt; ¥1.00。');
  });

  it('are cached per key, within a bounded size', () => {
    let renders = 0;
    const render = () => {
      renders++;
      return monthlyChart('en', 2025, [{ period: '2025-01', incomeFen: 100, expenseFen: 50 }]);
    };
    const first = cachedChart('test|root-1', render);
    expect(cachedChart('test|root-1', render)).toBe(first);
    expect(renders).toBe(1);
    cachedChart('test|root-2', render);
    expect(renders).toBe(2);
    const cheap = () => first;
    for (let i = 0; i < 400; i++) cachedChart(`test|filler-${i}`, cheap);
    expect(cachedChartCount()).toBeLessThanOrEqual(300);
    cachedChart('test|root-1', render); // evicted long ago: rendered again
    expect(renders).toBe(3);
  });

  it('label axes with whole yuan from integer fen', () => {
    expect(compactYuan(0, 'zh')).toBe('¥0');
    expect(compactYuan(150_000, 'zh')).toBe('¥1,500');
    expect(compactYuan(2_500_000, 'zh')).toBe('¥2.5万');
    expect(compactYuan(100_000_000, 'zh')).toBe('¥100万');
    expect(compactYuan(2_500_000, 'en')).toBe('¥25k');
    expect(compactYuan(150_000, 'en')).toBe('¥1.5k');
    expect(compactYuan(-2_500_000, 'zh')).toBe('-¥2.5万');
  });
});
