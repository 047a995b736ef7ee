// The one masking step every public output passes through (pages, API, exports, feeds):
// ID numbers (居民身份证号) as first 6 + last 4, bank cards as last 4, mobile numbers removed —
// wherever they appear, free text included, in the forms people actually type (spaces or
// dashes inside, full-width digits, an 18-digit ID ending in X).

const FULL_WIDTH_OFFSET = 0xff10 - 0x30;

/** Full-width digits and X to ASCII, one UTF-16 unit for one, so positions stay the same. */
function toHalfWidth(text: string): string {
  return text.replace(/[０-９Ｘｘ]/g, (c) => {
    if (c === 'Ｘ') return 'X';
    if (c === 'ｘ') return 'x';
    return String.fromCharCode(c.charCodeAt(0) - FULL_WIDTH_OFFSET);
  });
}

/** A run of digits, possibly broken by spaces (also U+3000) or dashes, possibly ending in X. */
const NUMBER_RUN = /\d(?:[ \u3000-]?\d)*(?:[ \u3000-]?[Xx])?/g;

export const MOBILE_REMOVED = '〔手机号已隐去〕';

export type Kind = 'id' | 'bank' | 'mobile';

export function classify(digits: string): Kind | null {
  if (/^\d{6}(18|19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])\d{3}[\dXx]$/.test(digits)) return 'id';
  if (/^\d{6}\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])\d{3}$/.test(digits)) return 'id'; // 15-digit IDs (before 1999)
  if (/^(?:\+?86)?1[3-9]\d{9}$/.test(digits)) return 'mobile';
  if (/^\d{16,19}$/.test(digits)) return 'bank';
  return null;
}

function maskRun(run: string): string {
  const digits = run.replace(/[ \u3000-]/g, '');
  switch (classify(digits)) {
    case 'id':
      return `${digits.slice(0, 6)}${'*'.repeat(digits.length - 10)}${digits.slice(-4).toUpperCase()}`;
    case 'bank':
      return `****${digits.slice(-4)}`;
    case 'mobile':
      return MOBILE_REMOVED;
    default:
      return run;
  }
}

/** Masks personal numbers in a text; other text (amounts, dates, voucher numbers) is left alone. */
export function maskText(text: string): string;
export function maskText(text: string | null): string | null;
export function maskText(text: string | null): string | null {
  if (text === null || text === '') return text;
  const half = toHalfWidth(text);
  let out = '';
  let last = 0;
  for (const m of half.matchAll(NUMBER_RUN)) {
    const start = m.index;
    const masked = maskRun(m[0]);
    if (masked === m[0]) continue;
    out += text.slice(last, start) + masked;
    last = start + m[0].length;
  }
  return last === 0 ? text : out + text.slice(last);
}

/** Whether a text still holds a personal number in clear (for tests and assertions). */
export function containsPersonalNumber(text: string): boolean {
  return maskText(text) !== text;
}
