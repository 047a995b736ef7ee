// 小微权力清单 (micro-powers, each with its procedure "一事一流程") and 惠民政策 (policies).
// Both belong to a region and apply to every village below it: a county publishes the common
// list, a village adds its own.
import { randomUUID } from 'node:crypto';
import { and, asc, eq, inArray } from 'drizzle-orm';
import { writeAudit, type Ctx } from './audit.ts';
import type { Executor } from './client.ts';
import { DomainError } from './errors.ts';
import { getRegion, parentCode } from './regions.ts';
import { microPowers, policies } from './schema.ts';

export const POWER_CATEGORIES = ['重大决策', '日常管理', '便民服务', '惠民资金', '组织决策', '管理', '服务'] as const;

export interface PowerStep {
  actor: string;
  action: string;
  output: string;
  timeLimit: string;
}

export interface PowerInput {
  category: string;
  name: string;
  legalBasis: string;
  responsiblePost: string;
  steps: PowerStep[];
  riskPoints: string[];
  position?: number | undefined;
}

export interface PolicyInput {
  title: string;
  conditions: string;
  procedure: string;
  documents: string;
  contact: string;
  validFrom?: string | null | undefined;
  validTo?: string | null | undefined;
}

async function requireRegion(db: Executor, code: string) {
  const region = await getRegion(db, code);
  if (!region) throw new DomainError('not_found', 'region_unknown', `没有这个区划：${code}`);
  return region;
}

/** The region and every stored ancestor: what applies to a village. */
function lineage(code: string): string[] {
  const codes = [code];
  for (let p = parentCode(code); p; p = parentCode(p)) codes.push(p);
  return codes;
}

function checkPower(input: PowerInput) {
  if (!input.steps.length) throw new DomainError('invalid', 'power_steps_missing', '每项权力至少要有一个办理步骤（一事一流程）');
  if (!POWER_CATEGORIES.includes(input.category as (typeof POWER_CATEGORIES)[number])) {
    throw new DomainError('invalid', 'power_category', `权力类别须为：${POWER_CATEGORIES.join('、')}`);
  }
}

export async function savePower(ctx: Ctx & { input: { regionCode: string; id?: string | undefined; power: PowerInput } }) {
  const { regionCode, power } = ctx.input;
  checkPower(power);
  return ctx.db.transaction(async (tx) => {
    await requireRegion(tx, regionCode);
    const values = {
      regionCode,
      category: power.category,
      name: power.name.trim(),
      legalBasis: power.legalBasis.trim(),
      responsiblePost: power.responsiblePost.trim(),
      steps: power.steps,
      riskPoints: power.riskPoints,
      position: power.position ?? 0,
      updatedAt: ctx.now,
    };
    if (ctx.input.id) {
      const [before] = await tx
        .select()
        .from(microPowers)
        .where(and(eq(microPowers.id, ctx.input.id), eq(microPowers.regionCode, regionCode)));
      if (!before) throw new DomainError('not_found', 'power_unknown', `本区划没有这项权力：${ctx.input.id}`);
      await tx.update(microPowers).set(values).where(eq(microPowers.id, before.id));
      await writeAudit(tx, ctx, [{ action: 'power.update', entity: 'micro_power', entityId: before.id, before, after: values }]);
      return { id: before.id };
    }
    const id = randomUUID();
    await tx.insert(microPowers).values({ id, ...values });
    await writeAudit(tx, ctx, [{ action: 'power.create', entity: 'micro_power', entityId: id, before: null, after: values }]);
    return { id };
  });
}

export async function deletePower(ctx: Ctx & { input: { regionCode: string; id: string } }) {
  return ctx.db.transaction(async (tx) => {
    const [before] = await tx
      .delete(microPowers)
      .where(and(eq(microPowers.id, ctx.input.id), eq(microPowers.regionCode, ctx.input.regionCode)))
      .returning();
    if (!before) throw new DomainError('not_found', 'power_unknown', `本区划没有这项权力：${ctx.input.id}`);
    await writeAudit(tx, ctx, [{ action: 'power.delete', entity: 'micro_power', entityId: before.id, before, after: null }]);
    return { deleted: 1 };
  });
}

/** The powers that apply to a region: its own and its ancestors', by category and position. */
export async function powersFor(db: Executor, code: string) {
  return db
    .select()
    .from(microPowers)
    .where(inArray(microPowers.regionCode, lineage(code)))
    .orderBy(asc(microPowers.category), asc(microPowers.position), asc(microPowers.name));
}

export async function savePolicy(ctx: Ctx & { input: { regionCode: string; id?: string | undefined; policy: PolicyInput } }) {
  const { regionCode, policy } = ctx.input;
  if (policy.validFrom && policy.validTo && policy.validTo < policy.validFrom) {
    throw new DomainError('invalid', 'policy_validity', '政策的截止日期早于开始日期');
  }
  return ctx.db.transaction(async (tx) => {
    await requireRegion(tx, regionCode);
    const values = {
      regionCode,
      title: policy.title.trim(),
      conditions: policy.conditions.trim(),
      procedure: policy.procedure.trim(),
      documents: policy.documents.trim(),
      contact: policy.contact.trim(),
      validFrom: policy.validFrom ?? null,
      validTo: policy.validTo ?? null,
      updatedAt: ctx.now,
    };
    if (ctx.input.id) {
      const [before] = await tx
        .select()
        .from(policies)
        .where(and(eq(policies.id, ctx.input.id), eq(policies.regionCode, regionCode)));
      if (!before) throw new DomainError('not_found', 'policy_unknown', `本区划没有这项政策：${ctx.input.id}`);
      await tx.update(policies).set(values).where(eq(policies.id, before.id));
      await writeAudit(tx, ctx, [{ action: 'policy.update', entity: 'policy', entityId: before.id, before, after: values }]);
      return { id: before.id };
    }
    const id = randomUUID();
    await tx.insert(policies).values({ id, ...values });
    await writeAudit(tx, ctx, [{ action: 'policy.create', entity: 'policy', entityId: id, before: null, after: values }]);
    return { id };
  });
}

export async function deletePolicy(ctx: Ctx & { input: { regionCode: string; id: string } }) {
  return ctx.db.transaction(async (tx) => {
    const [before] = await tx
      .delete(policies)
      .where(and(eq(policies.id, ctx.input.id), eq(policies.regionCode, ctx.input.regionCode)))
      .returning();
    if (!before) throw new DomainError('not_found', 'policy_unknown', `本区划没有这项政策：${ctx.input.id}`);
    await writeAudit(tx, ctx, [{ action: 'policy.delete', entity: 'policy', entityId: before.id, before, after: null }]);
    return { deleted: 1 };
  });
}

export async function policiesFor(db: Executor, code: string) {
  return db.select().from(policies).where(inArray(policies.regionCode, lineage(code))).orderBy(asc(policies.title));
}
