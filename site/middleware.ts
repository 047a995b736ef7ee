// Every page: the language (the server serves /en/… with the same page files and tells
// which one was asked for) and the signed-in staff member from the session cookie.
import { defineMiddleware } from 'astro:middleware';
import { actorFromSession, SESSION_COOKIE } from '../db/auth.ts';

export const onRequest = defineMiddleware(async (context, next) => {
  const { services } = context.locals;
  if (!services) return new Response('portal services missing: start the site through api/main.ts', { status: 500 });
  context.locals.lang = services.lang;
  const token = context.cookies.get(SESSION_COOKIE)?.value;
  context.locals.actor = token ? await actorFromSession(services.db, token, services.now()) : null;
  return next();
});
