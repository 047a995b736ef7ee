// The public registers' queries (db/public/registers.ts) on the whole demo county: spending
// linked to decisions, the 四议两公开 steps, micro-powers, policies with their validity, the
// publications the Atom feeds announce, and the Atom rendering itself.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { and, eq, isNotNull } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { POWER_CATEGORIES } from '../../db/powers.ts';
import { containsPersonalNumber, MOBILE_REMOVED } from '../../db/privacy.ts';
import {
  atomXml,
  contentVersion,
  decisionRegister,
  hashGroups,
  linkedSpending,
  nameUuidUrn,
  publicOfficials,
  publicPolicies,
  publicPowers,
  regionPublications,
  villagePublications,
  xmlText,
} from '../../db/public/registers.ts';
import { ledgerEntries, publications } from '../../db/schema.ts';
import { ADMIN, useTestApp } from '../support/app.ts';

const t = useTestApp({ demo: 'full' });
const COUNTY = '519901000000';
const TOWNSHIP = '519901101000';
const VILLAGE = '519901101201';
const demoDir = path.resolve(import.meta.dirname, '../../db/demo/qingshan');
const demoDecisions = (code: string) =>
  JSON.parse(readFileSync(path.join(demoDir, 'villages', code, 'decisions.json'), 'utf8')) as { ref: string; title: string; amountFen: number }[];

describe('spending linked to decisions', () => {
  it('matches, for every decision of the demo village, the published entries carrying its ref', async () => {
    const { db } = t.database;
    const groups = await linkedSpending(db, VILLAGE);
    const raw = await db
      .select()
      .from(ledgerEntries)
      .where(and(eq(ledgerEntries.villageCode, VILLAGE), eq(ledgerEntries.status, 'published'), isNotNull(ledgerEntries.decisionRef)));
    expect(raw.length).toBeGreaterThan(0);
    for (const d of demoDecisions(VILLAGE)) {
      const expected = raw.filter((e) => e.decisionRef === d.ref);
      const group = groups.find((g) => g.ref === d.ref);
      expect(group?.entries.map((e) => e.id).sort()).toEqual(expected.map((e) => e.id).sort());
      expect(group!.expenseFen).toBe(expected.filter((e) => e.direction === 'expense').reduce((s, e) => s + e.amountFen, 0));
      expect(Number.isInteger(group!.expenseFen)).toBe(true);
    }
    // every published entry with a ref is in exactly one group
    expect(groups.flatMap((g) => g.entries).length).toBe(raw.length);
  });

  it('shows each decision with all six steps (none recorded in the demo) and its spending, newest first', async () => {
    const { decisions, unmatched } = await decisionRegister(t.database.db, VILLAGE);
    const demo = demoDecisions(VILLAGE);
    expect(decisions.map((d) => d.ref)).toEqual(demo.map((d) => d.ref).reverse());
    for (const d of decisions) {
      expect(d.steps.map((s) => s.kind)).toEqual(['proposal', 'consultation', 'review', 'resolution', 'resolution_published', 'result_published']);
      expect(d.steps.every((s) => s.recorded === null)).toBe(true);
    }
    // 决-2025-03 (产业路修建) was paid in 2025-10
    const road = decisions.find((d) => d.ref === '决-2025-03')!;
    expect(road.spending.entries.map((e) => e.period)).toContain('2025-10');
    expect(road.spending.expenseFen).toBeLessThanOrEqual(road.amountFen!);
    expect(unmatched).toEqual([]);
  });

  it('lists entries citing a ref that names no decision (the planted unknown ref)', async () => {
    const { unmatched } = await decisionRegister(t.database.db, '519901101206');
    expect(unmatched.flatMap((g) => g.entries.map((e) => e.voucherNo))).toContain('记-2025-04-643');
  });

  it('shows recorded steps with attendance and votes, notes masked', async () => {
    const cookie = await t.signIn(ADMIN.username, ADMIN.password);
    const res = await t.request(`/api/v1/villages/${VILLAGE}/decisions`, {
      method: 'POST',
      cookie,
      json: {
        ref: '决-2025-T1',
        title: '村委会办公楼维修',
        decidedOn: '2025-03-12',
        amountFen: 500_000,
        steps: [
          { kind: 'proposal', date: '2025-03-01' },
          { kind: 'review', date: '2025-03-08', attendance: 31, votesFor: 29, votesAgainst: 1, votesAbstain: 1, note: '联系人电话 13812345678' },
        ],
      },
    });
    expect(res.status).toBe(201);
    const { decisions } = await decisionRegister(t.database.db, VILLAGE);
    const d = decisions.find((x) => x.ref === '决-2025-T1')!;
    expect(d.steps.filter((s) => s.recorded).map((s) => s.kind)).toEqual(['proposal', 'review']);
    const review = d.steps.find((s) => s.kind === 'review')!.recorded!;
    expect(review).toMatchObject({ date: '2025-03-08', attendance: 31, votesFor: 29, votesAgainst: 1, votesAbstain: 1 });
    expect(review.note).toBe(`联系人电话 ${MOBILE_REMOVED}`);
    expect(d.spending).toEqual({ ref: '决-2025-T1', entries: [], expenseFen: 0, incomeFen: 0 });
  });

  it('masks personal numbers in linked entries of every demo village', async () => {
    const codes = (await t.database.db.selectDistinct({ code: ledgerEntries.villageCode }).from(ledgerEntries)).map((r) => r.code);
    for (const code of codes) {
      for (const g of await linkedSpending(t.database.db, code)) {
        for (const e of g.entries) expect(containsPersonalNumber(e.summary)).toBe(false);
      }
    }
  });
});

