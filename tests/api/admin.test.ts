// Regions and staff accounts through the API: what is stored, what is refused, what is audited.
import { describe, expect, it } from 'vitest';
import { count, eq, inArray } from 'drizzle-orm';
import { auditLog, regions, users } from '../../db/schema.ts';
import { ADMIN, useTestApp } from '../support/app.ts';
import { TOWNSHIP } from '../support/policy.ts';

const t = useTestApp({ demo: 'none' });
const admin = () => t.signIn(ADMIN.username, ADMIN.password);
const putRegions = async (body: unknown, cookie?: string) =>
  t.request('/api/v1/regions', { method: 'PUT', json: body, cookie: cookie ?? (await admin()) });
const regionCount = async () => (await t.database.db.select({ n: count() }).from(regions))[0]!.n;

const county = [
  { code: '519901000000', name: '青山县' },
  { code: '519901101000', name: '底洞镇' },
  { code: '519901101201', name: '沙湾村' },
];

describe('PUT /api/v1/regions', () => {
  it('stores regions with levels and parents derived from the codes, in any order', async () => {
    const res = await putRegions([...county].reverse());
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ upserted: 3 });
    const rows = await t.database.db.select().from(regions).orderBy(regions.code);
    expect(rows.map((r) => [r.code, r.level, r.parentCode])).toEqual([
      ['519901000000', 'county', '519900000000'],
      ['519901101000', 'township', '519901000000'],
      ['519901101201', 'village', '519901101000'],
    ]);
  });

  it('renames, counts only changes, and audits before/after with the request id', async () => {
    const res = await putRegions([
      { code: '519901101201', name: '沙湾社区' },
      { code: '519901101000', name: '底洞镇' },
    ]);
    expect(await res.json()).toEqual({ upserted: 1 });
    const requestId = res.headers.get('x-request-id');
    expect(requestId).toBeTruthy();
    const [row] = await t.database.db
      .select()
      .from(auditLog)
      .where(eq(auditLog.action, 'region.rename'));
    expect(row).toMatchObject({
      entity: 'region',
      entityId: '519901101201',
      actorName: 'admin',
      before: { name: '沙湾村' },
      after: { name: '沙湾社区', level: 'village' },
      requestId,
    });
  });

  it.each([
    [[{ code: '51990110120', name: '短' }], 'region_code_invalid', '51990110120'],
    [[{ code: '5199011012011', name: '长' }], 'region_code_invalid', '5199011012011'],
    [[{ code: '51990110120x', name: '字母' }], 'region_code_invalid', '51990110120x'],
    [[{ code: '519901109201', name: '无上级村' }], 'region_parent_missing', '519901109201'],
    [[{ code: '519901109000', name: '无上级镇' }, { code: '519909109000', name: '另一个' }], 'region_parent_missing', '519909109000'],
    [[{ code: '519901101202', name: '甲' }, { code: '519901101202', name: '乙' }], 'region_code_duplicate', '519901101202'],
    [[{ code: '519901101203', name: '  ' }], 'region_name_blank', '519901101203'],
  ])('refuses %j with 400 naming the code, storing nothing', async (body, code, named) => {
    const before = await regionCount();
    // a valid region in the same call must not be stored either
    const res = await putRegions([{ code: '519901101209', name: '好村' }, ...body]);
    expect(res.status).toBe(400);
    const err = (await res.json()) as { error: { code: string; message: string } };
    expect(err.error.code).toBe(code);
    expect(err.error.message).toContain(named);
    expect(await regionCount()).toBe(before);
  });

  it('accepts a township whose county comes in the same call', async () => {
    const res = await putRegions([
      { code: '519902101000', name: '新镇' },
      { code: '519902000000', name: '新县' },
    ]);
    expect(res.status).toBe(200);
  });

  it('refuses a body over the JSON limit with 413', async () => {
    const huge = Array.from({ length: 40_000 }, (_, i) => ({ code: `5199011${String(i).padStart(5, '0')}`, name: '很长的名字'.repeat(2) }));
    const res = await putRegions(huge);
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: { code: 'too_large' } });
  });

  it('lets a county administrator change only their county', async () => {
    await t.addUser('county-admin', 'admin', '519901000000');
    const cookie = await t.signIn('county-admin');
    expect((await putRegions([{ code: '519901101204', name: '木泽村' }], cookie)).status).toBe(200);
    const before = await regionCount();
    const res = await putRegions([{ code: '519901101205', name: '岩口村' }, { code: '519902101201', name: '外县村' }], cookie);
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('519902101201');
    expect(await regionCount()).toBe(before);
  });
});

describe('POST /api/v1/users', () => {
  const body = { username: 'kuaiji01', password: 'a-long-password', role: 'accountant', scope: TOWNSHIP, displayName: '毛红' };

  it('creates an account that can sign in, without storing the password, audited', async () => {
    const res = await t.request('/api/v1/users', { method: 'POST', json: body, cookie: await admin() });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    const [row] = await t.database.db.select().from(users).where(eq(users.id, id));
    expect(row).toMatchObject({ username: 'kuaiji01', role: 'accountant', scope: TOWNSHIP, displayName: '毛红', disabled: false });
    expect(row!.passwordHash).not.toContain('a-long-password');
    await expect(t.signIn('kuaiji01', 'a-long-password')).resolves.toMatch(/^ygcw_session=/);
    const audit = (await t.database.db.select().from(auditLog).where(eq(auditLog.entityId, id))).filter((a) => a.action === 'user.create');
    expect(audit).toHaveLength(1);
    expect(JSON.stringify(audit[0]!.after)).not.toContain('password');
  });

  it('refuses a second account with the same username, whatever the case (409)', async () => {
    const res = await t.request('/api/v1/users', {
      method: 'POST',
      json: { ...body, username: 'KuaiJi01' },
      cookie: await admin(),
    });
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ error: { code: 'username_taken' } });
  });

  it.each([
    [{ ...body, username: 'x' }, 'username_invalid'],
    [{ ...body, username: 'short-pw', password: 'short' }, 'password_too_short'],
    [{ ...body, username: 'bad-role', role: 'mayor' }, 'invalid_body'],
    [{ ...body, username: 'bad-scope', scope: '5199' }, 'invalid_body'],
    [{ ...body, username: 'unknown-scope', scope: '519901199201' }, 'scope_unknown'],
    [{ ...body, username: 'extra-field', isAdmin: true }, 'unknown_field'],
    [{ username: 'missing' }, 'invalid_body'],
  ])('refuses %j with 400 and stores nothing', async (input, code) => {
    const before = (await t.database.db.select({ n: count() }).from(users))[0]!.n;
    const res = await t.request('/api/v1/users', { method: 'POST', json: input, cookie: await admin() });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code } });
    expect((await t.database.db.select({ n: count() }).from(users))[0]!.n).toBe(before);
  });

  it('lets a township administrator create accounts only inside the township', async () => {
    await t.addUser('town-admin', 'admin', TOWNSHIP);
    const cookie = await t.signIn('town-admin');
    const inside = await t.request('/api/v1/users', { method: 'POST', json: { ...body, username: 'inside' }, cookie });
    expect(inside.status).toBe(201);
    const outside = await t.request('/api/v1/users', {
      method: 'POST',
      json: { ...body, username: 'outside', scope: '519901000000' },
      cookie,
    });
    expect(outside.status).toBe(403);
    const rows = await t.database.db.select().from(users).where(inArray(users.username, ['inside', 'outside']));
    expect(rows.map((r) => r.username)).toEqual(['inside']);
  });
});
