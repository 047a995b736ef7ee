// A check run over two counties: the demo county and a copy of it under another county code
// (regions, officials, decisions and ledger, invoice numbers marked so the copies are not
// duplicates of the originals; vouchers and publications are not copied). The run goes county
// by county — on PostgreSQL two counties at once, each on its own connection — and must find in
// each county what a run one county at a time finds, without one county's alerts touching the
// other's.
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { drainRuns, scopeOf } from '../../jobs/checks.ts';
import type { CheckRun } from '../../db/checks.ts';
import { queryRows } from '../../jobs/rules/lib.ts';
import { ADMIN, useTestApp } from '../support/app.ts';

const t = useTestApp({ demo: 'full' });
const ORIGINAL = '519901';
const COPY = '519902';
/** Rules whose findings in a village depend only on that village and its county peers (all copied). */
const TWINNED = ['single-expense-cap', 'split-payment', 'related-party', 'peer-outlier', 'history-spike', 'cash-over-limit', 'large-expense-no-decision'];

type AlertRow = { fingerprint: string; rule_id: string; village_code: string | null; region_code: string; status: string; summary: string };
const alertRows = () =>
  queryRows<AlertRow>(
    t.database.db,
    sql`select fingerprint, rule_id, village_code, region_code, status, summary from alerts order by rule_id, region_code, fingerprint`,
  );

let admin = '';

beforeAll(async () => {
  admin = await t.signIn(ADMIN.username, ADMIN.password);
  const copyCode = (column: string) => sql.raw(`'${COPY}' || substr(${column}, 7)`);
  const newId = (column: string) => sql.raw(`md5(${column}::text || '-copy')::uuid`);
  await t.database.db.transaction(async (tx) => {
    await tx.execute(sql`insert into regions (code, name, level, parent_code, created_at, updated_at)
      select ${copyCode('code')}, name || '（二）', level,
             case when level = 'county' then parent_code else ${copyCode('parent_code')} end, created_at, updated_at
        from regions where code like ${`${ORIGINAL}%`}`);
    await tx.execute(sql`insert into officials (id, village_code, position, name, post, duties)
      select ${newId('id')}, ${copyCode('village_code')}, position, name, post, duties
        from officials where village_code like ${`${ORIGINAL}%`}`);
    await tx.execute(sql`insert into decisions (id, village_code, ref, title, decided_on, amount_fen, created_at)
      select ${newId('id')}, ${copyCode('village_code')}, ref, title, decided_on, amount_fen, created_at
        from decisions where village_code like ${`${ORIGINAL}%`}`);
    await tx.execute(sql`insert into ledger_entries (id, village_code, date, period, year, voucher_no, summary, account_standard,
        account_code, direction, amount_fen, counterparty, payment_method, invoice_no, handler, decision_ref, batch_id, source_row,
        status, reverses_id, salt, created_at, created_by, publication_id, leaf_index, leaf_hash)
      select ${newId('id')}, ${copyCode('village_code')}, date, period, year, voucher_no, summary, account_standard,
             account_code, direction, amount_fen, counterparty, payment_method, invoice_no || 'B', handler, decision_ref, batch_id, source_row,
             status, case when reverses_id is null then null else ${newId('reverses_id')} end, salt, created_at, created_by, publication_id,
             leaf_index, leaf_hash
        from ledger_entries where village_code like ${`${ORIGINAL}%`}`);
  });
});

const runAll = async (concurrency: number, region = '000000000000') => {
  const res = await t.request('/api/v1/checks/runs', { method: 'POST', json: { asOf: '2026-01-31', region }, cookie: admin });
  expect(res.status, await res.clone().text()).toBe(202);
  const { runId } = (await res.json()) as { runId: string };
  expect(await drainRuns(t.database.db, () => t.now, undefined, { concurrency })).toBe(1);
  return (await (await t.request(`/api/v1/checks/runs/${runId}`, { cookie: admin })).json()) as {
    status: string;
    alertsOpened: number;
    alertsUpdated: number;
    failures: unknown[];
  };
};

