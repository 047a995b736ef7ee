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
  queryRows,
  spendingCtes,
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
  async gather(db, scope, byRegion) {
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
    if (!loosest.size) return [];
    const rows = await queryRows<Record<string, unknown>>(
      db,
      sql`with ${spendingCtes(scope)},
        caps as (select * from json_to_recordset(${jsonParam([...loosest.values()])}) as c(account text, kind text, cap bigint)),
        grouped as (
          select s.village_code, c.account, c.kind, case when c.kind = 'year' then s.year::text else s.period end as period,
                 max(c.cap) as cap, sum(s.amount_fen) as total_fen,
                 max(case when s.account_code = c.account then s.account_name end) as account_name,
                 json_agg(json_build_object('id', s.id, 'villageCode', s.village_code, 'voucherNo', s.voucher_no,
                                            'date', s.date, 'amountFen', s.amount_fen) order by s.date, s.voucher_no) as entries
            from spend s join caps c on s.account_code like c.account || '%'
           group by s.village_code, c.account, c.kind, case when c.kind = 'year' then s.year::text else s.period end)
        select g.* from grouped g
         where g.total_fen > g.cap
         order by g.village_code, g.account, g.kind, g.period`,
    );
    return rows.map((r): Group => ({
      villageCode: String(r.village_code),
      account: String(r.account),
      accountName: r.account_name ? String(r.account_name) : accountName(String(r.account)),
      kind: r.kind === 'month' ? 'month' : 'year',
      period: String(r.period),
      totalFen: num(r.total_fen),
      entries: json<Record<string, unknown>[]>(r.entries).map((e) => ({
        id: String(e.id),
        villageCode: String(e.villageCode),
        voucherNo: String(e.voucherNo),
        date: String(e.date),
        amountFen: num(e.amountFen),
      })),
    }));
  },
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
