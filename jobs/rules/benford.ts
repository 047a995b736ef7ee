// benford: the first-digit distribution of a township's expenses for a year (its villages pooled,
// since one village is too small) deviates from Benford's law far more than the county's other
// townships do: Nigrini's mean absolute deviation MAD > 0.015 (nonconformity) and more than twice
// the median MAD of the county's other townships, with N ≥ 500. Fixed payments distort the test
// and are left out: cadre pay (51301) and any amount a village pays in the same account three
// times or more in a year (fixed allowances, subsidies, rents).
import { sql } from 'drizzle-orm';
import { median } from 'simple-statistics';
import { z } from 'zod';
import { defineRule, type Finding, type ParamsByRegion, type RuleScope } from './rule.ts';
import { cmp, countyOf, firstDigitSql, json, jsonParam, num, paramsFor, pgTextArray, round, splitLists, townshipOf } from './lib.ts';

export const params = z.object({
  /** Nigrini's first-digit MAD above which a distribution does not conform (0.015). */
  mad: z.number().positive().default(0.015),
  /** And more than this many times the median MAD of the county's other townships. */
  ratio: z.number().positive().default(2),
  /** At least this many expenses in the township-year. */
  minCount: z.number().int().positive().default(500),
  /** Accounts left out (fixed cadre pay). */
  excludeAccounts: z.array(z.string()).default(['51301']),
  /** An amount paid this many times or more by one village in one account in a year is a fixed payment and left out (0: keep all). */
  recurring: z.number().int().min(0).default(3),
});
export type Params = z.infer<typeof params>;
const DEFAULTS = params.parse({});

/** First-digit counts of one township's expenses in one year. */
export interface Counts {
  township: string;
  townshipName: string;
  year: number;
  /** counts[d] for d = 1…9 (index 0 unused). */
  counts: number[];
  /** The same by village, to say where the deviation comes from. */
  villages?: { code: string; name: string; counts: number[] }[];
}

/** A village needs this many expenses for its own deviation to be named. */
const VILLAGE_MIN = 30;

/** Benford's expected share of first digit d: log10(1 + 1/d). */
export const expected = (d: number): number => Math.log10(1 + 1 / d);

/** Nigrini's mean absolute deviation of first-digit shares from Benford's law. */
export function nigriniMad(counts: readonly number[]): { n: number; mad: number; shares: number[] } {
  const n = counts.slice(1, 10).reduce((s, c) => s + c, 0);
  const shares = [0];
  let sum = 0;
  for (let d = 1; d <= 9; d++) {
    const share = n ? (counts[d] ?? 0) / n : 0;
    shares.push(share);
    sum += Math.abs(share - expected(d));
  }
  return { n, mad: sum / 9, shares };
}

export interface Deviation {
  counts: Counts;
  n: number;
  mad: number;
  shares: number[];
  othersMedian: number;
  others: number;
}

/** The township-years of the scope that deviate from Benford's law far more than their county's other townships. */
export function deviations(all: Counts[], byRegion: ParamsByRegion<Params>, scope: RuleScope): Deviation[] {
  const wanted = new Set(scope.villages.map(townshipOf));
  const stats = all.map((c) => ({ c, ...nigriniMad(c.counts) }));
  const out: Deviation[] = [];
  for (const s of stats) {
    if (!wanted.has(s.c.township)) continue;
    const p = paramsFor(byRegion, s.c.township, DEFAULTS);
    if (s.n < p.minCount || s.mad <= p.mad) continue;
    // The county's other townships that year: those with a sample as large, or failing that all of them.
    const peers = stats.filter(
      (o) => o.c.year === s.c.year && o.c.township !== s.c.township && countyOf(o.c.township) === countyOf(s.c.township) && o.n > 0,
    );
    const large = peers.filter((o) => o.n >= p.minCount);
    const others = (large.length ? large : peers).map((o) => o.mad);
    if (!others.length) continue;
    const othersMedian = median(others);
    if (s.mad <= p.ratio * othersMedian) continue;
    out.push({ counts: s.c, n: s.n, mad: s.mad, shares: s.shares, othersMedian, others: others.length });
  }
  return out.sort((a, b) => cmp(`${a.counts.township}:${a.counts.year}`, `${b.counts.township}:${b.counts.year}`));
}

