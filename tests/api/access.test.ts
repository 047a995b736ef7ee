// Role and scope, for every route of the API: anonymous callers, each role, and callers whose
// scope does not cover the region concerned.
import { describe, expect, it } from 'vitest';
import { roles } from '../../db/schema.ts';
import { useTestApp } from '../support/app.ts';
import { policies, TOWNSHIP } from '../support/policy.ts';

const t = useTestApp();

describe('access policy', () => {
  it('covers every route of the OpenAPI document', async () => {
    const doc = (await (await t.request('/api/v1/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} /api/v1${p}`),
    );
    const covered = policies.map((p) => `${p.method} ${p.path}`);
    expect(documented.length).toBeGreaterThan(0);
    expect(new Set(documented)).toEqual(new Set(covered));
  });

  const call = (p: (typeof policies)[number], cookie?: string, override?: { path?: string; body?: unknown }) =>
    t.request(override?.path ?? p.path, {
      method: p.method,
      cookie,
      ...(p.body !== undefined || override?.body !== undefined ? { json: override?.body ?? p.body } : {}),
    });

  describe.each(policies.filter((p) => p.who !== 'anyone'))('$method $path', (p) => {
    it('answers 401 to an anonymous caller, and stores nothing', async () => {
      const res = await call(p);
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: { code: 'not_signed_in' } });
    });

    it('answers 401 to a bad API token', async () => {
      const res = await t.request(p.path, { method: p.method, token: 'ygcw_not-a-token' });
      expect(res.status).toBe(401);
    });

    if (Array.isArray(p.who)) {
      const allowed = p.who;
      it.each(roles.filter((r) => !allowed.includes(r)))('answers 403 to role %s', async (role) => {
        const username = `deny-${role}-${p.method}-${p.path.replace(/\W+/g, '-')}`.slice(0, 40);
        await t.addUser(username, role, TOWNSHIP);
        const res = await call(p, await t.signIn(username));
        expect(res.status).toBe(403);
        expect(await res.json()).toMatchObject({ error: { code: 'role_forbidden' } });
      });
    }

    const allowedRoles = Array.isArray(p.who) ? p.who : roles;
    it.each([...allowedRoles])('lets role %s in scope through', async (role) => {
      const username = `allow-${role}-${p.method}-${p.path.replace(/\W+/g, '-')}`.slice(0, 40);
      await t.addUser(username, role, TOWNSHIP);
      const res = await call(p, await t.signIn(username));
      expect(res.status, await res.clone().text()).toBeLessThan(300);
    });

    if (p.outOfScope && Array.isArray(p.who)) {
      const role = p.who[0]!;
      it(`answers 403 to a ${role} whose scope does not cover the region`, async () => {
        const username = `scope-${p.method}-${p.path.replace(/\W+/g, '-')}`.slice(0, 40);
        await t.addUser(username, role, TOWNSHIP);
        const res = await call(p, await t.signIn(username), p.outOfScope);
        expect(res.status).toBe(403);
        expect(await res.json()).toMatchObject({ error: { code: 'out_of_scope' } });
      });
    }
  });
});
