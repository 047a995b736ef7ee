import { describe, expect, it } from 'vitest';
import { expected, nigriniMad, rule, type Counts } from '../../../jobs/rules/benford.ts';

const county = '519901000000';
const T = ['519901101000', '519901102000', '519901103000', '519901104000'];
/** First-digit counts of n amounts following Benford's law (rounded; digit 1 takes the remainder, so they sum to n). */
const benford = (n: number): number[] => {
  const c = [0, 0, ...Array.from({ length: 8 }, (_, i) => Math.round(n * expected(i + 2)))];
  c[1] = n - c.reduce((s, x) => s + x, 0);
  return c;
};
/** Counts off Benford by about `mad` (moving weight from the low to the high digits). */
const skewed = (n: number, shift: number): number[] => {
  const c = benford(n);
  const k = Math.round(n * shift);
  c[1]! -= k;
  c[2]! -= k;
  c[8]! += k;
  c[9]! += k;
  return c;
};
const counts = (township: string, c: number[], year = 2025): Counts => ({
  township,
  townshipName: `镇${township.slice(6, 9)}`,
  year,
  counts: c,
});
const villagesOf = (ts: string[]) => ts.map((t) => `${t.slice(0, 9)}201`);
const run = (all: Counts[], over: Record<string, unknown> = {}, scopeTownships = T) => {
  const villages = villagesOf(scopeTownships);
  const params = new Map([county, ...T, ...villages].map((c) => [c, rule.params.parse(over)]));
  return rule.evaluate(all, params, { region: county, villages, asOf: '2026-01-31' });
};
/** Three townships conforming loosely (MAD ≈ 0.018), one far off. */
const county4 = (n = 550, shift = 0.1) => [
  counts(T[0]!, skewed(550, 0.02)),
  counts(T[1]!, skewed(560, 0.02)),
  counts(T[2]!, skewed(n, shift)),
  counts(T[3]!, skewed(575, 0.02)),
];

describe('benford', () => {
  it('computes Nigrini MAD', () => {
    expect(nigriniMad(benford(10_000)).mad).toBeLessThan(0.001);
    const { n, mad } = nigriniMad([0, 0, 0, 0, 0, 0, 0, 0, 0, 100]);
    expect(n).toBe(100);
    expect(mad).toBeCloseTo((2 * (1 - expected(9))) / 9, 10);
  });

  it.each([
    { name: 'a township far off, N 550, fires', all: county4(), fires: 1 },
    { name: 'the same with N 499 is quiet', all: county4(499), fires: 0 },
    { name: 'exactly N 500 fires', all: county4(500), fires: 1 },
    { name: 'off, but not twice the others, is quiet', all: county4(550, 0.03), fires: 0 },
    { name: 'all townships conforming loosely are quiet', all: county4(550, 0.02), fires: 0 },
    {
      name: 'MAD under 0.015 is quiet even if the others are closer still',
      all: [counts(T[0]!, benford(600)), counts(T[1]!, benford(600)), counts(T[2]!, skewed(600, 0.02))],
      fires: 0,
    },
    { name: 'no other township to compare with is quiet', all: [counts(T[2]!, skewed(600, 0.1))], fires: 0 },
    {
      name: 'another year of the others does not count',
      all: [counts(T[0]!, skewed(550, 0.1), 2024), counts(T[1]!, skewed(550, 0.1), 2024), counts(T[2]!, skewed(550, 0.1))],
      fires: 0,
    },
  ])('$name', ({ all, fires }) => {
    expect(run(all)).toHaveLength(fires);
  });

  it('only townships of the scope are reported, compared with the whole county', () => {
    expect(run(county4(), {}, [T[0]!])).toHaveLength(0);
    expect(run(county4(), {}, [T[2]!])).toHaveLength(1);
  });

  it('names the village deviating most', () => {
    const all = county4();
    all[2] = {
      ...all[2]!,
      villages: [
        { code: '519901103201', name: '甲村', counts: benford(300) },
        { code: '519901103202', name: '乙村', counts: skewed(250, 0.2) },
        { code: '519901103203', name: '丙村', counts: skewed(20, 0.3) },
      ],
    };
    const [f] = run(all);
    expect(f!.figures.worstVillage).toBe('519901103202');
    expect(f!.summary).toContain('偏离最大的是乙村（250 笔，MAD');
  });

  it('is a regional finding for the township and year', () => {
    const [f] = run(county4());
    expect(f).toMatchObject({ subject: `${T[2]}:2025`, villageCode: null, regionCode: T[2], period: '2025', entries: [] });
    expect(f!.figures.n).toBe(550);
    expect(Number(f!.figures.mad)).toBeGreaterThan(0.015);
    expect(Number(f!.figures.mad)).toBeGreaterThan(2 * Number(f!.figures.othersMedianMad));
    expect(f!.summary).toMatch(
      /^2025年镇103各村合计 550 笔支出的首位数字分布偏离本福特定律：MAD 0\.\d{4}，超过 0\.015，且为同县其他 3 个乡镇中位数 0\.\d{4} 的 [\d.]+ 倍/,
    );
  });
});