export const rule = defineRule({
  id: 'benford',
  version: 1,
  title: { zh: '支出首位数字分布偏离本福特定律', en: "First digits deviate from Benford's law" },
  description: {
    zh: '某乡镇一年的支出（各村合并，剔除固定报酬等）首位数字分布偏离本福特定律，且远超同县其他乡镇：Nigrini MAD > 0.015 且大于其他乡镇 MAD 中位数的 2 倍，样本不少于 500 笔。',
    en: "The first-digit distribution of a township's expenses for a year deviates from Benford's law far more than the county's other townships: Nigrini MAD > 0.015 and > 2× their median, N ≥ 500.",
  },
  basis:
    'Nigrini《Benford’s Law: Applications for Forensic Accounting, Auditing, and Fraud Detection》（首位数字检验，MAD > 0.015 为不符合）；审计署数据式审计方法中的数字分析；《中华人民共和国会计法》第二十五条',
  severity: 'medium',
  params,
  query(scope, byRegion) {
    // Settings per township (the test pools a township's villages); the county's other
    // townships, peers outside the scope, take the county's.
    const setting = (code: string) => {
      const p = paramsFor(byRegion, code, DEFAULTS);
      return { code, exclude: p.excludeAccounts, recurring: p.recurring };
    };
    const townships = [...new Set(scope.villages.map(townshipOf))].sort(cmp).map(setting);
    const counties = [...new Set(scope.villages.map(countyOf))].sort(cmp).map(setting);
    const recurring = Math.min(...[...townships, ...counties].map((t) => t.recurring).filter((r) => r > 0));
    const lists = [...townships, ...counties].map((t) => t.exclude);
    // Accounts every setting leaves out are left out first; those only some leave out are kept
    // apart (by account) for each village's own setting; the others are counted together.
    const { everywhere, somewhere } = splitLists(lists);
    const kept = everywhere.length ? sql`s.account_code <> all (${pgTextArray(everywhere)})` : sql`true`;
    const accountKey = somewhere.length ? sql`case when s.account_code = any (${pgTextArray(somewhere)}) then s.account_code else '' end` : sql`''`;
    const digit = firstDigitSql(sql`s.amount_fen`);
    // First digits counted per village, year (and account, for the accounts only some settings
    // leave out) — a small aggregate — less the expenses of amounts a village paid `recurring`
    // times or more in an account in a year (fixed payments): only an amount the village paid
    // that often at all (spend_amounts) can be.
    return sql`with tw as (select * from json_to_recordset(${jsonParam(townships)}) as t(code text, exclude text[], recurring int)),
        tc as (select * from json_to_recordset(${jsonParam(counties)}) as t(code text, exclude text[], recurring int)),
        by_digit as (
          select s.village_code, s.year, ${accountKey} as account_code, ${digit} as digit, count(*) as n
            from county_spend s
           where ${kept}
           group by 1, 2, 3, 4),
        repeated as (
          select s.village_code, s.year, s.account_code, ${digit} as digit, count(*) as n
            from county_spend s
           where ${kept}
             and ${
               !Number.isFinite(recurring)
                 ? sql`false`
                 : recurring <= 1
                   ? sql`true` // (every amount paid is paid once or more; spend_amounts holds those paid twice or more)
                   : sql`(s.village_code, s.amount_fen) in (select a.village_code, a.amount_fen from spend_amounts a where a.n >= ${recurring})`
             }
           group by s.village_code, s.year, s.account_code, s.amount_fen),
        settings as (
          select v.village_code, left(v.village_code, 9) || '000' as township,
                 coalesce(tw.exclude, tc.exclude) as exclude, coalesce(tw.recurring, tc.recurring) as recurring
            from (select distinct d.village_code from by_digit d) v
            left join tw on tw.code = left(v.village_code, 9) || '000'
            left join tc on tc.code = left(v.village_code, 6) || '000000'),
        counted as (
          select d.village_code, d.year, d.digit, d.n
            from by_digit d join settings p on p.village_code = d.village_code
           where d.account_code = '' or d.account_code <> all (p.exclude)
          union all
          select r.village_code, r.year, r.digit, -r.n
            from repeated r join settings p on p.village_code = r.village_code
           where r.account_code <> all (p.exclude) and p.recurring > 0 and r.n >= p.recurring)
        select p.township, coalesce(t.name, p.township) as "townshipName", c.village_code as "villageCode",
               coalesce(v.name, c.village_code) as "villageName", c.year,
               array[${sql.join(
                 [1, 2, 3, 4, 5, 6, 7, 8, 9].map((d) => sql`coalesce(sum(c.n) filter (where c.digit = ${d}), 0)`),
                 sql`, `,
               )}] as counts
          from counted c
          join settings p on p.village_code = c.village_code
          left join regions t on t.code = p.township
          left join regions v on v.code = c.village_code
         group by p.township, t.name, c.village_code, v.name, c.year
        having sum(c.n) > 0`;
  },
  async gather(_db, rows) {
    const byKey = new Map<string, Counts>();
    for (const r of [...rows].sort((a, b) => cmp(String(a.villageCode), String(b.villageCode)))) {
      const key = `${String(r.township)}|${num(r.year)}`;
      let c = byKey.get(key);
      if (!c) {
        c = { township: String(r.township), townshipName: String(r.townshipName), year: num(r.year), counts: Array<number>(10).fill(0), villages: [] };
        byKey.set(key, c);
      }
      const counts = [0, ...json<unknown[]>(r.counts).map(num)];
      c.villages!.push({ code: String(r.villageCode), name: String(r.villageName), counts });
      for (let d = 1; d <= 9; d++) c.counts[d] = c.counts[d]! + counts[d]!;
    }
    return [...byKey.values()].sort((a, b) => cmp(a.township, b.township) || a.year - b.year);
  },
  evaluate(all, byRegion, scope) {
    return deviations(all, byRegion, scope).map((d): Finding => {
      const p = paramsFor(byRegion, d.counts.township, DEFAULTS);
      const times = d.othersMedian > 0 ? round(d.mad / d.othersMedian, 1) : null;
      // The digit furthest above its expected share, for the sentence.
      let top = 1;
      for (let k = 2; k <= 9; k++) if (d.shares[k]! - expected(k) > d.shares[top]! - expected(top)) top = k;
      const figures: Record<string, number | string> = {
        n: d.n,
        mad: round(d.mad, 4),
        madThreshold: p.mad,
        othersMedianMad: round(d.othersMedian, 4),
        ratio: times ?? 'inf',
        others: d.others,
      };
      for (let k = 1; k <= 9; k++) figures[`share${k}`] = round(d.shares[k]!, 4);
      // The village deviating most, for the inspector to start with.
      const worst = (d.counts.villages ?? [])
        .map((v) => ({ ...v, ...nigriniMad(v.counts) }))
        .filter((v) => v.n >= VILLAGE_MIN)
        .sort((a, b) => b.mad - a.mad || cmp(a.code, b.code))[0];
      if (worst) {
        figures.worstVillage = worst.code;
        figures.worstVillageMad = round(worst.mad, 4);
        figures.worstVillageN = worst.n;
      }
      return {
        subject: `${d.counts.township}:${d.counts.year}`,
        villageCode: null,
        regionCode: d.counts.township,
        period: String(d.counts.year),
        severity: 'medium',
        title: '乡镇支出首位数字分布异常',
        summary:
          `${d.counts.year}年${d.counts.townshipName}各村合计 ${d.n} 笔支出的首位数字分布偏离本福特定律：` +
          `MAD ${d.mad.toFixed(4)}，超过 ${p.mad}，且为同县其他 ${d.others} 个乡镇中位数 ${d.othersMedian.toFixed(4)} 的 ${times ?? '∞'} 倍；` +
          `首位为 ${top} 的占 ${(d.shares[top]! * 100).toFixed(1)}%（理论 ${(expected(top) * 100).toFixed(1)}%）` +
          (worst ? `；偏离最大的是${worst.name}（${worst.n} 笔，MAD ${worst.mad.toFixed(4)}）` : ''),
        entries: [],
        figures,
      };
    });
  },
});

export default rule;
