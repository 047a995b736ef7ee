// The whole sample county 青山县 loaded through the API exactly as interchange.md describes —
// every village, whatever the encoding of its ledger — published through the sample's last
// period, then read back publicly (masked) and checked by the independent verifier.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { demoDir, readDemoRegions } from '../../db/demo.ts';
import { verifyPortal } from '../../jobs/verify.ts';
import { ADMIN, useTestApp } from '../support/app.ts';
import { uploadForm } from '../support/policy.ts';

const t = useTestApp({ demo: 'none' });
const truth = JSON.parse(await readFile(path.join(demoDir, 'truth.json'), 'utf8')) as {
  throughPeriod: string;
  villages: string[];
  pii: { village: string; voucherNo: string; idNo: string; card: string }[];
};
const villageDir = (code: string) => path.join(demoDir, 'villages', code);
const readJson = async (file: string) => JSON.parse(await readFile(file, 'utf8')) as unknown;

interface ImportAnswer {
  batchId: string;
  entries: number;
  vouchers: number;
  warnings: string[];
}

const loaded = new Map<string, { imported: ImportAnswer; periods: { period: string; entries: number; root: string }[] }>();
let cookie = '';

beforeAll(async () => {
  cookie = await t.signIn(ADMIN.username, ADMIN.password);
  const put = await t.request('/api/v1/regions', { method: 'PUT', json: await readDemoRegions(), cookie });
  expect(put.status).toBe(200);
  for (const code of (await readdir(path.join(demoDir, 'villages'))).sort()) {
    const base = `/api/v1/villages/${code}`;
    expect((await t.request(`${base}/officials`, { method: 'PUT', json: await readJson(path.join(villageDir(code), 'officials.json')), cookie })).status).toBe(200);
    for (const decision of (await readJson(path.join(villageDir(code), 'decisions.json'))) as unknown[]) {
      expect((await t.request(`${base}/decisions`, { method: 'POST', json: decision, cookie })).status).toBe(201);
    }
    const opening = await readJson(path.join(villageDir(code), 'opening-balance.json'));
    expect((await t.request(`${base}/opening-balance`, { method: 'PUT', json: opening, cookie })).status).toBe(200);
    const zip = await readFile(path.join(villageDir(code), 'ledger.zip'));
    const imported = await t.request(`${base}/imports`, { method: 'POST', body: uploadForm('ledger.zip', new Uint8Array(zip)), cookie });
    expect(imported.status, await imported.clone().text()).toBe(201);
    const published = await t.request(`${base}/publications`, { method: 'POST', json: { through: truth.throughPeriod }, cookie });
    expect(published.status, await published.clone().text()).toBe(200);
    loaded.set(code, { imported: (await imported.json()) as ImportAnswer, periods: ((await published.json()) as { periods: [] }).periods });
  }
}, 300_000);

describe('the sample county through the API', () => {
  it('imports every village, each entry and each expense voucher', async () => {
    expect([...loaded.keys()]).toEqual(truth.villages);
    for (const [code, { imported }] of loaded) {
      // The ZIP's ledger.csv has one line per entry after the header; every expense has a voucher image.
      const counts = (await t.database.db.execute(
        sql`select count(*)::int as entries, count(*) filter (where direction = 'expense')::int as expenses
              from ledger_entries where village_code = ${code}`,
      )) as unknown as { rows?: { entries: number; expenses: number }[] } | { entries: number; expenses: number }[];
      const row = Array.isArray(counts) ? counts[0]! : counts.rows![0]!;
      expect(imported.entries, code).toBe(row.entries);
      expect(imported.entries, code).toBeGreaterThan(200);
      expect(imported.vouchers, code).toBeGreaterThanOrEqual(row.expenses - 1); // one planted missing voucher
    }
  });

  it('publishes 2024-01 … 2025-12 for every village, a signed root per period', () => {
    for (const [code, { periods }] of loaded) {
      expect(periods.map((p) => p.period), code).toEqual(
        Array.from({ length: 24 }, (_, i) => `${2024 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`),
      );
      expect(new Set(periods.map((p) => p.root)).size, code).toBe(24);
      for (const p of periods) expect(p.root).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it('chains balances: each period opens with the previous one’s closing balance', async () => {
    for (const code of truth.villages) {
      const res = await t.request(`/api/v1/public/villages/${code}/periods`);
      const { periods } = (await res.json()) as { periods: { openingFen: number; closingFen: number; incomeFen: number; expenseFen: number }[] };
      const opening = (await readJson(path.join(villageDir(code), 'opening-balance.json'))) as { amountFen: number };
      expect(periods[0]!.openingFen).toBe(opening.amountFen);
      for (let i = 0; i < periods.length; i++) {
        const p = periods[i]!;
        expect(p.closingFen).toBe(p.openingFen + p.incomeFen - p.expenseFen);
        if (i > 0) expect(p.openingFen).toBe(periods[i - 1]!.closingFen);
      }
    }
  });

  it('serves the public ledger with personal numbers masked', async () => {
    for (const pii of truth.pii) {
      const period = pii.voucherNo.slice(2, 9);
      const res = await t.request(`/api/v1/public/villages/${pii.village}/ledger?period=${period}`);
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text).toContain(pii.voucherNo);
      expect(text).not.toContain(pii.idNo);
      expect(text).not.toContain(pii.card);
      expect(text).toContain(`${pii.idNo.slice(0, 6)}********${pii.idNo.slice(-4)}`);
      expect(text).not.toContain('"salt"');
    }
  });

  it('refuses the same file again with 409 and the first batch id', async () => {
    const code = truth.villages[0]!;
    const zip = await readFile(path.join(villageDir(code), 'ledger.zip'));
    const res = await t.request(`/api/v1/villages/${code}/imports`, { method: 'POST', body: uploadForm('again.zip', new Uint8Array(zip)), cookie });
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ error: { code: 'duplicate_file' }, batchId: loaded.get(code)!.imported.batchId });
  });

  it('passes the independent verifier, and fails it once a published row is edited in the database', async () => {
    const fetchApp = (url: string) => t.request(new URL(url).pathname + new URL(url).search);
    const first = await verifyPortal({ url: 'http://portal.test', state: { logs: {} }, fetch: fetchApp });
    expect(first.problems).toEqual([]);
    expect(first.villages).toBe(18);
    expect(first.entries).toBeGreaterThan(5000);

    // The trigger stops an ordinary write…
    const target = truth.pii[0]!;
    await expect(
      t.database.db.execute(sql`update ledger_entries set amount_fen = amount_fen + 100 where voucher_no = ${target.voucherNo} and village_code = ${target.village}`),
    ).rejects.toSatisfy((e: Error & { cause?: Error }) => /immutable/.test(`${e.message} ${e.cause?.message}`));
    // …so the attacker here is someone who can switch it off.
    await t.database.db.transaction(async (tx) => {
      await tx.execute(sql`alter table ledger_entries disable trigger ledger_entries_immutable`);
      await tx.execute(sql`update ledger_entries set amount_fen = amount_fen + 100 where voucher_no = ${target.voucherNo} and village_code = ${target.village}`);
      await tx.execute(sql`alter table ledger_entries enable trigger ledger_entries_immutable`);
    });
    const second = await verifyPortal({ url: 'http://portal.test', state: first.state, fetch: fetchApp });
    expect(second.ok).toBe(false);
    expect(second.problems.join('\n')).toContain(target.village);
    expect(second.problems.filter((p) => p.startsWith(target.village)).length).toBeGreaterThan(0);
    expect(second.problems.every((p) => p.startsWith(target.village))).toBe(true);
  }, 180_000);
});
