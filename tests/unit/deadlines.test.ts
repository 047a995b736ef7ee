import { describe, expect, it } from 'vitest';
import { deadlineOf, duePeriodAt } from '../../db/public/regions.ts';

describe('publication deadlines (the 15th of the next month, China time)', () => {
  it.each([
    ['2025-03', '2025-04-15T15:59:59.999Z'],
    ['2025-12', '2026-01-15T15:59:59.999Z'],
  ])('period %s is due by %s', (period, iso) => {
    expect(deadlineOf(period).toISOString()).toBe(iso);
  });

  it.each([
    // On the 15th (China time) the previous month's deadline has not passed yet.
    ['2026-01-15T10:00:00Z', '2025-11'],
    ['2026-01-15T16:00:00Z', '2025-12'], // 00:00 on the 16th in Beijing
    ['2026-01-31T12:00:00Z', '2025-12'],
    ['2026-02-01T00:00:00Z', '2025-12'],
    ['2026-03-16T00:00:00Z', '2026-02'],
  ])('at %s the latest period due is %s', (now, period) => {
    expect(duePeriodAt(new Date(now))).toBe(period);
  });
});