describe('a check run over two counties', () => {
  it('checks a county whose every village a run lists as a whole county, and a county of some as those villages among their peers', async () => {
    const villagesOf = async (county: string) =>
      (
        await queryRows<{ code: string }>(
          t.database.db,
          sql`select code from regions where level = 'village' and code like ${`${county}%`} order by code`,
        )
      ).map((r) => r.code);
    const original = await villagesOf(ORIGINAL);
    const copy = await villagesOf(COPY);
    const scopes = (villages: string[]) =>
      scopeOf(t.database.db, { regionCode: '000000000000', asOf: '2026-01-31', villages } as unknown as CheckRun).then((list) =>
        Object.fromEntries(list.map(({ scope }) => [scope.region, { villages: scope.villages.length, whole: scope.wholeCounties === true }])),
      );
    expect(await scopes([...copy, original[0]!])).toEqual({
      [`${ORIGINAL}000000`]: { villages: 1, whole: false },
      [`${COPY}000000`]: { villages: copy.length, whole: true },
    });
    // As many codes as the county has villages, but one of them not a village of it: not whole.
    expect(await scopes([...copy.slice(1), `${COPY}999999`])).toEqual({ [`${COPY}000000`]: { villages: copy.length, whole: false } });
    // A full run is whole everywhere.
    const full = await scopeOf(t.database.db, { regionCode: '000000000000', asOf: '2026-01-31', villages: null } as unknown as CheckRun);
    expect(full.map(({ scope }) => [scope.region, scope.villages.length, scope.wholeCounties])).toEqual([
      [`${ORIGINAL}000000`, original.length, true],
      [`${COPY}000000`, copy.length, true],
    ]);
  });

  it('finds in each county what the county alone holds, and a second run one county at a time agrees', async () => {
    // The embedded database has one connection: counties are checked one at a time there.
    const concurrency = t.database.kind === 'postgres' ? 2 : 1;
    const first = await runAll(concurrency);
    expect(first).toMatchObject({ status: 'done', failures: [] });
    const opened = await alertRows();
    expect(first.alertsOpened).toBe(opened.length);
    const inCounty = (code: string) => opened.filter((a) => a.region_code.startsWith(code));
    expect(inCounty(ORIGINAL).length).toBeGreaterThan(10);
    expect(inCounty(ORIGINAL).length + inCounty(COPY).length).toBe(opened.length);
    // Every finding of a twinned rule in the demo county has its twin in the copy, and back.
    for (const rule of TWINNED) {
      const twins = (code: string) =>
        opened
          .filter((a) => a.rule_id === rule && a.region_code.startsWith(code))
          .map((a) => `${a.village_code?.slice(6)}|${a.summary}`)
          .sort();
      expect(twins(COPY), rule).toEqual(twins(ORIGINAL));
    }
    expect(opened.filter((a) => TWINNED.includes(a.rule_id)).length).toBeGreaterThan(20);
    // No duplicate-invoice finding pairs an original entry with its copy (their invoice numbers differ).
    const dup = opened.filter((a) => a.rule_id === 'duplicate-invoice');
    expect(dup.length).toBeGreaterThan(0);
    expect(dup.filter((a) => a.summary.includes(ORIGINAL) && a.summary.includes(COPY))).toEqual([]);

    const second = await runAll(1);
    expect(second).toMatchObject({ status: 'done', failures: [], alertsOpened: 0, alertsUpdated: opened.length });
    expect(await alertRows()).toEqual(opened);

    // One county with workers to spare: the alerts of that county are updated, the other's untouched.
    const third = await runAll(concurrency, `${COPY}000000`);
    expect(third).toMatchObject({ status: 'done', failures: [], alertsOpened: 0, alertsUpdated: inCounty(COPY).length });
    expect(await alertRows()).toEqual(opened);
  });
});
