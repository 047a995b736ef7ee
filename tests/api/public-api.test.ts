// The public JSON API of region pages and search on the demo county: the region, its ancestors,
// its children's money and publication status (the figures the region page shows), and search
// with personal numbers masked and digit probes refused; both in the OpenAPI document.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { demoDir } from '../../db/demo.ts';
import { searchPublic, villageOverviews } from '../../db/public/regions.ts';
import { ADMIN, useTestApp } from '../support/app.ts';

const t = useTestApp({ demo: 'full' });
const truth = JSON.parse(await readFile(path.join(demoDir, 'truth.json'), 'utf8')) as {
  villages: string[];
  pii: { village: string; voucherNo: string; idNo: string; card: string }[];
};
const COUNTY = '519901000000';
const TOWNSHIP = '519901101000';

interface Overview {
  code: string;
  name: string;
  townshipCode: string;
  latestPeriod: string | null;
  balanceFen: number | null;
  year: number | null;
  incomeFen: number;
  expenseFen: number;
  duePeriod: string;
  status: string;
  overdue: number;
}
interface RegionAnswer {
  region: { code: string; name: string; level: string };
  ancestors: { code: string; name: string; level: string }[];
  duePeriod: string;
  children: { code: string; name: string; level: string; villages: number; incomeFen: number; expenseFen: number; balanceFen: number | null; publication: Record<string, number> }[];
  villages: Overview[];
}
interface SearchAnswer {
  query: string;
  digitProbe: boolean;
  villages: { code: string; name: string; level: string }[];
  entries: { villageCode: string; id: string; summary: string; counterparty: string | null; amountFen: number; direction: string; voucherNo: string }[];
}

const get = async <T>(url: string, status = 200): Promise<T> => {
  const res = await t.request(url);
  expect(res.status, `${url}: ${await res.clone().text()}`).toBe(status);
  return (await res.json()) as T;
};

describe('GET /api/v1/public/regions/{code}', () => {
  it('gives a county its townships with their villages’ money and publication status', async () => {
    const body = await get<RegionAnswer>(`/api/v1/public/regions/${COUNTY}`);
    expect(body.region).toEqual({ code: COUNTY, name: '青山县', level: 'county' });
    expect(body.children.map((c) => c.code)).toEqual(['519901101000', '519901102000', '519901103000']);
    expect(body.villages.map((v) => v.code).sort()).toEqual([...truth.villages].sort());
    // The very figures the region page lists (db/public/regions.ts villageOverviews), at the app's now.
    expect(body.villages).toEqual(await villageOverviews(t.database.db, COUNTY, t.now));
    for (const child of body.children) {
      const within = body.villages.filter((v) => v.townshipCode === child.code);
      expect(child.villages).toBe(within.length);
      expect(child.incomeFen).toBe(within.reduce((s, v) => s + v.incomeFen, 0));
      expect(child.expenseFen).toBe(within.reduce((s, v) => s + v.expenseFen, 0));
      expect(child.balanceFen).toBe(within.reduce((s, v) => s + (v.balanceFen ?? 0), 0));
      expect(Object.values(child.publication).reduce((s, n) => s + n, 0)).toBe(within.length);
      for (const n of [child.incomeFen, child.expenseFen, child.balanceFen]) expect(Number.isSafeInteger(n)).toBe(true);
    }
  });

  it('gives a township its ancestors and its villages, each as a child with its own figures', async () => {
    const body = await get<RegionAnswer>(`/api/v1/public/regions/${TOWNSHIP}`);
    expect(body.region).toMatchObject({ code: TOWNSHIP, name: '底洞镇', level: 'township' });
    expect(body.ancestors.map((a) => a.code)).toEqual([COUNTY]);
    expect(body.children.map((c) => c.code)).toEqual(body.villages.map((v) => v.code));
    const first = body.villages[0]!;
    expect(first).toMatchObject({ code: '519901101201', name: '沙湾村', latestPeriod: '2025-12', year: 2025 });
    expect(body.children[0]).toMatchObject({
      code: first.code,
      level: 'village',
      villages: 1,
      incomeFen: first.incomeFen,
      expenseFen: first.expenseFen,
      balanceFen: first.balanceFen,
      publication: { [first.status]: 1 },
    });
    // The income of the year is the sum of the village's 2025 periods.
    const periods = await get<{ periods: { period: string; incomeFen: number; closingFen: number }[] }>(`/api/v1/public/villages/${first.code}/periods`);
    const y2025 = periods.periods.filter((p) => p.period.startsWith('2025'));
    expect(first.incomeFen).toBe(y2025.reduce((s, p) => s + p.incomeFen, 0));
    expect(first.balanceFen).toBe(y2025.at(-1)!.closingFen);
  });

  it('answers 404 for an unknown region and 400 for a malformed code', async () => {
    expect(await get(`/api/v1/public/regions/519901109000`, 404)).toMatchObject({ error: { code: 'region_unknown' } });
    await get(`/api/v1/public/regions/5199`, 400);
  });
});

