// What the public register pages show besides the ledger: the micro-power list and the officials'
// duties, decisions with their 四议两公开 steps and the published spending linked to them,
// policies with their validity, and the publications that the Atom feeds announce.
// Every free text leaves here through maskText (the one masking step of db/privacy.ts).
import { createHash } from 'node:crypto';
import { and, asc, desc, eq, isNotNull, like } from 'drizzle-orm';
import type { Executor } from '../client.ts';
import { POWER_CATEGORIES, policiesFor, powersFor } from '../powers.ts';
import { maskText } from '../privacy.ts';
import { codePrefix } from '../regions.ts';
import { accounts, decisionStepKinds, ledgerEntries, publications, regions } from '../schema.ts';
import { listDecisions, listOfficials, type DecisionStepKind } from '../villages.ts';

/** A short, stable version of whatever a page shows: for ETags (site/lib/http-cache.ts). */
export function contentVersion(...parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 32);
}

/** A hex hash in groups of four characters, for reading aloud and comparing by eye. */
export function hashGroups(hex: string, size = 4): string {
  return (hex.match(new RegExp(`.{1,${size}}`, 'g')) ?? []).join(' ');
}

// ---------------------------------------------------------------------------------------------
// 小微权力清单 and duties

export interface PublicPower {
  id: string;
  regionCode: string;
  category: string;
  name: string;
  legalBasis: string;
  responsiblePost: string;
  steps: { actor: string; action: string; output: string; timeLimit: string }[];
  riskPoints: string[];
}

/** The powers that apply to a village (its own and its regions'), masked, grouped by category in the list's order. */
export async function publicPowers(db: Executor, villageCode: string): Promise<{ category: string; powers: PublicPower[] }[]> {
  const rows = await powersFor(db, villageCode);
  const powers: PublicPower[] = rows.map((p) => ({
    id: p.id,
    regionCode: p.regionCode,
    category: p.category,
    name: maskText(p.name),
    legalBasis: maskText(p.legalBasis),
    responsiblePost: maskText(p.responsiblePost),
    steps: p.steps.map((s) => ({
      actor: maskText(s.actor),
      action: maskText(s.action),
      output: maskText(s.output),
      timeLimit: maskText(s.timeLimit),
    })),
    riskPoints: p.riskPoints.map((r) => maskText(r)),
  }));
  const order = (c: string) => {
    const i = (POWER_CATEGORIES as readonly string[]).indexOf(c);
    return i < 0 ? POWER_CATEGORIES.length : i;
  };
  const categories = [...new Set(powers.map((p) => p.category))].sort((a, b) => order(a) - order(b) || a.localeCompare(b));
  return categories.map((category) => ({ category, powers: powers.filter((p) => p.category === category) }));
}

/** The village's officials and their duties, masked, in the village's order. */
export async function publicOfficials(db: Executor, villageCode: string) {
  return (await listOfficials(db, villageCode)).map((o) => ({
    name: maskText(o.name),
    post: maskText(o.post),
    duties: maskText(o.duties),
  }));
}

// ---------------------------------------------------------------------------------------------
// Decisions and the spending linked to them

/** A published entry carrying a decision ref, masked. */
export interface LinkedEntry {
  id: string;
  date: string;
  period: string;
  voucherNo: string;
  summary: string;
  accountCode: string;
  accountName: string;
  direction: 'income' | 'expense';
  /** Integer fen; negative on a reversal. */
  amountFen: number;
  decisionRef: string;
}

export interface LinkedSpending {
  ref: string;
  entries: LinkedEntry[];
  /** Sums of the entries by direction (reversals count with their negative amounts). */
  expenseFen: number;
  incomeFen: number;
}

