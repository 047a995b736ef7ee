// Words and small form helpers for the staff register pages (village registers; a region's
// micro-power and policy lists). Domain messages stay Chinese; the page's own words follow lang.
import { isDomainError, type DomainError } from '../../db/errors.ts';
import { parseAmountFen, parseDate } from '../../db/ledger/parse.ts';
import type { decisionStepKinds } from '../../db/schema.ts';
import type { Lang } from './i18n.ts';

type StepKind = (typeof decisionStepKinds)[number];

/** 四议两公开, by step kind. */
export const stepNames: Record<Lang, Record<StepKind, string>> = {
  zh: {
    proposal: '党组织提议',
    consultation: '两委商议',
    review: '党员大会审议',
    resolution: '村民（代表）会议决议',
    resolution_published: '决议公开',
    result_published: '结果公开',
  },
  en: {
    proposal: 'Party branch proposal',
    consultation: 'Two committees consult',
    review: 'Party members’ meeting reviews',
    resolution: 'Villagers’ (representatives’) meeting resolves',
    resolution_published: 'Resolution made public',
    result_published: 'Result made public',
  },
};

/** English names of the micro-power categories (the stored value stays Chinese). */
const categoryEnglish: Record<string, string> = {
  重大决策: 'Major decisions',
  日常管理: 'Day-to-day management',
  便民服务: 'Services for villagers',
  惠民资金: 'Benefit funds',
  组织决策: 'Organisational decisions',
  管理: 'Management',
  服务: 'Services',
};

export function categoryName(lang: Lang, category: string): string {
  return lang === 'zh' ? category : (categoryEnglish[category] ?? category);
}

/** The HTTP status a page answers with when a domain function refuses a form. */
export function statusOf(e: DomainError): number {
  switch (e.kind) {
    case 'conflict':
      return 409;
    case 'not_found':
      return 404;
    case 'forbidden':
      return 403;
    default:
      return 400;
  }
}

/** Form text as stored: trimmed, with the CRLF line breaks browsers send for textareas made LF. */
const clean = (v: FormDataEntryValue | null): string => (typeof v === 'string' ? v.replace(/\r\n?/g, '\n').trim() : '');

/** A form field's text ('' when missing or a file). */
export function field(form: FormData, name: string): string {
  return clean(form.get(name));
}

/** Every value of a repeated field, in document order. */
export function fields(form: FormData, name: string): string[] {
  return form.getAll(name).map(clean);
}

/** A bad form: the message shown next to it (status 400). */
export class FormProblem extends Error {}

/**
 * The status a form page answers with for a refused submission: 400 for the form's own checks,
 * the domain error's status otherwise. Anything else is not the form's fault and is re-thrown.
 */
export function refusalStatus(e: unknown): number {
  if (e instanceof FormProblem) return 400;
  if (isDomainError(e)) return statusOf(e);
  throw e;
}

export const chars = (text: string): number => [...text].length;

/** Required text, at most `max` characters. */
export function requireText(lang: Lang, label: string, text: string, max: number): string {
  if (!text) throw new FormProblem(lang === 'zh' ? `请填写${label}` : `${label} is required`);
  return limitText(lang, label, text, max);
}

/** Optional text, at most `max` characters. */
export function limitText(lang: Lang, label: string, text: string, max: number): string {
  if (chars(text) > max) {
    throw new FormProblem(lang === 'zh' ? `${label}最多 ${max} 个字` : `${label}: at most ${max} characters`);
  }
  return text;
}

/** A date field (YYYY-MM-DD, 2025/3/5 or 2025年3月5日) → YYYY-MM-DD. */
export function dateField(lang: Lang, label: string, text: string): string {
  if (!text) throw new FormProblem(lang === 'zh' ? `请填写${label}` : `${label} is required`);
  const r = parseDate(text);
  if (!r.ok) throw new FormProblem(`${label}：${r.message}`);
  return r.date;
}

/** Yuan text → integer fen, never through a float; a leading minus sign is allowed when `signed`. */
export function amountField(lang: Lang, label: string, text: string, signed = false): number {
  if (!text) throw new FormProblem(lang === 'zh' ? `请填写${label}` : `${label} is required`);
  const negative = signed && /^[-−－]/.test(text);
  const r = parseAmountFen(negative ? text.slice(1).trim() : text);
  if (!r.ok) throw new FormProblem(`${label}：${r.message}`);
  return negative && r.fen !== 0 ? -r.fen : r.fen;
}

/** An optional whole number ≥ 0 (people, votes). */
export function countField(lang: Lang, label: string, text: string): number | undefined {
  if (!text) return undefined;
  if (!/^\d{1,7}$/.test(text)) {
    throw new FormProblem(lang === 'zh' ? `${label}应为不小于 0 的整数` : `${label} must be a whole number, 0 or more`);
  }
  return Number(text);
}

/** Integer fen → plain yuan text for a form field ("-1234.50"), without floats. */
export function fenToYuanText(fen: number): string {
  const abs = Math.abs(fen);
  return `${fen < 0 ? '-' : ''}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}