describe('GET /api/v1/public/search', () => {
  it('answers what the search page shows: places and published entries', async () => {
    const body = await get<SearchAnswer>(`/api/v1/public/search?q=${encodeURIComponent('沙湾')}`);
    expect(body.villages).toEqual([{ code: '519901101201', name: '沙湾村', level: 'village' }]);
    expect(body.digitProbe).toBe(false);
    const entries = await get<SearchAnswer>(`/api/v1/public/search?q=${encodeURIComponent(' 运转经费 ')}`);
    expect(entries.query).toBe('运转经费');
    expect(entries.entries.length).toBeGreaterThan(10);
    expect(entries.entries.length).toBeLessThanOrEqual(50);
    expect(entries.entries.every((e) => e.summary.includes('运转经费'))).toBe(true);
    const page = await searchPublic(t.database.db, '运转经费');
    expect({ villages: entries.villages, entries: entries.entries }).toEqual(page);
  });

  it('never shows a planted personal number in clear', async () => {
    for (const pii of truth.pii) {
      // Find the entry that holds it through its voucher's words: the answer is masked.
      const ledger = await get<{ items: { voucherNo: string; summary: string; counterparty: string | null }[] }>(
        `/api/v1/public/villages/${pii.village}/ledger?period=${pii.voucherNo.slice(2, 9)}`,
      );
      const entry = ledger.items.find((i) => i.voucherNo === pii.voucherNo)!;
      // The longest run of Chinese in its (masked) summary finds it again.
      const word = (entry.summary.match(/[\u4e00-\u9fff]{2,}/g) ?? []).sort((a, b) => b.length - a.length)[0]!;
      const body = await get<SearchAnswer>(`/api/v1/public/search?q=${encodeURIComponent(word)}`);
      const text = JSON.stringify(body);
      expect(body.entries.some((e) => e.villageCode === pii.village && e.voucherNo === pii.voucherNo), `${word} finds ${pii.voucherNo}`).toBe(true);
      for (const secret of [pii.idNo, pii.card]) expect(text.includes(secret), `${word} shows ${secret}`).toBe(false);
    }
  });

  it('refuses digit probes: no entries, and says so', async () => {
    const pii = truth.pii[0]!;
    for (const probe of [pii.idNo, pii.idNo.slice(0, 10), pii.card.slice(-8), `${pii.idNo.slice(0, 6)} ${pii.idNo.slice(6, 10)}`]) {
      const body = await get<SearchAnswer>(`/api/v1/public/search?q=${encodeURIComponent(probe)}`);
      expect(body, probe).toMatchObject({ digitProbe: true, entries: [] });
      expect(JSON.stringify([body.villages, body.entries])).not.toContain(pii.idNo.slice(-4));
    }
  });

  it('wants a query (400 when empty)', async () => {
    await get('/api/v1/public/search?q=', 400);
    await get('/api/v1/public/search?q=%20%20', 400);
    await get('/api/v1/public/search', 400);
  });
});

describe('the OpenAPI document', () => {
  it('describes the public region, search and alert-count routes with their schemas', async () => {
    const doc = (await (await t.request('/api/v1/openapi.json')).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>>;
      components: { schemas: Record<string, unknown> };
    };
    for (const p of ['/public/regions/{code}', '/public/search', '/public/regions/{code}/alert-counts', '/checks/statistics']) {
      const schema = doc.paths[p]?.get?.responses['200']?.content?.['application/json']?.schema;
      expect(schema, p).toBeTruthy();
    }
    expect(doc.components.schemas).toHaveProperty('VillageOverview');
    expect(doc.components.schemas).toHaveProperty('RuleStatistics');
    expect(doc.components.schemas).toHaveProperty('AlertCounts');
  });

  it('answers the same to a signed-in caller', async () => {
    const cookie = await t.signIn(ADMIN.username, ADMIN.password);
    const anon = await get<RegionAnswer>(`/api/v1/public/regions/${TOWNSHIP}`);
    const res = await t.request(`/api/v1/public/regions/${TOWNSHIP}`, { cookie });
    expect(await res.json()).toEqual(anon);
  });
});
