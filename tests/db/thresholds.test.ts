// Rule parameters inherited downward and versioned.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { systemActor } from '../../db/audit.ts';
import { checkParams, effectiveParams, explainParams, mergeParams, parameterHistory, setRuleParameters } from '../../db/thresholds.ts';
import { useTestApp } from '../support/app.ts';

const t = useTestApp();
const schema = z.object({ caps: z.record(z.string(), z.number().int()).default({ '51304': 50_000 }), windowDays: z.number().int().default(30) });
let minutes = 0;
const set = (regionCode: string, params: Record<string, unknown>, ruleId = 'single-expense-cap', note?: string) =>
  setRuleParameters({
    db: t.database.db,
    now: new Date(t.now.getTime() + ++minutes * 60_000),
    actor: systemActor('test'),
    input: { ruleId, regionCode, params, note },
    validate: (merged, own) => checkParams(schema, merged, own),
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
    await expect(set('519901000000', { windowDays: 'soon' })).rejects.toMatchObject({ code: 'params_invalid' });
  });

  it('tells where each effective value comes from, key by key and account by account', async () => {
    const eff = await explainParams(t.database.db, '519901101201', [
      { id: 'single-expense-cap', parse: (raw) => schema.parse(raw) },
      { id: 'other-rule', parse: (raw) => schema.parse(raw) },
    ]);
    const cap = eff.get('single-expense-cap')!;
    expect(cap.version).toBe('519901000000@1,519901101000@1,519901101201@2');
    expect(cap.own).toEqual({ version: 2, params: { caps: { '51304': 40_000 } } });
    expect(cap.values).toEqual([
      { path: 'caps.51303', value: 200_000, from: '519901000000', version: 1 },
      { path: 'caps.51304', value: 40_000, from: '519901101201', version: 2 },
      { path: 'windowDays', value: 45, from: '519901101000', version: 1 },
    ]);
    expect(eff.get('other-rule')).toEqual({
      params: { caps: { '51304': 50_000 }, windowDays: 30 },
      version: 'default',
      own: null,
      values: [
        { path: 'caps.51304', value: 50_000, from: 'default', version: null },
        { path: 'windowDays', value: 30, from: 'default', version: null },
      ],
    });
  });

  it('lists the versions set at a region and above it, newest first', async () => {
    const history = await parameterHistory(t.database.db, '519901101201', 'single-expense-cap');
    expect(history.map((h) => `${h.regionCode}@${h.version}`)).toEqual(['519901101201@2', '519901101201@1', '519901101000@1', '519901000000@1']);
    expect(history[0]).toMatchObject({ regionName: '沙湾村', setBy: null, params: { caps: { '51304': 40_000 } } });
    // A sibling village sees the township's and the county's, not 沙湾村's.
    expect((await parameterHistory(t.database.db, '519901101202')).map((h) => h.regionCode)).toEqual(['519901101000', '519901000000']);
  });

  it('restores the inherited values with an empty version, never a delete', async () => {
    expect(await set('519901101201', {}, 'single-expense-cap', '恢复继承')).toEqual({ version: 3 });
    const eff = await explainParams(t.database.db, '519901101201', [{ id: 'single-expense-cap', parse: (raw) => schema.parse(raw) }]);
    expect(eff.get('single-expense-cap')!.values.find((v) => v.path === 'caps.51304')).toEqual({ path: 'caps.51304', value: 60_000, from: '519901000000', version: 1 });
    const history = await parameterHistory(t.database.db, '519901101201', 'single-expense-cap');
    expect(history[0]).toMatchObject({ version: 3, params: {}, note: '恢复继承' });
    expect(history).toHaveLength(5);
  });

  it('names the parameter in Chinese when refusing, and refuses unknown keys', () => {
    expect(() => checkParams(schema, { windowDays: -1.5 }, { windowDays: -1.5 })).toThrow(/时间窗口（天）（windowDays）/);
    try {
      checkParams(schema, { caps: { '51304': 'x' } }, { caps: { '51304': 'x' } });
      expect.unreachable();
    } catch (e) {
      expect(e).toMatchObject({ code: 'params_invalid', message: expect.stringMatching(/各科目限额 · 51304/) as string });
    }
    expect(() => checkParams(schema, { size: 1 }, { size: 1 })).toThrow(expect.objectContaining({ code: 'params_unknown_key' }));
    expect(() => checkParams(schema, { caps: { '51302': 1 } }, { caps: { '51302': 1 } })).not.toThrow();
  });
});
