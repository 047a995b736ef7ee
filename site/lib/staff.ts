// Guards for staff pages: who may open a page about a region, and the answers when they may not.
import type { AstroGlobal } from 'astro';
import type { Actor } from '../../db/audit.ts';
import { getRegion, inScope, type Region } from '../../db/regions.ts';
import type { Role } from '../../db/schema.ts';
import { href } from './i18n.ts';

export type StaffActor = Extract<Actor, { kind: 'user' }>;

export type StaffAccess =
  | { ok: true; actor: StaffActor; region: Region }
  | { ok: false; response: Response };

/**
 * The signed-in staff member, if their role is one of `roles` and their scope covers `code`.
 * Otherwise a redirect to sign-in (not signed in), a 403 page (role or scope) or a 404 (no such region).
 */
export async function staffFor(Astro: AstroGlobal, code: string, roles: readonly Role[]): Promise<StaffAccess> {
  const { actor, services, lang } = Astro.locals;
  if (!actor) {
    const next = encodeURIComponent(Astro.url.pathname);
    return { ok: false, response: Astro.redirect(`${href(lang, '/signin')}?next=${next}`, 303) };
  }
  if (!roles.includes(actor.role) || !inScope(actor.scope, code)) {
    return { ok: false, response: await Astro.rewrite('/403') };
  }
  const region = await getRegion(services.db, code);
  if (!region) return { ok: false, response: await Astro.rewrite('/404') };
  Astro.response.headers.set('Cache-Control', 'private, no-store');
  return { ok: true, actor, region };
}

/** The context domain functions take, for the signed-in staff member of this request. */
export function domainContext(Astro: AstroGlobal, actor: StaffActor) {
  const { services } = Astro.locals;
  return { db: services.db, now: services.now(), actor, requestId: services.requestId };
}

export { yuan } from './format.ts';
