// missing-voucher: a published expense has no voucher image (receipt, invoice, contract) attached,
// once the grace period after its date has passed (0 days by default).
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { defineRule, type Finding } from './rule.ts';
import { addDays, byDate, evidence, num, paramsFor, queryRows, quote, spendingCtes, villageParams, yuan, type EntryRow } from './lib.ts';

export const params = z.object({
  /** Days after the entry's date before a missing voucher is raised. */
  graceDays: z.number().int().min(0).default(0),
});
export type Params = z.infer<typeof params>;
const DEFAULTS = params.parse({});

export interface Row extends EntryRow {
  summary: string;
  accountName: string;
}

export const rule = defineRule({
  id: 'missing-voucher',
  version: 1,
  title: { zh: '支出缺少原始凭证', en: 'Expense without a voucher' },
  description: {
    zh: '已公开的支出没有附原始凭证影像（发票、收据、合同等）。',
    en: 'A published expense has no voucher image attached.',
  },
  basis:
    '《中华人民共和国会计法》第十四条（会计凭证包括原始凭证和记账凭证，办理经济业务事项必须取得原始凭证）；《农村集体经济组织会计制度》关于原始凭证的规定',
  severity: 'medium',
  params,
  async gather(db, scope, byRegion) {
    const minGrace = Math.min(...villageParams(byRegion, scope, DEFAULTS).map((p) => p.graceDays));
    const rows = await queryRows<Record<string, unknown>>(
      db,
      sql`with ${spendingCtes(scope)}
        select s.id, s.village_code, s.voucher_no, s.date, s.amount_fen, s.summary, s.account_name
          from spend s
         where s.date::date <= ${addDays(scope.asOf, -minGrace)}::date
           and s.voucher_pages = 0
         order by s.village_code, s.date, s.voucher_no`,
    );
    return rows.map((r): Row => ({
      id: String(r.id),
      villageCode: String(r.village_code),
      voucherNo: String(r.voucher_no),
      date: String(r.date),
      amountFen: num(r.amount_fen),
      summary: String(r.summary),
      accountName: String(r.account_name),
    }));
  },
  evaluate(rows, byRegion, scope) {
    const findings: Finding[] = [];
    for (const r of [...rows].sort(byDate)) {
      const { graceDays } = paramsFor(byRegion, r.villageCode, DEFAULTS);
      if (r.date > addDays(scope.asOf, -graceDays)) continue;
      findings.push({
        subject: r.id,
        villageCode: r.villageCode,
        regionCode: r.villageCode,
        period: r.date.slice(0, 7),
        severity: 'medium',
        title: '支出未附原始凭证',
        summary: `${r.date} 凭证 ${r.voucherNo}${quote(r.summary)}（${r.accountName}）支出 ${yuan(r.amountFen)}，已公开但未附原始凭证影像`,
        entries: [evidence(r)],
        figures: { amountFen: r.amountFen, graceDays, pages: 0 },
      });
    }
    return findings;
  },
});

export default rule;
