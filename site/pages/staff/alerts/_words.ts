// Words of the inspector's desk (the alert queue and an alert's page), zh and en, and the guard
// both pages share: inspectors and administrators only. Not a route (Astro skips `_` files).
import type { AstroGlobal } from 'astro';
import type { AgeBucket, AlertSeverity, AlertStatus, DismissalReason } from '../../../../db/alerts.ts';
import { rules } from '../../../../jobs/rules/index.ts';
import { href, type Lang } from '../../../lib/i18n.ts';
import type { StaffActor } from '../../../lib/staff.ts';

const pick = (lang: Lang, pair: readonly [string, string]) => pair[lang === 'zh' ? 0 : 1];

const statusWords: Record<AlertStatus, [string, string]> = {
  open: ['待处理', 'Open'],
  acknowledged: ['已确认', 'Acknowledged'],
  investigating: ['调查中', 'Investigating'],
  resolved: ['已办结', 'Resolved'],
  dismissed: ['已驳回', 'Dismissed'],
};
/** The verb of a transition's button/radio: what the inspector does. */
const actionWords: Record<AlertStatus, [string, string]> = {
  open: ['重新打开', 'Reopen'],
  acknowledged: ['确认收到', 'Acknowledge'],
  investigating: ['开始调查', 'Start investigating'],
  resolved: ['办结', 'Resolve'],
  dismissed: ['驳回', 'Dismiss'],
};
const severityWords: Record<AlertSeverity, [string, string]> = { high: ['高', 'High'], medium: ['中', 'Medium'], low: ['低', 'Low'] };
const ageWords: Record<AgeBucket, [string, string]> = {
  week: ['7 天以内', '7 days or less'],
  month: ['8–30 天', '8–30 days'],
  older: ['30 天以上', 'Over 30 days'],
};
export const reasonWords: Record<DismissalReason, [string, string]> = {
  false_positive: ['误报', 'False positive'],
  explained: ['已作出合理解释', 'Satisfactorily explained'],
  duplicate: ['与其他预警重复', 'Duplicate of another alert'],
  below_materiality: ['金额轻微，不予追究', 'Below materiality'],
  other: ['其他原因（请在备注中说明）', 'Other (explain in the note)'],
};

export const statusName = (lang: Lang, s: AlertStatus) => pick(lang, statusWords[s]);
export const actionName = (lang: Lang, s: AlertStatus) => pick(lang, actionWords[s]);
export const severityName = (lang: Lang, s: AlertSeverity) => pick(lang, severityWords[s]);
export const ageName = (lang: Lang, a: AgeBucket) => pick(lang, ageWords[a]);
/** A dismissal reason in both languages ("误报 / False positive" on the Chinese page's form). */
export const reasonName = (lang: Lang, r: DismissalReason) => pick(lang, reasonWords[r]);
export const reasonBoth = (r: DismissalReason) => `${reasonWords[r][0]} / ${reasonWords[r][1]}`;

/** The check rules (id and title), in the product's order. */
export const ruleList = rules.map((r) => ({ id: r.id, title: r.title }));
export const ruleName = (lang: Lang, id: string) => {
  const r = rules.find((x) => x.id === id);
  return r ? r.title[lang] : id;
};

/** "今天" / "3 天前" */
export const daysAgo = (lang: Lang, days: number) =>
  days === 0 ? (lang === 'zh' ? '今天' : 'today') : lang === 'zh' ? `${days} 天前` : `${days} day${days === 1 ? '' : 's'} ago`;

/** A moment in China time, "2026-01-31 14:05". */
export function chinaTime(at: Date): string {
  const s = new Date(at.getTime() + 8 * 3_600_000).toISOString();
  return `${s.slice(0, 10)} ${s.slice(11, 16)}`;
}

export type DeskAccess = { ok: true; actor: StaffActor } | { ok: false; response: Response };

/** Inspectors and administrators; sign-in for nobody, 403 for accountants. Sets `private, no-store`. */
export async function deskAccess(Astro: AstroGlobal): Promise<DeskAccess> {
  const { actor, lang } = Astro.locals;
  Astro.response.headers.set('Cache-Control', 'private, no-store');
  if (!actor) {
    const next = encodeURIComponent(Astro.url.pathname + Astro.url.search);
    return { ok: false, response: Astro.redirect(`${href(lang, '/signin')}?next=${next}`, 303) };
  }
  if (actor.role !== 'inspector' && actor.role !== 'admin') return { ok: false, response: await Astro.rewrite('/403') };
  return { ok: true, actor };
}