/** Published entries of a village that carry a decision ref, grouped by ref (refs in order, entries by date). */
export async function linkedSpending(db: Executor, villageCode: string): Promise<LinkedSpending[]> {
  const rows = await db
    .select({
      id: ledgerEntries.id,
      date: ledgerEntries.date,
      period: ledgerEntries.period,
      voucherNo: ledgerEntries.voucherNo,
      summary: ledgerEntries.summary,
      accountCode: ledgerEntries.accountCode,
      accountName: accounts.name,
      direction: ledgerEntries.direction,
      amountFen: ledgerEntries.amountFen,
      decisionRef: ledgerEntries.decisionRef,
    })
    .from(ledgerEntries)
    .innerJoin(accounts, and(eq(accounts.standard, ledgerEntries.accountStandard), eq(accounts.code, ledgerEntries.accountCode)))
    .where(
      and(eq(ledgerEntries.villageCode, villageCode), eq(ledgerEntries.status, 'published'), isNotNull(ledgerEntries.decisionRef)),
    )
    .orderBy(asc(ledgerEntries.decisionRef), asc(ledgerEntries.date), asc(ledgerEntries.voucherNo));
  const groups = new Map<string, LinkedSpending>();
  for (const r of rows) {
    const ref = r.decisionRef!;
    let g = groups.get(ref);
    if (!g) groups.set(ref, (g = { ref, entries: [], expenseFen: 0, incomeFen: 0 }));
    g.entries.push({ ...r, decisionRef: ref, summary: maskText(r.summary) });
    if (r.direction === 'expense') g.expenseFen += r.amountFen;
    else g.incomeFen += r.amountFen;
  }
  return [...groups.values()];
}

export interface PublicDecisionStep {
  kind: DecisionStepKind;
  /** Null when the step is not recorded (yet). */
  recorded: {
    date: string;
    attendance: number | null;
    votesFor: number | null;
    votesAgainst: number | null;
    votesAbstain: number | null;
    note: string | null;
  } | null;
}

export interface PublicDecision {
  id: string;
  ref: string;
  title: string;
  decidedOn: string;
  amountFen: number | null;
  /** All six steps of 四议两公开 in order, recorded or not. */
  steps: PublicDecisionStep[];
  spending: LinkedSpending;
}

/**
 * The village's decisions (newest first) with every 四议两公开 step and the published entries that
 * carry their ref; `unmatched`: entries whose ref names no registered decision.
 */
export async function decisionRegister(db: Executor, villageCode: string): Promise<{ decisions: PublicDecision[]; unmatched: LinkedSpending[] }> {
  const [list, linked] = await Promise.all([listDecisions(db, villageCode), linkedSpending(db, villageCode)]);
  const byRef = new Map(linked.map((g) => [g.ref, g]));
  const decisions = list
    .map((d): PublicDecision => ({
      id: d.id,
      ref: d.ref,
      title: maskText(d.title),
      decidedOn: d.decidedOn,
      amountFen: d.amountFen,
      steps: decisionStepKinds.map((kind) => {
        const s = d.steps.find((x) => x.kind === kind);
        return {
          kind,
          recorded: s
            ? {
                date: s.date,
                attendance: s.attendance,
                votesFor: s.votesFor,
                votesAgainst: s.votesAgainst,
                votesAbstain: s.votesAbstain,
                note: maskText(s.note),
              }
            : null,
        };
      }),
      spending: byRef.get(d.ref) ?? { ref: d.ref, entries: [], expenseFen: 0, incomeFen: 0 },
    }))
    .sort((a, b) => b.decidedOn.localeCompare(a.decidedOn) || b.ref.localeCompare(a.ref));
  const known = new Set(list.map((d) => d.ref));
  return { decisions, unmatched: linked.filter((g) => !known.has(g.ref)) };
}

// ---------------------------------------------------------------------------------------------
// 惠民政策

export type PolicyStatus = 'current' | 'upcoming' | 'expired';

/** The policies that apply to a village, masked, with their status on `today` (YYYY-MM-DD): current ones first, expired last. */
export async function publicPolicies(db: Executor, villageCode: string, today: string) {
  const statusOf = (from: string | null, to: string | null): PolicyStatus =>
    to !== null && to < today ? 'expired' : from !== null && from > today ? 'upcoming' : 'current';
  const rank: Record<PolicyStatus, number> = { current: 0, upcoming: 1, expired: 2 };
  return (await policiesFor(db, villageCode))
    .map((p) => ({
      id: p.id,
      regionCode: p.regionCode,
      title: maskText(p.title),
      conditions: maskText(p.conditions),
      procedure: maskText(p.procedure),
      documents: maskText(p.documents),
      contact: maskText(p.contact),
      validFrom: p.validFrom,
      validTo: p.validTo,
      updatedAt: p.updatedAt,
      status: statusOf(p.validFrom, p.validTo),
    }))
    .sort((a, b) => rank[a.status] - rank[b.status]);
}

// ---------------------------------------------------------------------------------------------
// Publications for the Atom feeds

