// Sign-in, sessions, tokens and throttling through the API.
import { describe, expect, it } from 'vitest';
import { count, eq } from 'drizzle-orm';
import { THROTTLE } from '../../db/auth.ts';
import { auditLog, sessions } from '../../db/schema.ts';
import { ADMIN, PASSWORD, sessionCookie, useTestApp } from '../support/app.ts';
import { TOWNSHIP } from '../support/policy.ts';

const t = useTestApp({ config: { TRUST_PROXY: '1' } });
const signIn = (username: string, password: string, address = '203.0.113.1') =>
  t.request('/api/v1/session', { method: 'POST', json: { username, password }, headers: { 'x-forwarded-for': address } });

describe('sessions', () => {
  it('signs in, sets an HttpOnly SameSite cookie, and /me answers who and what scope', async () => {
    const res = await signIn(ADMIN.username, ADMIN.password);
    expect(res.status).toBe(200);
    const setCookie = res.headers.getSetCookie().join('\n');
    expect(setCookie).toMatch(/ygcw_session=[\w-]{43};/);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Lax');
    expect(setCookie).not.toContain('Secure'); // plain http here
    const me = await t.request('/api/v1/me', { cookie: sessionCookie(res) });
    expect(await me.json()).toEqual({
      user: expect.objectContaining({ username: 'admin', role: 'admin', scope: '000000000000' }),
    });
  });

  it('marks the cookie Secure when served over https', async () => {
    const res = await t.request('/api/v1/session', {
      method: 'POST',
      json: ADMIN,
      headers: { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.9' },
    });
    expect(res.headers.getSetCookie().join()).toContain('Secure');
  });

  it('rotates the session id at sign-in and ends the old session', async () => {
    const first = sessionCookie(await signIn(ADMIN.username, ADMIN.password));
    const res = await t.request('/api/v1/session', {
      method: 'POST',
      json: ADMIN,
      cookie: first,
      headers: { 'x-forwarded-for': '203.0.113.1' },
    });
    const second = sessionCookie(res);
    expect(second).not.toBe(first);
    expect((await t.request('/api/v1/me', { cookie: first })).status).toBe(401);
    expect((await t.request('/api/v1/me', { cookie: second })).status).toBe(200);
  });

  it('signs out: the cookie no longer works', async () => {
    const cookie = sessionCookie(await signIn(ADMIN.username, ADMIN.password));
    const out = await t.request('/api/v1/session', { method: 'DELETE', cookie });
    expect(out.status).toBe(204);
    expect(out.headers.getSetCookie().join()).toMatch(/ygcw_session=;/);
    expect((await t.request('/api/v1/me', { cookie })).status).toBe(401);
  });

  it('expires sessions after their lifetime', async () => {
    const cookie = sessionCookie(await signIn(ADMIN.username, ADMIN.password));
    const saved = t.now;
    t.now = new Date(saved.getTime() + 13 * 3600_000);
    try {
      expect((await t.request('/api/v1/me', { cookie })).status).toBe(401);
    } finally {
      t.now = saved;
    }
  });

  it('answers a wrong password and an unknown user alike: 401, generic message, no session', async () => {
    const before = (await t.database.db.select({ n: count() }).from(sessions))[0]!.n;
    const wrong = await signIn(ADMIN.username, 'not-the-password', '198.51.100.7');
    const unknown = await signIn('nobody-here', 'not-the-password', '198.51.100.7');
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    const a = await wrong.json();
    expect(a).toEqual(await unknown.json());
    expect(a).toEqual({ error: { code: 'bad_credentials', message: '用户名或密码错误' } });
    expect(wrong.headers.getSetCookie()).toEqual([]);
    expect((await t.database.db.select({ n: count() }).from(sessions))[0]!.n).toBe(before);
  });

  it('refuses malformed JSON with 400 and unknown fields with 400', async () => {
    const bad = await t.request('/api/v1/session', {
      method: 'POST',
      body: '{"username": "admin", ',
      headers: { 'content-type': 'application/json' },
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'malformed_body' } });
    const extra = await t.request('/api/v1/session', { method: 'POST', json: { ...ADMIN, remember: true } });
    expect(extra.status).toBe(400);
    const body = (await extra.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('unknown_field');
    expect(body.error.message).toContain('remember');
  });
});

describe('throttling', () => {
  it(`answers 429 after ${THROTTLE.perUsername} failures for one username, even with the right password`, async () => {
    await t.addUser('throttled-user', 'accountant', TOWNSHIP);
    for (let i = 0; i < THROTTLE.perUsername; i++) {
      // from different addresses: the per-username limit alone must stop it
      expect((await signIn('throttled-user', 'wrong-password', `192.0.2.${i + 1}`)).status).toBe(401);
    }
    const res = await signIn('throttled-user', PASSWORD, '192.0.2.200');
    expect(res.status).toBe(429);
    expect(await res.json()).toMatchObject({ error: { code: 'too_many_attempts' } });
    // the window passes
    const saved = t.now;
    t.now = new Date(saved.getTime() + THROTTLE.windowMs + 1000);
    try {
      expect((await signIn('throttled-user', PASSWORD, '192.0.2.201')).status).toBe(200);
    } finally {
      t.now = saved;
    }
  });

  it(`answers 429 after ${THROTTLE.perAddress} failures from one address, whatever the username`, async () => {
    for (let i = 0; i < THROTTLE.perAddress; i++) {
      expect((await signIn(`guess-${i}`, 'wrong-password', '192.0.2.66')).status).toBe(401);
    }
    expect((await signIn(ADMIN.username, ADMIN.password, '192.0.2.66')).status).toBe(429);
    expect((await signIn(ADMIN.username, ADMIN.password, '192.0.2.67')).status).toBe(200);
  });
});

describe('API tokens', () => {
  it('creates a token shown once, stored hashed, usable as Bearer', async () => {
    const id = await t.addUser('token-user', 'accountant', TOWNSHIP);
    const cookie = await t.signIn('token-user');
    const res = await t.request('/api/v1/tokens', { method: 'POST', cookie, json: { name: '记账软件' } });
    expect(res.status).toBe(201);
    const { token } = (await res.json()) as { token: string };
    expect(token).toMatch(/^ygcw_[\w-]{43}$/);
    const me = await t.request('/api/v1/me', { token });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ user: { id, username: 'token-user', scope: TOWNSHIP } });
    const dump = JSON.stringify(await t.database.db.execute('select * from api_tokens'));
    expect(dump).not.toContain(token.slice(5));
    const audit = await t.database.db.select().from(auditLog).where(eq(auditLog.action, 'token.create'));
    expect(audit.some((a) => a.actorId === id)).toBe(true);
  });

  it('refuses a token name that is blank', async () => {
    const cookie = await t.signIn(ADMIN.username, ADMIN.password);
    const res = await t.request('/api/v1/tokens', { method: 'POST', cookie, json: { name: '   ' } });
    expect(res.status).toBe(400);
  });
});
