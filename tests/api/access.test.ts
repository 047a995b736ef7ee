// Role and scope, for every route of the API: anonymous callers, each role, and callers whose
// scope does not cover the region concerned.
import { describe, expect, it } from 'vitest';
import { roles } from '../../db/schema.ts';
import { useTestApp } from '../support/app.ts';
import { policies, TOWNSHIP } from '../support/policy.ts';

const t = useTestApp();
let users = 0;
/** A fresh staff account of `role` scoped to 底洞镇, signed in. */
const signedIn = async (role: (typeof roles)[number]) => {
  const username = `policy-${++users}-${role}`;
  await t.addUser(username, role, TOWNSHIP);
  return t.signIn(username);
};

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

  const call = (p: (typeof policies)[number], cookie?: string, override?: { path?: string; body?: unknown }) => {
    const raw = override?.body ?? p.body;
    const body = typeof raw === 'function' ? (raw as () => unknown)() : raw;
    return t.request(override?.path ?? p.concrete ?? p.path, {
      method: p.method,
      cookie,
      ...(body instanceof FormData ? { body } : body !== undefined ? { json: body } : {}),
    });
  };

  describe.each(policies.filter((p) => p.who === 'anyone'))('$method $path (public)', (p) => {
    it('answers an anonymous caller (no 401/403)', async () => {
      const res = await call(p);
      expect([401, 403]).not.toContain(res.status);
    });
  });

  describe.each(policies.filter((p) => p.who !== 'anyone'))('$method $path', (p) => {
    it('answers 401 to an anonymous caller', async () => {
      const res = await call(p);
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: { code: 'not_signed_in' } });
    });

    it('answers 401 to a bad API token', async () => {
      const res = await t.request(p.concrete ?? p.path, { method: p.method, token: 'ygcw_not-a-token' });
      expect(res.status).toBe(401);
    });

    if (Array.isArray(p.who)) {
      const allowed = p.who;
      it.each(roles.filter((r) => !allowed.includes(r)))('answers 403 to role %s', async (role) => {
        const res = await call(p, await signedIn(role));
        expect(res.status).toBe(403);
        expect(await res.json()).toMatchObject({ error: { code: 'role_forbidden' } });
      });
    }

    const allowedRoles = Array.isArray(p.who) ? p.who : roles;
    it.each([...allowedRoles])('lets role %s in scope through', async (role) => {
      const res = await call(p, await signedIn(role));
      // Past access control; what the route then answers is the route's own tests' business.
      expect([401, 403], await res.clone().text()).not.toContain(res.status);
    });

    if (p.outOfScope && Array.isArray(p.who)) {
      const role = p.who[0]!;
      it(`answers 403 to a ${role} whose scope does not cover the region`, async () => {
        const res = await call(p, await signedIn(role), p.outOfScope);
        expect(res.status).toBe(403);
        expect(await res.json()).toMatchObject({ error: { code: 'out_of_scope' } });
      });
    }
  });
});
