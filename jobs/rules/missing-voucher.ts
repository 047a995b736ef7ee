// missing-voucher: a published expense has no voucher image (receipt, invoice, contract) attached,
// once the grace period after its date has passed (0 days by default).
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { defineRule, type Finding } from './rule.ts';
import { accountNameColumn, addDays, byDate, evidence, evidenceColumns, paramsFor, quote, villageParams, withDetails, yuan, type EntryRow } from './lib.ts';

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
  query(scope, byRegion) {
    const minGrace = Math.min(...villageParams(byRegion, scope, DEFAULTS).map((p) => p.graceDays));
    return sql`select ${evidenceColumns}, e.summary, ${accountNameColumn}
                 from ${withDetails}
                where s.in_scope and s.voucher_pages = 0 and s.date <= ${addDays(scope.asOf, -minGrace)}::date`;
  },
  evaluate(rows: Row[], byRegion, scope) {
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
