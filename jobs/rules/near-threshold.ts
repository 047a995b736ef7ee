// near-threshold: three or more expenses of one village within 90 days fall just below the
// major-matter standard, in [band·T_major, T_major) — amounts kept under the line on purpose.
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { defineRule, type Finding } from './rule.ts';
import {
  byDate,
  cmp,
  daysBetween,
  evidence,
  evidenceColumns,
  groupBy,
  paramsFor,
  percent,
  villageParams,
  withDetails,
  yuan,
  type EntryRow,
} from './lib.ts';

export const params = z.object({
  /** T_major in fen. */
  majorFen: z.number().int().positive().default(1_000_000),
  /** The band starts at this share of T_major. */
  band: z.number().gt(0).lt(1).default(0.95),
  /** How many expenses in the band make a finding. */
  count: z.number().int().min(2).default(3),
  /** Within this many days (first to last). */
  windowDays: z.number().int().positive().default(90),
});
export type Params = z.infer<typeof params>;
const DEFAULTS = params.parse({});

export interface Row extends EntryRow {
  summary: string;
  counterparty: string | null;
}

/** The lowest amount in the band, in fen: ⌈band·T_major⌉ (the ratio is rounded to 1e-9 first). */
export const bandFloor = (p: Pick<Params, 'majorFen' | 'band'>): number => Math.ceil(Math.round(p.majorFen * p.band * 1e6) / 1e6);

/** Groups of at least `count` in-band expenses (sorted by date) whose first and last are within the window; each reported once. */
export function nearGroups<T extends EntryRow>(sorted: T[], p: Params): T[][] {
  const lo = bandFloor(p);
  const items = sorted.filter((e) => e.amountFen >= lo && e.amountFen < p.majorFen);
  const groups: T[][] = [];
  let i = 0;
  while (i < items.length) {
    let j = i;
    while (j + 1 < items.length && daysBetween(items[i]!.date, items[j + 1]!.date) <= p.windowDays) j++;
    if (j - i + 1 >= p.count) {
      groups.push(items.slice(i, j + 1));
      i = j + 1;
    } else i++;
  }
  return groups;
}

export const rule = defineRule({
  id: 'near-threshold',
  version: 1,
  title: { zh: '金额贴近重大事项标准', en: 'Amounts just below the major-matter standard' },
  description: {
    zh: '同一村 90 天内有 3 笔以上支出落在重大事项标准的 95%～100% 之间（刻意压在标准线下）。',
    en: 'Three or more expenses of one village within 90 days fall in [0.95·T_major, T_major).',
  },
  basis: '《中国共产党农村基层组织工作条例》第十九条“四议两公开”；审计实务中的临界值测试（金额集中于审批标准线下方提示规避审批）',
  severity: 'medium',
  params,
  query(scope, byRegion) {
    const all = villageParams(byRegion, scope, DEFAULTS);
    const lo = Math.min(...all.map(bandFloor));
    const hi = Math.max(...all.map((p) => p.majorFen));
    return sql`select ${evidenceColumns}, e.summary, e.counterparty
                 from ${withDetails}
                where s.in_scope and s.amount_fen >= ${lo} and s.amount_fen < ${hi}`;
  },
  evaluate(rows: Row[], byRegion) {
    const byVillage = groupBy(rows, (r) => r.villageCode);
    const findings: Finding[] = [];
    for (const villageCode of [...byVillage.keys()].sort(cmp)) {
      const p = paramsFor(byRegion, villageCode, DEFAULTS);
      const lo = bandFloor(p);
      for (const group of nearGroups([...byVillage.get(villageCode)!].sort(byDate), p)) {
        const first = group[0]!;
        const last = group[group.length - 1]!;
        const span = daysBetween(first.date, last.date);
        const total = group.reduce((s, e) => s + e.amountFen, 0);
        findings.push({
          subject: first.id,
          villageCode,
          regionCode: villageCode,
          period: first.date.slice(0, 7),
          severity: 'medium',
          title: '多笔支出贴近重大事项标准',
          summary:
            `${first.date} 至 ${last.date}（${span} 天内）有 ${group.length} 笔支出在 ${yuan(lo)}～${yuan(p.majorFen)} 之间，` +
            `紧贴重大事项标准 ${yuan(p.majorFen)}（${group.map((e) => `${e.voucherNo} ${yuan(e.amountFen)}`).join('、')}）`,
          entries: group.map(evidence),
          figures: {
            count: group.length,
            minCount: p.count,
            bandFloorFen: lo,
            majorFen: p.majorFen,
            band: percent(p.band, 0),
            totalFen: total,
            spanDays: span,
            windowDays: p.windowDays,
          },
        });
      }
    }
    return findings;
  },
});

export default rule;
