// Periods (账期): YYYY-MM months in China's time zone.
import { DomainError } from '../errors.ts';

const PERIOD = /^(\d{4})-(0[1-9]|1[0-2])$/;

export const isPeriod = (p: string) => PERIOD.test(p);

/** The period a moment falls in, in China Standard Time. */
export function periodOf(now: Date): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit' }).formatToParts(now);
  const get = (t: string) => parts.find((p) => p.type === t)!.value;
  return `${get('year')}-${get('month')}`;
}

/** Today's date (YYYY-MM-DD) in China Standard Time. */
export function todayOf(now: Date): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(now);
}

export function requirePeriod(p: string): string {
  if (!isPeriod(p)) throw new DomainError('invalid', 'period_invalid', `账期格式应为 YYYY-MM：${p}`);
  return p;
}

export const firstDayOf = (period: string) => `${period}-01`;

export function nextPeriod(period: string): string {
  const [y, m] = period.split('-').map(Number) as [number, number];
  return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
}
