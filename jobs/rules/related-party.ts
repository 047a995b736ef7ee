// related-party: a purchase or service payment goes to an official of the same village (两委
// members, the 报账员) or to someone who handles the village's entries (经办人) — the payer
// paying themselves.
// Their own pay (51301), travel (51303) and meeting (51305) reimbursements are not purchases.
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { defineRule, type Finding } from './rule.ts';
import {
  accountNameColumn,
  byDate,
  cmp,
  evidence,
  evidenceColumns,
  groupBy,
  inAccounts,
  inEveryList,
  json,
  notInAccountsSql,
  paramsFor,
  partyKey,
  partyKeySql,
  pgTextArray,
  quote,
  scopeVillages,
  villageParams,
  withDetails,
  yuan,
  type EntryRow,
} from './lib.ts';

export const params = z.object({
  /** Accounts whose payments to officials are their due (pay, travel, meeting reimbursements). */
  exemptAccounts: z.array(z.string()).default(['51301', '51303', '51305']),
});
export type Params = z.infer<typeof params>;
const DEFAULTS = params.parse({});

export interface Row extends EntryRow {
  accountCode: string;
  accountName: string;
  summary: string;
  counterparty: string;
  handler: string | null;
}

export interface Person {
  villageCode: string;
  name: string;
  /** 职务, e.g. "报账员". */
  post: string;
}

export interface Input {
  entries: Row[];
  /** The officials of each village (两委, 报账员) and the other people who handle its entries (post "经办人"). */
  people: Person[];
}

/** Names compared without white space. */
const bare = partyKey;

/**
 * What may follow a person's name when the payee is that person trading on their own account —
 * 个人, or 个体 / 个体户 / 个体工商户 with or without brackets — as partyKey leaves it (full-width
 * brackets become ASCII). A finite list, so that the query can look the payee up by equality.
 */
export const OWN_ACCOUNT_SUFFIXES: readonly string[] = [
  '',
  '个人',
  ...['个体', '个体户', '个体工商户'].flatMap((mark) => ['', '('].flatMap((open) => ['', ')'].map((close) => `${open}${mark}${close}`))),
].map(partyKey);
const ownAccount = new Set(OWN_ACCOUNT_SUFFIXES.filter((s) => s !== ''));

/**
 * Whether a counterparty is the person: the same name (white space aside), or the name followed by
 * a mark of trading on their own account ("崔伟（个体）", "崔伟个体工商户"). A longer name that
 * merely begins or contains it ("崔伟明", "底洞崔伟五金店") is not matched: a village's shops and
 * villagers share names with its officials too often for that to be evidence.
 */
export function namesPerson(counterparty: string, name: string): 'same' | 'own-account' | null {
  const c = bare(counterparty);
  const n = bare(name);
  if (!n || !c) return null;
  if (c === n) return 'same';
  if (c.startsWith(n) && ownAccount.has(c.slice(n.length))) return 'own-account';
  return null;
}

