// Authentication and authorisation: one middleware resolves who is calling, and one
// declares who may call a route (role, and the region in the path against the caller's scope).
import { getCookie } from 'hono/cookie';
import { createMiddleware } from 'hono/factory';
import { actorFromSession, actorFromToken, SESSION_COOKIE } from '../db/auth.ts';
import { DomainError } from '../db/errors.ts';
import { inScope } from '../db/regions.ts';
import type { Role } from '../db/schema.ts';
import type { AppEnv } from './env.ts';

/** Resolves the caller from `Authorization: Bearer …` or the session cookie. */
export const identify = createMiddleware<AppEnv>(async (c, next) => {
  const { deps } = c.var;
  const auth = c.req.header('authorization');
  let actor = null;
  if (auth) {
    const m = /^Bearer\s+(\S+)$/i.exec(auth);
    actor = m?.[1] ? await actorFromToken(deps.database.db, m[1], deps.now()) : null;
    if (!actor) throw new DomainError('unauthenticated', 'bad_token', 'API 令牌无效或已撤销');
  } else {
    const token = getCookie(c, SESSION_COOKIE);
    if (token) actor = await actorFromSession(deps.database.db, token, deps.now());
  }
  c.set('actor', actor);
  await next();
});

export type Access =
  | { who: 'anyone' }
  | { who: 'signed-in' }
  | {
      who: Role[];
      /** Name of the path parameter holding a region code that must lie within the caller's scope. */
      scopeParam?: string;
    };

/** Declares who may call a route; refuses with 401 (not signed in) or 403 (role or scope). */
export function access(rule: Access) {
  return createMiddleware<AppEnv>(async (c, next) => {
    if (rule.who !== 'anyone') {
      const actor = c.var.actor;
      if (!actor) throw new DomainError('unauthenticated', 'not_signed_in', '请先登录');
      if (rule.who !== 'signed-in') {
        if (!rule.who.includes(actor.role)) {
          throw new DomainError('forbidden', 'role_forbidden', '当前账号的角色无权进行此操作');
        }
        if (rule.scopeParam) {
          const code = c.req.param(rule.scopeParam);
          if (!code || !inScope(actor.scope, code)) {
            throw new DomainError('forbidden', 'out_of_scope', `无权访问本辖区以外的区划：${code ?? ''}`);
          }
        }
      }
    }
    await next();
  });
}
