// Sign-in and sign-out, plus who am I and API tokens.
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { createApiToken, login, logout, SESSION_COOKIE } from '../../db/auth.ts';
import { access } from '../access.ts';
import type { AppEnv } from '../env.ts';
import { errors, json, UserSchema } from '../schemas.ts';

const signIn = createRoute({
  method: 'post',
  path: '/session',
  tags: ['auth'],
  summary: 'Sign in: sets an HttpOnly session cookie (a new session id at every sign-in)',
  middleware: [access({ who: 'anyone' })] as const,
  request: {
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z.strictObject({ username: z.string().min(1).max(100), password: z.string().min(1).max(1000) }),
        },
      },
    },
  },
  responses: {
    200: json(z.object({ user: UserSchema, expiresAt: z.string() }), 'Signed in'),
    400: errors[400],
    401: errors[401],
    429: errors[429],
  },
});

const signOut = createRoute({
  method: 'delete',
  path: '/session',
  tags: ['auth'],
  summary: 'Sign out (ends the session; fine when not signed in)',
  middleware: [access({ who: 'anyone' })] as const,
  responses: { 204: { description: 'Signed out' } },
});

const me = createRoute({
  method: 'get',
  path: '/me',
  tags: ['auth'],
  summary: 'The signed-in user and their scope',
  middleware: [access({ who: 'signed-in' })] as const,
  responses: { 200: json(z.object({ user: UserSchema }), 'The caller'), 401: errors[401] },
});

const newToken = createRoute({
  method: 'post',
  path: '/tokens',
  tags: ['auth'],
  summary: 'Create an API token (shown once) for `Authorization: Bearer …`',
  middleware: [access({ who: 'signed-in' })] as const,
  request: {
    body: { required: true, content: { 'application/json': { schema: z.strictObject({ name: z.string().min(1).max(100) }) } } },
  },
  responses: {
    201: json(z.object({ id: z.string(), token: z.string() }), 'The new token'),
    400: errors[400],
    401: errors[401],
  },
});

const publicUser = (a: { id: string; username: string; displayName: string; role: 'accountant' | 'inspector' | 'admin'; scope: string }) => ({
  id: a.id,
  username: a.username,
  displayName: a.displayName,
  role: a.role,
  scope: a.scope,
});

export function registerSession(app: OpenAPIHono<AppEnv>) {
  app.openapi(signIn, async (c) => {
    const { deps } = c.var;
    const body = c.req.valid('json');
    const result = await login({
      db: deps.database.db,
      now: deps.now(),
      requestId: c.var.requestId,
      input: { ...body, address: c.var.clientAddress, previousToken: getCookie(c, SESSION_COOKIE) },
    });
    setCookie(c, SESSION_COOKIE, result.token, {
      httpOnly: true,
      sameSite: 'Lax',
      secure: c.var.https,
      path: '/',
      expires: result.expiresAt,
    });
    return c.json({ user: publicUser(result.actor), expiresAt: result.expiresAt.toISOString() }, 200);
  });

  app.openapi(signOut, async (c) => {
    const { deps } = c.var;
    const token = getCookie(c, SESSION_COOKIE);
    if (token && c.var.actor) {
      await logout({ db: deps.database.db, now: deps.now(), actor: c.var.actor, requestId: c.var.requestId, input: { token } });
    }
    deleteCookie(c, SESSION_COOKIE, { path: '/', secure: c.var.https });
    return c.body(null, 204);
  });

  app.openapi(me, (c) => c.json({ user: publicUser(c.var.actor!) }, 200));

  app.openapi(newToken, async (c) => {
    const { deps } = c.var;
    const result = await createApiToken({
      db: deps.database.db,
      now: deps.now(),
      actor: c.var.actor!,
      requestId: c.var.requestId,
      input: c.req.valid('json'),
    });
    return c.json(result, 201);
  });
}
