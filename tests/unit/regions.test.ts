import { describe, expect, it } from 'vitest';
import { codePrefix, inScope, isRegionCode, NATIONWIDE, parentCode, regionLevel } from '../../db/regions.ts';

describe('region codes (统计用区划代码)', () => {
  it.each([
    ['510000000000', 'province', null],
    ['511500000000', 'city', '510000000000'],
    ['511526000000', 'county', '511500000000'],
    ['511526101000', 'township', '511526000000'],
    ['511526101201', 'village', '511526101000'],
    ['519901103206', 'village', '519901103000'],
  ] as const)('%s is a %s with parent %s', (code, level, parent) => {
    expect(regionLevel(code)).toBe(level);
    expect(parentCode(code)).toBe(parent);
  });

  it.each(['', '51152610120', '5115261012011', '51152610120a', '000000000000', '00123456789 '])(
    'refuses %j',
    (code) => {
      expect(isRegionCode(code)).toBe(false);
      expect(regionLevel(code)).toBeNull();
    },
  );

  it.each([
    ['511526000000', '511526'],
    ['511526101000', '511526101'],
    ['511526101201', '511526101201'],
    [NATIONWIDE, ''],
  ])('prefix of %s is %j', (code, prefix) => expect(codePrefix(code)).toBe(prefix));

  it.each([
    ['511526000000', '511526101201', true],
    ['511526000000', '511526000000', true],
    ['511526101000', '511526101201', true],
    ['511526101000', '511526102201', false],
    ['511526101201', '511526101202', false],
    ['511526000000', '511527101201', false],
    [NATIONWIDE, '519901101201', true],
    // a township's prefix is 9 digits: 511526101 must not cover 5115261012xx of another township's digits
    ['511526101000', '511526000000', false],
  ])('scope %s covers %s: %s', (scope, code, covered) => expect(inScope(scope, code)).toBe(covered));
});
