// Rule parameters per region, inherited downward: a rule's defaults, then the county's
// settings, the township's, the village's — the nearest wins, key by key (and inside an object
// parameter such as per-account caps, account by account). Every change is a new version.
import { randomUUID } from 'node:crypto';
import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import { writeAudit, type Ctx } from './audit.ts';
import type { Executor } from './client.ts';
import { DomainError } from './errors.ts';
import { getRegion, inScope, parentCode } from './regions.ts';
import { ruleParameters } from './schema.ts';

type Params = Record<string, unknown>;

const isPlainObject = (v: unknown): v is Params => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `over` onto `base`: objects merge key by key, anything else is replaced. */
export function mergeParams(base: Params, over: Params): Params {
  const out: Params = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isPlainObject(v) && isPlainObject(base[k]) ? mergeParams(base[k], v) : v;
  return out;
}

/** The chain of codes from the top down to `code` (county, township, village). */
function chain(code: string): string[] {
  const codes = [code];
  for (let p = parentCode(code); p; p = parentCode(p)) codes.unshift(p);
  return codes;
}

export interface Effective<T> {
  params: T;
  /** Which settings applied, e.g. "519901000000@2,519901101000@1", or "default". */
  version: string;
}

/**
 * The effective parameters of a rule for each of `codes`, validated by the rule's schema
 * (`parse` fills defaults). One query for all codes.
 */
export async function effectiveParams<T>(
  db: Executor,
  ruleId: string,
  codes: readonly string[],
  parse: (raw: Params) => T,
): Promise<Map<string, Effective<T>>> {
  const all = [...new Set(codes.flatMap(chain))];
  const rows = all.length
    ? await db
        .selectDistinctOn([ruleParameters.regionCode], {
          regionCode: ruleParameters.regionCode,
          version: ruleParameters.version,
          params: ruleParameters.params,
        })
        .from(ruleParameters)
        .where(and(eq(ruleParameters.ruleId, ruleId), inArray(ruleParameters.regionCode, all)))
        .orderBy(ruleParameters.regionCode, desc(ruleParameters.version))
    : [];
  const latest = new Map(rows.map((r) => [r.regionCode, r]));
  const result = new Map<string, Effective<T>>();
  for (const code of codes) {
    let raw: Params = {};
    const used: string[] = [];
    for (const c of chain(code)) {
      const row = latest.get(c);
      if (!row) continue;
      raw = mergeParams(raw, row.params);
      used.push(`${c}@${row.version}`);
    }
    result.set(code, { params: parse(raw), version: used.length ? used.join(',') : 'default' });
  }
  return result;
}

/** Sets (a new version of) a rule's parameters for a region; audited. */
export async function setRuleParameters(
  ctx: Ctx & { input: { ruleId: string; regionCode: string; params: Params; note?: string | undefined }; validate: (merged: Params) => void },
) {
  const { ruleId, regionCode, params, note } = ctx.input;
  if (ctx.actor.kind === 'user' && !inScope(ctx.actor.scope, regionCode)) {
    throw new DomainError('forbidden', 'out_of_scope', `无权设置本辖区以外的阈值：${regionCode}`);
  }
  ctx.validate(params);
  return ctx.db.transaction(async (tx) => {
    if (!(await getRegion(tx, regionCode))) throw new DomainError('not_found', 'region_unknown', `没有这个区划：${regionCode}`);
    // One writer at a time per rule and region, so versions never collide.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`${ruleId}|${regionCode}`}))`);
    const [last] = await tx
      .select()
      .from(ruleParameters)
      .where(and(eq(ruleParameters.ruleId, ruleId), eq(ruleParameters.regionCode, regionCode)))
      .orderBy(desc(ruleParameters.version))
      .limit(1);
    const row = {
      id: randomUUID(),
      ruleId,
      regionCode,
      version: (last?.version ?? 0) + 1,
      params,
      createdAt: ctx.now,
      createdBy: ctx.actor.kind === 'user' ? ctx.actor.id : null,
      note: note ?? null,
    };
    await tx.insert(ruleParameters).values(row);
    await writeAudit(tx, ctx, [
      { action: 'rule_parameters.set', entity: 'rule_parameters', entityId: `${ruleId}@${regionCode}`, before: last?.params ?? null, after: params },
    ]);
    return { version: row.version };
  });
}