export interface FeedPublication {
  id: string;
  villageCode: string;
  villageName: string;
  period: string;
  entryCount: number;
  incomeFen: number;
  expenseFen: number;
  openingFen: number;
  closingFen: number;
  treeSize: number;
  rootHash: string;
  publishedAt: Date;
}

const feedColumns = {
  id: publications.id,
  villageCode: publications.villageCode,
  villageName: regions.name,
  period: publications.period,
  entryCount: publications.entryCount,
  incomeFen: publications.incomeFen,
  expenseFen: publications.expenseFen,
  openingFen: publications.openingFen,
  closingFen: publications.closingFen,
  treeSize: publications.treeSize,
  rootHash: publications.rootHash,
  publishedAt: publications.publishedAt,
};

/** Every publication of a village, newest period first. */
export async function villagePublications(db: Executor, villageCode: string): Promise<FeedPublication[]> {
  return db
    .select(feedColumns)
    .from(publications)
    .innerJoin(regions, eq(regions.code, publications.villageCode))
    .where(eq(publications.villageCode, villageCode))
    .orderBy(desc(publications.period));
}

/** Publications of every village below (or equal to) a region, newest first, at most `limit`. */
export async function regionPublications(db: Executor, regionCode: string, limit = 100): Promise<FeedPublication[]> {
  return db
    .select(feedColumns)
    .from(publications)
    .innerJoin(regions, eq(regions.code, publications.villageCode))
    .where(like(publications.villageCode, `${codePrefix(regionCode)}%`))
    .orderBy(desc(publications.publishedAt), desc(publications.period), asc(publications.villageCode))
    .limit(limit);
}

export interface AtomEntry {
  /** An IRI that never changes (urn:uuid:… or tag:…). */
  id: string;
  title: string;
  link: string;
  updated: Date;
  published?: Date;
  summary: string;
}

export interface AtomFeed {
  id: string;
  title: string;
  subtitle?: string;
  /** Absolute URL of the feed itself and of the page it follows. */
  self: string;
  alternate: string;
  updated: Date;
  author: string;
  /** xml:lang, e.g. zh-CN. */
  lang: string;
  entries: AtomEntry[];
}

/** Text safe for XML 1.0 content and attributes: escaped, without the control characters XML forbids. */
export function xmlText(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
    .replace(/[&<>"']/g, (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' }[c]};`);
}

/** A name-based (version 5) UUID URN: a feed id that stays the same wherever the portal runs. */
export function nameUuidUrn(name: string): string {
  // RFC 9562 name space for URLs.
  const ns = Buffer.from('6ba7b8119dad11d180b400c04fd430c8', 'hex');
  const h = createHash('sha1').update(ns).update(name, 'utf8').digest().subarray(0, 16);
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.toString('hex');
  return `urn:uuid:${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** An Atom 1.0 (RFC 4287) document. */
export function atomXml(feed: AtomFeed): string {
  const t = xmlText;
  const entries = feed.entries.map(
    (e) =>
      `  <entry>\n` +
      `    <id>${t(e.id)}</id>\n` +
      `    <title type="text">${t(e.title)}</title>\n` +
      `    <link rel="alternate" type="text/html" href="${t(e.link)}"/>\n` +
      (e.published ? `    <published>${e.published.toISOString()}</published>\n` : '') +
      `    <updated>${e.updated.toISOString()}</updated>\n` +
      `    <summary type="text">${t(e.summary)}</summary>\n` +
      `  </entry>\n`,
  );
  return (
    `<?xml version="1.0" encoding="utf-8"?>\n` +
    `<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="${t(feed.lang)}">\n` +
    `  <id>${t(feed.id)}</id>\n` +
    `  <title type="text">${t(feed.title)}</title>\n` +
    (feed.subtitle ? `  <subtitle type="text">${t(feed.subtitle)}</subtitle>\n` : '') +
    `  <link rel="self" type="application/atom+xml" href="${t(feed.self)}"/>\n` +
    `  <link rel="alternate" type="text/html" href="${t(feed.alternate)}"/>\n` +
    `  <updated>${feed.updated.toISOString()}</updated>\n` +
    `  <author><name>${t(feed.author)}</name></author>\n` +
    `  <generator>阳光村务</generator>\n` +
    entries.join('') +
    `</feed>\n`
  );
}
