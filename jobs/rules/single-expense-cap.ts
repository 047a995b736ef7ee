// single-expense-cap: one expense in an account exceeds that account's per-entry cap
// (招待费 ¥500 by default; other accounts uncapped unless a region sets a cap).
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { defineRule, type Finding } from './rule.ts';
import {
  ACCOUNT_CODE,
  accountNameColumn,
  byDate,
  evidence,
  evidenceColumns,
  paramsFor,
  quote,
  villageParams,
  withDetails,
  yuan,
  type EntryRow,
} from './lib.ts';

const capFen = z.number().int().positive().nullable();

export const params = z.object({
  /** Per-entry cap in fen by account code (a 3-digit code covers its sub-accounts; the most specific applies; null = no cap). */
  caps: z
    .object({ '51304': capFen.default(50_000) })
    .catchall(capFen)
    .superRefine((caps, ctx) => {
      for (const k of Object.keys(caps)) if (!ACCOUNT_CODE.test(k)) ctx.addIssue({ code: 'custom', message: `科目编码无效：${k}` });
    })
    .prefault({}),
});
export type Params = z.infer<typeof params>;
const DEFAULTS = params.parse({});

export interface Row extends EntryRow {
  accountCode: string;
  accountName: string;
  summary: string;
}

/** The cap that applies to an account: the most specific account code with a cap set. */
export function capFor(caps: Params['caps'], account: string): { account: string; capFen: number } | null {
  let best: { account: string; capFen: number } | null = null;
  for (const [code, cap] of Object.entries(caps)) {
    if (cap === null || cap === undefined || !account.startsWith(code)) continue;
    if (!best || code.length > best.account.length) best = { account: code, capFen: cap };
  }
  return best;
}

export const rule = defineRule({
  id: 'single-expense-cap',
  version: 1,
  title: { zh: '单笔支出超限额', en: 'Single expense over the per-entry cap' },
  description: {
    zh: '某科目的一笔支出超过该科目的单笔限额（默认招待费每笔 ¥500）。',
    en: "One expense in an account exceeds that account's per-entry cap (hospitality ¥500 by default).",
  },
  basis:
    '《农村集体经济组织财务制度》关于非生产性开支从严控制的规定；各地村级财务管理办法对招待费等非生产性开支的单笔限额；中央八项规定精神',
  severity: 'medium',
  params,
  query(scope, byRegion) {
    // Pre-filter with the loosest cap of each capped account over the scope; evaluate applies each village's own.
    const loosest = new Map<string, number>();
    for (const p of villageParams(byRegion, scope, DEFAULTS)) {
      for (const [code, cap] of Object.entries(p.caps)) {
        if (cap === null || cap === undefined) continue;
        loosest.set(code, Math.min(cap, loosest.get(code) ?? Infinity));
      }
    }
    if (!loosest.size) return null;
    const over = sql.join(
      [...loosest].map(([account, cap]) => sql`(s.amount_fen > ${cap} and starts_with(s.account_code, ${account}))`),
      sql` or `,
    );
    return sql`select ${evidenceColumns}, s.account_code as "accountCode", ${accountNameColumn}, e.summary
                 from ${withDetails}
                where s.in_scope and (${over})`;
  },
  evaluate(rows: Row[], byRegion) {
    const findings: Finding[] = [];
    for (const r of [...rows].sort(byDate)) {
      const cap = capFor(paramsFor(byRegion, r.villageCode, DEFAULTS).caps, r.accountCode);
      if (!cap || r.amountFen <= cap.capFen) continue;
      const excess = r.amountFen - cap.capFen;
      findings.push({
        subject: r.id,
        villageCode: r.villageCode,
        regionCode: r.villageCode,
        period: r.date.slice(0, 7),
        severity: 'medium',
        title: `${r.accountName}单笔超限`,
        summary: `${r.accountName}单笔 ${yuan(r.amountFen)}，超过限额 ${yuan(cap.capFen)}（超出 ${yuan(excess)}；${r.date} 凭证 ${r.voucherNo}${quote(r.summary)}）`,
        entries: [evidence(r)],
        figures: { accountCode: r.accountCode, amountFen: r.amountFen, capFen: cap.capFen, excessFen: excess, capAccount: cap.account },
      });
    }
    return findings;
  },
});

export default rule;
