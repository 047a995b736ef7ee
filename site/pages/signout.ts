// Sign-out for the form in the header (POST only, so a link cannot sign anyone out).
import type { APIRoute } from 'astro';
import { logout, SESSION_COOKIE } from '../../db/auth.ts';
import { href } from '../lib/i18n.ts';

export const POST: APIRoute = async ({ locals, cookies, redirect }) => {
  const token = cookies.get(SESSION_COOKIE)?.value;
  if (token && locals.actor) {
    const { services } = locals;
    await logout({ db: services.db, now: services.now(), actor: locals.actor, requestId: services.requestId, input: { token } });
  }
  cookies.delete(SESSION_COOKIE, { path: '/' });
  return redirect(href(locals.lang, '/'), 303);
};