export const rule = defineRule({
  id: 'related-party',
  version: 1,
  title: { zh: '向本村干部或报账人员付款', en: 'Payment to an official of the village' },
  description: {
    zh: '采购或劳务等支出的收款方是本村两委成员、报账员或该笔支出的经办人（本人报酬、差旅费、会议费报销除外）。',
    en: 'A purchase or service payment goes to an official or the accountant of the same village (their own pay, travel and meeting reimbursements excepted).',
  },
  basis:
    '《中国共产党农村基层组织工作条例》及《农村基层干部廉洁履行职责若干规定（试行）》（禁止利用职权为本人、亲属谋取利益，不得违规插手工程项目和采购）；《农村集体经济组织财务制度》关于关联交易回避的规定；《中华人民共和国村民委员会组织法》第二十八条（村务监督）',
  severity: 'high',
  params,
  query(scope, byRegion) {
    // The village's officials, and whoever handles its entries (经办人, the accountant above all).
    // Handlers are few per village: each village's distinct handlers are read by skipping
    // through the index on (village_code, handler), one probe per handler, not the ledger.
    // Payments are kept whose counterparty is one of their names, or a name followed by a mark
    // of trading on their own account (as partyKey makes them; each counterparty's key is stored
    // on its entry): one hash lookup of (village, key) per payment among the people's keys with
    // every such mark. Each row carries the people of its village.
    return sql`with recursive handlers as (
          select v.code as village_code,
                 (select min(x.handler) from ledger_entries x
                   where x.village_code = v.code and x.status = 'published' and x.handler is not null) as handler
            from ${scopeVillages(scope)} as v(code)
          union all
          select h.village_code,
                 (select min(x.handler) from ledger_entries x
                   where x.village_code = h.village_code and x.status = 'published' and x.handler is not null and x.handler > h.handler)
            from handlers h where h.handler is not null),
        officials_of as (
          select o.village_code, o.name, o.post, o.position, ${partyKeySql(sql`o.name`)} as k
            from officials o where o.village_code = any (${pgTextArray(scope.villages)})),
        people as (
          select o.village_code, o.name, o.post, o.position as rank, o.k from officials_of o
          union
          select h.village_code, h.handler, '经办人', 1000000, ${partyKeySql(sql`h.handler`)}
            from handlers h
           where h.handler is not null and ${partyKeySql(sql`h.handler`)} <> ''
             and not exists (select 1 from officials_of o where o.village_code = h.village_code and o.k = ${partyKeySql(sql`h.handler`)})),
        person_keys as (
          select p.village_code, p.k || x.suffix as key
            from people p cross join unnest(${pgTextArray(OWN_ACCOUNT_SUFFIXES)}) as x(suffix)
           where p.k <> ''),
        paid as (
          select ${evidenceColumns}, s.account_code as "accountCode", ${accountNameColumn}, e.summary, e.counterparty, e.handler
            from ${withDetails}
           where s.in_scope and s.party_key is not null
             and ${notInAccountsSql(sql`s.account_code`, inEveryList(villageParams(byRegion, scope, DEFAULTS).map((p) => p.exemptAccounts)))}
             and (s.village_code, s.party_key) in (select pk.village_code, pk.key from person_keys pk))
        select paid.*,
               (select json_agg(json_build_object('villageCode', p.village_code, 'name', p.name, 'post', p.post) order by p.rank, p.name)
                  from people p where p.village_code = paid."villageCode") as people
          from paid`;
  },
  async gather(_db, rows) {
    // Each row carries the people of its village.
    const people = new Map<string, Person[]>();
    const entries = rows.map(({ people: list, ...entry }) => {
      people.set(String(entry.villageCode), json<Person[]>(list ?? []));
      return entry as unknown as Row;
    });
    return { entries, people: [...people.values()].flat() };
  },
  evaluate(input, byRegion) {
    const byVillage = groupBy(input.people, (p) => p.villageCode);
    const findings: Finding[] = [];
    for (const e of [...input.entries].sort(byDate)) {
      const { exemptAccounts } = paramsFor(byRegion, e.villageCode, DEFAULTS);
      if (inAccounts(e.accountCode, exemptAccounts)) continue;
      const matches: { name: string; post: string; how: 'same' | 'own-account' }[] = [];
      for (const p of byVillage.get(e.villageCode) ?? []) {
        const how = namesPerson(e.counterparty, p.name);
        if (how) matches.push({ name: p.name, post: p.post, how });
      }
      if (
        e.handler &&
        bare(e.handler) &&
        bare(e.handler) === bare(e.counterparty) &&
        !matches.some((m) => bare(m.name) === bare(e.handler!))
      ) {
        matches.push({ name: e.handler, post: '本笔经办人', how: 'same' });
      }
      if (!matches.length) continue;
      matches.sort((a, b) => cmp(a.name, b.name) || cmp(a.post, b.post));
      const who = matches.map((m) => `${m.post}${m.name}`).join('、');
      const how = matches.some((m) => m.how === 'same') ? '即' : '为个体经营的';
      findings.push({
        subject: e.id,
        villageCode: e.villageCode,
        regionCode: e.villageCode,
        period: e.date.slice(0, 7),
        severity: 'high',
        title: '向本村干部或经办人付款',
        summary:
          `${e.date} 凭证 ${e.voucherNo}${quote(e.summary)}（${e.accountName}）向「${e.counterparty}」支付 ${yuan(e.amountFen)}，` +
          `收款方${how}本村${who}`,
        entries: [evidence(e)],
        figures: {
          amountFen: e.amountFen,
          accountCode: e.accountCode,
          counterparty: e.counterparty,
          officials: matches.map((m) => `${m.post}:${m.name}`).join(';'),
        },
      });
    }
    return findings;
  },
});

export default rule;
