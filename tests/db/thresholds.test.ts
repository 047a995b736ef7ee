// Rule parameters inherited downward and versioned.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { systemActor } from '../../db/audit.ts';
import { effectiveParams, mergeParams, setRuleParameters } from '../../db/thresholds.ts';
import { useTestApp } from '../support/app.ts';

const t = useTestApp();
const schema = z.object({ caps: z.record(z.string(), z.number().int()).default({ '51304': 50_000 }), windowDays: z.number().int().default(30) });
const set = (regionCode: string, params: Record<string, unknown>) =>
  setRuleParameters({
    db: t.database.db,
    now: t.now,
    actor: systemActor('test'),
    input: { ruleId: 'single-expense-cap', regionCode, params },
    validate: (p) => schema.partial().parse(p),
  });

describe('rule parameters', () => {
  it('merges objects key by key and replaces the rest', () => {
    expect(mergeParams({ caps: { a: 1, b: 2 }, n: 1 }, { caps: { b: 3 }, n: 2 })).toEqual({ caps: { a: 1, b: 3 }, n: 2 });
  });

  it('inherits county → township → village, the nearest winning, each version recorded', async () => {
    await set('519901000000', { caps: { '51304': 60_000, '51303': 200_000 } });
    await set('519901101000', { windowDays: 45 });
    await set('519901101201', { caps: { '51304': 30_000 } });
    await set('519901101201', { caps: { '51304': 40_000 } });
    const codes = ['519901101201', '519901101202', '519901102201'];
    const eff = await effectiveParams(t.database.db, 'single-expense-cap', codes, (raw) => schema.parse(raw));
    expect(eff.get('519901101201')).toEqual({
      params: { caps: { '51304': 40_000, '51303': 200_000 }, windowDays: 45 },
      version: '519901000000@1,519901101000@1,519901101201@2',
    });
    expect(eff.get('519901101202')!.params).toEqual({ caps: { '51304': 60_000, '51303': 200_000 }, windowDays: 45 });
    expect(eff.get('519901102201')).toEqual({ params: { caps: { '51304': 60_000, '51303': 200_000 }, windowDays: 30 }, version: '519901000000@1' });
    const none = await effectiveParams(t.database.db, 'other-rule', ['519901101201'], (raw) => schema.parse(raw));
    expect(none.get('519901101201')).toEqual({ params: { caps: { '51304': 50_000 }, windowDays: 30 }, version: 'default' });
  });

  it('refuses parameters the rule does not accept', async () => {
    await expect(set('519901000000', { windowDays: 'soon' })).rejects.toThrow();
  });
});
