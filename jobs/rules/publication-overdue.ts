// publication-overdue: at asOf, the latest period whose deadline (the 15th of the next month,
// China time) has passed is not published, or was published after its deadline. A publication
// made after asOf was not known at asOf, so it raises nothing.
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { defineRule, type Finding } from './rule.ts';
import { byDate, cmp, daysBetween, evidence, paramsFor, pgTextArray, type EntryRow } from './lib.ts';

export const params = z.object({
  /** A period is due by the end of this day of the next month (China time). */
  deadlineDay: z.number().int().min(1).max(28).default(15),
});
export type Params = z.infer<typeof params>;
const DEFAULTS = params.parse({});

export interface VillageState {
  villageCode: string;
  villageName: string;
  /** Published periods with when they were published (epoch milliseconds). */
  publications: { period: string; publishedAt: number }[];
  /** Entries not yet published (drafts), dated on or before asOf. */
  drafts: (EntryRow & { period: string })[];
}

const prevPeriod = (period: string) => {
  const y = Number(period.slice(0, 4));
  const m = Number(period.slice(5, 7));
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
};
const nextPeriod = (period: string) => {
  const y = Number(period.slice(0, 4));
  const m = Number(period.slice(5, 7));
  return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
};

/** The deadline day (YYYY-MM-DD, China time) of a period: the given day of the next month. */
export const deadlineOf = (period: string, day: number): string => `${nextPeriod(period)}-${String(day).padStart(2, '0')}`;

/** The latest period whose deadline has passed by the end of `asOf` (its deadline day is before asOf). */
export function duePeriod(asOf: string, day: number): string {
  let period = asOf.slice(0, 7);
  while (deadlineOf(period, day) >= asOf) period = prevPeriod(period);
  return period;
}

/** The China-time calendar day of a moment. */
export const chinaDate = (ms: number): string => new Date(ms + 8 * 3_600_000).toISOString().slice(0, 10);

const monthsBetween = (from: string, to: string) =>
  (Number(to.slice(0, 4)) - Number(from.slice(0, 4))) * 12 + Number(to.slice(5, 7)) - Number(from.slice(5, 7));

export const rule = defineRule({
  id: 'publication-overdue',
  version: 1,
  title: { zh: '村务财务未按期公开', en: 'Accounts not published on time' },
  description: {
    zh: '截至检查日，最近一个已过公开期限（次月 15 日，北京时间）的账期没有公开，或在期限之后才公开。',
    en: 'At asOf, the latest period whose deadline (15th of the next month, China time) has passed is not published, or was published after its deadline.',
  },
  basis:
    '《中华人民共和国村民委员会组织法》第三十条（村务公开，财务收支情况至少每月公布一次）；《农村集体经济组织财务制度》关于财务公开的规定；《中国共产党农村基层组织工作条例》“两公开”',
  severity: 'medium',
  params,
  query(scope) {
    return sql`with v as (select r.code, r.name from regions r where r.code = any (${pgTextArray(scope.villages)})),
        onboard as (
          select v.code from v
           where exists (select 1 from ledger_entries e where e.village_code = v.code and e.date <= ${scope.asOf}::date)
              or exists (select 1 from publications p where p.village_code = v.code))
        select v.code as "villageCode", v.name as "villageName",
               coalesce((select json_agg(json_build_object('period', p.period,
                                 'publishedAt', floor(extract(epoch from p.published_at) * 1000)::bigint) order by p.period)
                           from publications p where p.village_code = v.code), '[]'::json) as publications,
               coalesce((select json_agg(json_build_object('id', e.id, 'villageCode', e.village_code, 'voucherNo', e.voucher_no,
                                 'date', e.date, 'amountFen', e.amount_fen, 'period', e.period)
                                 order by e.date, e.voucher_no)
                           from ledger_entries e
                          where e.village_code = v.code and e.status = 'draft' and e.date <= ${scope.asOf}::date), '[]'::json) as drafts
          from v join onboard o on o.code = v.code`;
  },
  evaluate(villages: VillageState[], byRegion, scope) {
    const findings: Finding[] = [];
    for (const v of [...villages].sort((a, b) => cmp(a.villageCode, b.villageCode))) {
      const { deadlineDay } = paramsFor(byRegion, v.villageCode, DEFAULTS);
      const due = duePeriod(scope.asOf, deadlineDay);
      const deadline = deadlineOf(due, deadlineDay);
      const pub = v.publications.find((p) => p.period === due);
      const base = { subject: `${v.villageCode}:${due}`, villageCode: v.villageCode, regionCode: v.villageCode, period: due };
      const dueText = `${due.slice(0, 4)}年${Number(due.slice(5))}月`;
      if (!pub) {
        const latest =
          v.publications
            .filter((p) => p.period < due && chinaDate(p.publishedAt) <= scope.asOf)
            .map((p) => p.period)
            .sort(cmp)
            .pop() ?? null;
        const pending = v.drafts.filter((e) => e.period <= due).sort(byDate);
        const overdueDays = daysBetween(deadline, scope.asOf);
        findings.push({
          ...base,
          severity: 'medium',
          title: '财务收支未按期公开',
          summary:
            `${dueText}的财务收支应于 ${deadline} 前公开，截至 ${scope.asOf} 仍未公开（已逾期 ${overdueDays} 天` +
            `${latest ? `，最近公开到 ${latest}` : ''}${pending.length ? `，另有 ${pending.length} 笔账目未公开` : ''}）`,
          entries: pending.map(evidence),
          figures: {
            status: 'missing',
            deadline,
            overdueDays,
            ...(latest ? { latestPublished: latest, periodsBehind: monthsBetween(latest, due) } : {}),
            unpublishedEntries: pending.length,
          },
        });
        continue;
      }
      const published = chinaDate(pub.publishedAt);
      if (published > scope.asOf) continue; // not known at asOf
      if (published <= deadline) continue;
      const lateDays = daysBetween(deadline, published);
      findings.push({
        ...base,
        severity: 'low',
        title: '财务收支逾期公开',
        summary: `${dueText}的财务收支应于 ${deadline} 前公开，实际于 ${published} 才公开，逾期 ${lateDays} 天`,
        entries: [],
        figures: { status: 'late', deadline, publishedOn: published, lateDays },
      });
    }
    return findings;
  },
});

export default rule;
