// Registers: officials, decisions with 四议两公开 steps, micro-powers and policies, and their
// public views (inherited from the county down to the village).
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { auditLog } from '../../db/schema.ts';
import { ADMIN, useTestApp } from '../support/app.ts';

const t = useTestApp();
const COUNTY = '519901000000';
const VILLAGE = '519901101201';
const POWER = {
  category: '重大决策',
  name: '村级重大事项决策',
  legalBasis: '《村民委员会组织法》第二十四条',
  responsiblePost: '村党组织书记',
  steps: [
    { actor: '村党组织', action: '提议', output: '议题', timeLimit: '5个工作日' },
    { actor: '村民代表会议', action: '表决', output: '决议', timeLimit: '10个工作日' },
  ],
  riskPoints: ['未经决议即实施'],
};

describe('micro-powers and policies', () => {
  it('publishes a county power to every village below, and a village its own', async () => {
    const cookie = await t.signIn(ADMIN.username, ADMIN.password);
    const county = await t.request(`/api/v1/regions/${COUNTY}/powers`, { method: 'POST', json: POWER, cookie });
    expect(county.status).toBe(201);
    const own = await t.request(`/api/v1/regions/${VILLAGE}/powers`, { method: 'POST', json: { ...POWER, name: '本村印章管理', category: '便民服务' }, cookie });
    expect(own.status).toBe(201);
    const { powers } = (await (await t.request(`/api/v1/public/villages/${VILLAGE}/powers`)).json()) as { powers: { name: string; steps: unknown[] }[] };
    expect(powers.map((p) => p.name).sort()).toEqual(['本村印章管理', '村级重大事项决策']);
    expect(powers.find((p) => p.name === '村级重大事项决策')!.steps).toHaveLength(2);
    const other = (await (await t.request('/api/v1/public/villages/519901101202/powers')).json()) as { powers: unknown[] };
    expect(other.powers).toHaveLength(1);
  });

  it('changes and removes a power, audited', async () => {
    const cookie = await t.signIn(ADMIN.username, ADMIN.password);
    const { id } = (await (await t.request(`/api/v1/regions/${VILLAGE}/powers`, { method: 'POST', json: { ...POWER, name: '临时' }, cookie })).json()) as { id: string };
    const put = await t.request(`/api/v1/regions/${VILLAGE}/powers/${id}`, { method: 'PUT', json: { ...POWER, name: '已改名' }, cookie });
    expect(put.status).toBe(200);
    const del = await t.request(`/api/v1/regions/${VILLAGE}/powers/${id}`, { method: 'DELETE', cookie });
    expect(await del.json()).toEqual({ deleted: 1 });
    const audit = await t.database.db.select().from(auditLog).where(eq(auditLog.entityId, id));
    expect(audit.map((a) => a.action)).toEqual(['power.create', 'power.update', 'power.delete']);
    // the power belongs to the village: changing it through another region is refused
    expect((await t.request(`/api/v1/regions/${COUNTY}/powers/${id}`, { method: 'DELETE', cookie })).status).toBe(404);
  });

  it.each([
    [{ ...POWER, steps: [] }, 'invalid_body'],
    [{ ...POWER, category: '其他' }, 'invalid_body'],
    [{ ...POWER, extra: 1 }, 'unknown_field'],
  ])('refuses a bad power %#', async (body, code) => {
    const cookie = await t.signIn(ADMIN.username, ADMIN.password);
    const res = await t.request(`/api/v1/regions/${VILLAGE}/powers`, { method: 'POST', json: body, cookie });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code } });
  });

  it('publishes policies with validity, refusing an end before the start', async () => {
    const cookie = await t.signIn(ADMIN.username, ADMIN.password);
    const policy = { title: '耕地地力保护补贴', conditions: '承包耕地的农户', procedure: '村核实 → 乡审核 → 县发放', documents: '承包合同', contact: '乡镇农业服务中心', validFrom: '2025-03-01', validTo: null };
    expect((await t.request(`/api/v1/regions/${COUNTY}/policies`, { method: 'POST', json: policy, cookie })).status).toBe(201);
    const bad = await t.request(`/api/v1/regions/${COUNTY}/policies`, { method: 'POST', json: { ...policy, validTo: '2025-01-01' }, cookie });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'policy_validity' } });
    const { policies } = (await (await t.request(`/api/v1/public/villages/${VILLAGE}/policies`)).json()) as { policies: { title: string; validFrom: string }[] };
    expect(policies).toEqual([expect.objectContaining({ title: '耕地地力保护补贴', validFrom: '2025-03-01' })]);
  });
});

