// large-expense-no-decision: an expense at or above the major-matter standard (T_major, ¥10,000 by
// default) has no decision ref, a ref that names no decision of the village, or a decision dated
// after the payment (四议两公开 must come before the money goes out).
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { defineRule, type Finding } from './rule.ts';
import {
  accountNameColumn,
  byDate,
  evidence,
  evidenceColumns,
  normalizeRef,
  paramsFor,
  quote,
  villageParams,
  withDetails,
  yuan,
  type EntryRow,
} from './lib.ts';

export const params = z.object({
  /** T_major: an expense of at least this many fen is a major matter needing a prior decision. */
  majorFen: z.number().int().positive().default(1_000_000),
});
export type Params = z.infer<typeof params>;
const DEFAULTS = params.parse({});

export interface Row extends EntryRow {
  summary: string;
  accountName: string;
  decisionRef: string | null;
  /** The village's decision with that ref (normalised match), if any. */
  decisionFound: boolean;
  decidedOn: string | null;
}

export type Reason = 'no_ref' | 'unknown_ref' | 'decided_after';

/** Why an entry lacks a prior decision, or null when it has one. */
export function reasonOf(r: Row): Reason | null {
  if (!normalizeRef(r.decisionRef)) return 'no_ref';
  if (!r.decisionFound) return 'unknown_ref';
  if (r.decidedOn !== null && r.decidedOn > r.date) return 'decided_after';
  return null;
}

export const rule = defineRule({
  id: 'large-expense-no-decision',
  version: 1,
  title: { zh: '大额支出无事前决议', en: 'Large expense without a prior decision' },
  description: {
    zh: '达到重大事项标准（默认 ¥10,000）的支出没有决议编号、决议编号在本村不存在，或决议日期晚于付款日期。',
    en: 'An expense at or above the major-matter standard (¥10,000 by default) has no decision ref, an unknown ref, or a decision dated after the payment.',
  },
  basis:
    '《中国共产党农村基层组织工作条例》第十九条“四议两公开”；《中华人民共和国村民委员会组织法》第二十四条（涉及村民利益的事项须经村民会议讨论决定）；《农村集体经济组织财务制度》关于重大财务事项民主决策的规定',
  severity: 'high',
  params,
  query(scope, byRegion) {
    const min = Math.min(...villageParams(byRegion, scope, DEFAULTS).map((p) => p.majorFen));
    // `decided` (a known decision dated on or before the payment) is exactly when reasonOf finds nothing.
    return sql`select ${evidenceColumns}, e.summary, ${accountNameColumn}, e.decision_ref as "decisionRef",
                      s.decision_known as "decisionFound", s.decided_on as "decidedOn"
                 from ${withDetails}
                where s.in_scope and s.amount_fen >= ${min} and not s.decided`;
  },
  evaluate(rows: Row[], byRegion) {
    const findings: Finding[] = [];
    for (const r of [...rows].sort(byDate)) {
      const { majorFen } = paramsFor(byRegion, r.villageCode, DEFAULTS);
      if (r.amountFen < majorFen) continue;
      const reason = reasonOf(r);
      if (!reason) continue;
      const head = `${r.date} 凭证 ${r.voucherNo}${quote(r.summary)}支出 ${yuan(r.amountFen)}，达到重大事项标准 ${yuan(majorFen)}`;
      const tail =
        reason === 'no_ref'
          ? '，但未注明决议编号'
          : reason === 'unknown_ref'
            ? `，但所注决议编号「${r.decisionRef}」在本村决议中不存在`
            : `，但决议「${r.decisionRef}」作出于 ${r.decidedOn}，晚于付款日期`;
      findings.push({
        subject: r.id,
        villageCode: r.villageCode,
        regionCode: r.villageCode,
        period: r.date.slice(0, 7),
        severity: 'high',
        title: reason === 'decided_after' ? '大额支出先付款后决议' : '大额支出无决议',
        summary: head + tail,
        entries: [evidence(r)],
        figures: {
          amountFen: r.amountFen,
          majorFen,
          reason,
          ...(r.decisionRef ? { decisionRef: r.decisionRef } : {}),
          ...(r.decidedOn ? { decidedOn: r.decidedOn } : {}),
        },
      });
    }
    return findings;
  },
});

export default rule;