describe('micro-powers, officials and policies', () => {
  it('lists the county’s eight powers for a village, by category in the list’s order, each with steps', async () => {
    const groups = await publicPowers(t.database.db, VILLAGE);
    const powers = groups.flatMap((g) => g.powers);
    expect(powers).toHaveLength(8);
    expect(powers.every((p) => p.regionCode === COUNTY && p.steps.length > 0)).toBe(true);
    const order = groups.map((g) => (POWER_CATEGORIES as readonly string[]).indexOf(g.category));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(new Set(groups.map((g) => g.category)).size).toBe(groups.length);
  });

  it('lists the officials with their duties', async () => {
    const officials = await publicOfficials(t.database.db, VILLAGE);
    expect(officials[0]).toEqual({ name: '崔伟', post: '党支部书记、村委会主任', duties: '主持村党支部和村委会全面工作' });
  });

  it('marks a policy past its end date as expired and puts it last', async () => {
    const policies = await publicPolicies(t.database.db, VILLAGE, '2026-01-15');
    expect(policies).toHaveLength(3);
    expect(policies.map((p) => p.status)).toEqual(['current', 'current', 'expired']);
    expect(policies.at(-1)!.title).toBe('城乡居民最低生活保障');
    const before = await publicPolicies(t.database.db, VILLAGE, '2025-02-01');
    expect(before.find((p) => p.title === '耕地地力保护补贴')!.status).toBe('upcoming');
    expect(before.find((p) => p.title === '城乡居民最低生活保障')!.status).toBe('current');
  });
});

describe('publications for the feeds', () => {
  it('gives a village’s 24 publications, newest period first', async () => {
    const pubs = await villagePublications(t.database.db, VILLAGE);
    expect(pubs).toHaveLength(24);
    expect(pubs[0]).toMatchObject({ period: '2025-12', villageName: '沙湾村', villageCode: VILLAGE });
    expect(pubs.at(-1)!.period).toBe('2024-01');
    expect(pubs[0]!.rootHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('gives a region’s publications from every village below it, newest first, at most 100', async () => {
    const all = await t.database.db.select().from(publications);
    const county = await regionPublications(t.database.db, COUNTY);
    expect(all.length).toBeGreaterThan(100);
    expect(county).toHaveLength(100);
    for (let i = 1; i < county.length; i++) {
      const a = county[i - 1]!;
      const b = county[i]!;
      expect(a.publishedAt.getTime() > b.publishedAt.getTime() || (a.publishedAt.getTime() === b.publishedAt.getTime() && a.period >= b.period)).toBe(true);
    }
    const township = await regionPublications(t.database.db, TOWNSHIP, 1000);
    expect(township.length).toBe(all.filter((p) => p.villageCode.startsWith('519901101')).length);
    expect(township.every((p) => p.villageCode.startsWith('519901101'))).toBe(true);
    expect(await regionPublications(t.database.db, '519901103000', 5)).toHaveLength(5);
  });
});

describe('Atom rendering and helpers', () => {
  it('escapes every text and drops characters XML 1.0 forbids', () => {
    const xml = atomXml({
      id: nameUuidUrn('feed:test'),
      title: '沙湾村 <账目> & "公开"',
      self: 'http://x.test/feed.xml?a=1&b=2',
      alternate: 'http://x.test/',
      updated: new Date('2026-01-15T08:00:00Z'),
      author: '阳光村务',
      lang: 'zh-CN',
      entries: [
        { id: 'urn:uuid:00000000-0000-4000-8000-000000000000', title: 'a<b', link: 'http://x.test/?p=1&q=2', updated: new Date(0), summary: 'x\u0001y & z' },
      ],
    });
    expect(xml).toContain('<title type="text">沙湾村 &lt;账目&gt; &amp; &quot;公开&quot;</title>');
    expect(xml).toContain('href="http://x.test/feed.xml?a=1&amp;b=2"');
    expect(xml).toContain('<summary type="text">xy &amp; z</summary>');
    expect(xml).toContain('<updated>2026-01-15T08:00:00.000Z</updated>');
    expect(xml.match(/<entry>/g)).toHaveLength(1);
    expect(xmlText('\u0000ok')).toBe('ok');
  });

  it('makes stable name-based UUID URNs (version 5)', () => {
    const a = nameUuidUrn('yangguang-cunwu:feed:village:519901101201:zh');
    expect(a).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(nameUuidUrn('yangguang-cunwu:feed:village:519901101201:zh')).toBe(a);
    expect(nameUuidUrn('yangguang-cunwu:feed:village:519901101201:en')).not.toBe(a);
    // the same as Python's uuid.uuid5(uuid.NAMESPACE_URL, name)
    expect(a).toBe('urn:uuid:0356c006-82db-5bfe-aa46-4262c9944361');
  });

  it('groups a hash by four and versions content deterministically', () => {
    expect(hashGroups('0123456789abcdef01')).toBe('0123 4567 89ab cdef 01');
    expect(contentVersion({ a: 1 }, [2])).toBe(contentVersion({ a: 1 }, [2]));
    expect(contentVersion({ a: 1 })).not.toBe(contentVersion({ a: 2 }));
  });
});
