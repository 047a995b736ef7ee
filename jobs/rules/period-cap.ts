// period-cap: an account's expenses in a village over a month or a year exceed the cap
// (招待费 ¥3,000 a year by default).
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { defineRule, type Finding } from './rule.ts';
import {
  ACCOUNT_CODE,
  accountName,
  byDate,
  cmp,
  evidence,
  json,
  jsonParam,
  num,
  paramsFor,
  villageParams,
  yuan,
  type EntryRow,
} from './lib.ts';

const capFen = z.number().int().positive().nullable();
const periodCaps = (year: number | null) => z.object({ month: capFen.default(null), year: capFen.default(year) }).prefault({});

export const params = z.object({
  /** Caps in fen by account code (a 3-digit code sums its sub-accounts), per calendar month and per year; null = none. */
  caps: z
    .object({ '51304': periodCaps(300_000) })
    .catchall(periodCaps(null))
    .superRefine((caps, ctx) => {
      for (const k of Object.keys(caps)) if (!ACCOUNT_CODE.test(k)) ctx.addIssue({ code: 'custom', message: `科目编码无效：${k}` });
    })
    .prefault({}),
});
export type Params = z.infer<typeof params>;
const DEFAULTS = params.parse({});

export type Kind = 'month' | 'year';

/** One account's spending in a village over a month (YYYY-MM) or a year (YYYY), with its entries. */
export interface Group {
  villageCode: string;
  /** The capped account code (a prefix of the entries' accounts). */
  account: string;
  accountName: string;
  kind: Kind;
  period: string;
  totalFen: number;
  entries: EntryRow[];
}

export const rule = defineRule({
  id: 'period-cap',
  version: 1,
  title: { zh: '期间累计支出超限额', en: 'Period spending over the cap' },
  description: {
    zh: '某村某科目在一个月或一年内的累计支出超过限额（默认招待费每年 ¥3,000）。',
    en: "An account's expenses in a village over a month or a year exceed the cap (hospitality ¥3,000 a year by default).",
  },
  basis: '《农村集体经济组织财务制度》关于非生产性开支实行预算控制、从严从紧的规定；各地村级非生产性开支限额管理办法；中央八项规定精神',
  severity: 'medium',
  params,
  query(scope, byRegion) {
    const loosest = new Map<string, { account: string; kind: Kind; cap: number }>();
    for (const p of villageParams(byRegion, scope, DEFAULTS)) {
      for (const [account, c] of Object.entries(p.caps)) {
        for (const kind of ['month', 'year'] as const) {
          const cap = c?.[kind];
          if (cap === null || cap === undefined) continue;
          const key = `${account}|${kind}`;
          const prev = loosest.get(key);
          if (!prev || cap < prev.cap) loosest.set(key, { account, kind, cap });
        }
      }
    }
    if (!loosest.size) return null;
    const caps = [...loosest.values()];
    // The expenses of the capped accounts (a few of the ledger), each counted for every cap of its account.
    const anyCapped = sql.join(
      [...new Set(caps.map((c) => c.account))].map((a) => sql`starts_with(s.account_code, ${a})`),
      sql` or `,
    );
    return sql`with caps as (select * from json_to_recordset(${jsonParam(caps)}) as c(account text, kind text, cap bigint)),
        capped as (
          select s.id, s.village_code, s.account_standard, s.account_code, s.date, s.amount_fen, c.account, c.kind, c.cap,
                 case when c.kind = 'year' then left(s.period, 4) else s.period end as period
            from spend s join caps c on starts_with(s.account_code, c.account)
           where s.in_scope and (${anyCapped})),
        high as (
          select c.village_code, c.account, c.kind, c.period, sum(c.amount_fen) as total_fen
            from capped c
           group by c.village_code, c.account, c.kind, c.period
          having sum(c.amount_fen) > max(c.cap))
        select h.village_code as "villageCode", h.account, h.kind, h.period, h.total_fen as "totalFen",
               max(case when c.account_code = c.account then coalesce(a.name, c.account_code) end) as "accountName",
               json_agg(json_build_object('id', c.id, 'villageCode', c.village_code, 'date', c.date, 'amountFen', c.amount_fen,
                                          'voucherNo', (select x.voucher_no from ledger_entries x where x.id = c.id))) as entries
          from high h
          join capped c on c.village_code = h.village_code and c.account = h.account and c.kind = h.kind and c.period = h.period
          left join accounts a on a.standard = c.account_standard and a.code = c.account_code
         group by h.village_code, h.account, h.kind, h.period, h.total_fen`;
  },
  gather: async (_db, rows) =>
    rows.map((r): Group => ({
      villageCode: String(r.villageCode),
      account: String(r.account),
      accountName: r.accountName ? String(r.accountName) : accountName(String(r.account)),
      kind: r.kind === 'month' ? 'month' : 'year',
      period: String(r.period),
      totalFen: num(r.totalFen),
      entries: json<EntryRow[]>(r.entries),
    })),
  evaluate(groups, byRegion) {
    const findings: Finding[] = [];
    const sorted = [...groups].sort(
      (a, b) => cmp(a.villageCode, b.villageCode) || cmp(a.account, b.account) || cmp(a.kind, b.kind) || cmp(a.period, b.period),
    );
    for (const g of sorted) {
      const cap = paramsFor(byRegion, g.villageCode, DEFAULTS).caps[g.account]?.[g.kind];
      if (cap === null || cap === undefined || g.totalFen <= cap) continue;
      const excess = g.totalFen - cap;
      const when = g.kind === 'year' ? `${g.period}年` : `${g.period.slice(0, 4)}年${Number(g.period.slice(5))}月`;
      const entries = [...g.entries].sort(byDate).map(evidence);
      findings.push({
        subject: `${g.villageCode}:${g.account}:${g.period}`,
        villageCode: g.villageCode,
        regionCode: g.villageCode,
        period: g.period,
        severity: 'medium',
        title: `${g.accountName}${g.kind === 'year' ? '年度' : '月度'}累计超限`,
        summary: `${when}${g.accountName}累计 ${yuan(g.totalFen)}（${entries.length} 笔），超过${g.kind === 'year' ? '年度' : '月度'}限额 ${yuan(cap)}（超出 ${yuan(excess)}）`,
        entries,
        figures: { accountCode: g.account, kind: g.kind, totalFen: g.totalFen, capFen: cap, excessFen: excess, count: entries.length },
      });
    }
    return findings;
  },
});

export default rule;
