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
import { cmp, countyOf, countyVillages, jsonParam, num, paramsFor, queryRows, round, spendingCtes, townshipOf } from './lib.ts';

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
  async gather(db, scope, byRegion) {
    const rows = await queryRows<{ code: string }>(
      db,
      sql`select r.code from regions r where r.level = 'township'
             and left(r.code, 6) in (select left(v, 6) from json_array_elements_text(${jsonParam(scope.villages)}) as v)`,
    );
    const townships = [...new Set([...rows.map((r) => String(r.code)), ...scope.villages.map(townshipOf)])].sort(cmp).map((code) => {
      const p = paramsFor(byRegion, code, DEFAULTS);
      return { township: code, exclude: p.excludeAccounts, recurring: p.recurring };
    });
    const counted = await queryRows<Record<string, unknown>>(
      db,
      sql`with ${spendingCtes(scope, countyVillages(scope))},
        tw as (select * from json_to_recordset(${jsonParam(townships)}) as t(township text, exclude text[], recurring int)),
        counted as (
          -- How many times a village paid each amount in each account and year (a hash
          -- aggregate: counting each expense's repeats by a window sorted the whole county).
          select s.village_code, s.year, s.account_code, s.amount_fen, count(*) as repeats
            from spend s
           group by s.village_code, s.year, s.account_code, s.amount_fen),
        digits as (
          select tw.township, c.village_code, c.year, left(c.amount_fen::text, 1)::int as digit, sum(c.repeats) as n
            from counted c join tw on tw.township = left(c.village_code, 9) || '000'
           where c.account_code <> all (tw.exclude)
             and (tw.recurring = 0 or c.repeats < tw.recurring)
           group by tw.township, c.village_code, c.year, left(c.amount_fen::text, 1)::int)
        select k.township, coalesce(t.name, k.township) as township_name, k.village_code, coalesce(v.name, k.village_code) as village_name,
               k.year, k.digit, k.n
          from digits k left join regions t on t.code = k.township left join regions v on v.code = k.village_code
         order by k.township, k.year, k.village_code, k.digit`,
    );
    const byKey = new Map<string, Counts>();
    for (const r of counted) {
      const key = `${String(r.township)}|${num(r.year)}`;
      const c = byKey.get(key) ?? {
        township: String(r.township),
        townshipName: String(r.township_name),
        year: num(r.year),
        counts: Array<number>(10).fill(0),
        villages: [],
      };
      byKey.set(key, c);
      let v = c.villages!.find((x) => x.code === String(r.village_code));
      if (!v) {
        v = { code: String(r.village_code), name: String(r.village_name), counts: Array<number>(10).fill(0) };
        c.villages!.push(v);
      }
      const d = num(r.digit);
      v.counts[d] = num(r.n);
      c.counts[d] = c.counts[d]! + num(r.n);
    }
    return [...byKey.values()];
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