describe('decisions and officials', () => {
  it('registers a decision with its 四议两公开 steps and shows them publicly', async () => {
    const cookie = await t.signIn(ADMIN.username, ADMIN.password);
    const steps = [
      { kind: 'proposal', date: '2025-03-01' },
      { kind: 'consultation', date: '2025-03-03', attendance: 7, votesFor: 7 },
      { kind: 'review', date: '2025-03-08', attendance: 31, votesFor: 29, votesAgainst: 1, votesAbstain: 1 },
      { kind: 'resolution', date: '2025-03-12', attendance: 45, votesFor: 41, votesAgainst: 2, votesAbstain: 2 },
      { kind: 'resolution_published', date: '2025-03-13' },
    ];
    const res = await t.request(`/api/v1/villages/${VILLAGE}/decisions`, {
      method: 'POST',
      json: { ref: '决-2025-09', title: '村组道路硬化工程', decidedOn: '2025-03-12', amountFen: 3_421_000, steps },
      cookie,
    });
    expect(res.status).toBe(201);
    const again = await t.request(`/api/v1/villages/${VILLAGE}/decisions`, { method: 'POST', json: { ref: '决-2025-09', title: 'x', decidedOn: '2025-03-12' }, cookie });
    expect(again.status).toBe(409);
    const { decisions } = (await (await t.request(`/api/v1/public/villages/${VILLAGE}/decisions`)).json()) as {
      decisions: { ref: string; steps: { kind: string }[] }[];
    };
    expect(decisions[0]!.steps.map((s) => s.kind)).toEqual(steps.map((s) => s.kind));
  });

  it.each([
    [[{ kind: 'resolution', date: '2025-03-01', attendance: 10, votesFor: 8, votesAgainst: 3 }], 'decision_votes'],
    [[{ kind: 'proposal', date: '2025-03-05' }, { kind: 'consultation', date: '2025-03-01' }], 'decision_step_order'],
    [[{ kind: 'proposal', date: '2025-03-05' }, { kind: 'proposal', date: '2025-03-06' }], 'decision_step_duplicate'],
  ])('refuses inconsistent steps %#', async (steps, code) => {
    const cookie = await t.signIn(ADMIN.username, ADMIN.password);
    const res = await t.request(`/api/v1/villages/${VILLAGE}/decisions`, { method: 'POST', json: { ref: `决-X-${code}`, title: 't', decidedOn: '2025-03-12', steps }, cookie });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code } });
  });

  it('replaces the officials list in order', async () => {
    const cookie = await t.signIn(ADMIN.username, ADMIN.password);
    const list = [
      { name: '崔伟', post: '党支部书记、村委会主任', duties: '主持全面工作' },
      { name: '毛红', post: '报账员', duties: '负责村级财务报账' },
    ];
    expect((await t.request(`/api/v1/villages/${VILLAGE}/officials`, { method: 'PUT', json: list, cookie })).status).toBe(200);
    expect((await t.request(`/api/v1/villages/${VILLAGE}/officials`, { method: 'PUT', json: list.slice(1), cookie })).status).toBe(200);
    const { officials } = (await (await t.request(`/api/v1/public/villages/${VILLAGE}/officials`)).json()) as { officials: unknown[] };
    expect(officials).toEqual(list.slice(1));
  });
});
