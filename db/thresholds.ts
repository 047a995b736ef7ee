// Rule parameters per region, inherited downward: a rule's defaults, then the county's
// settings, the township's, the village's — the nearest wins, key by key (and inside an object
// parameter such as per-account caps, account by account). Every change is a new version.
import { randomUUID } from 'node:crypto';
import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import { z } from 'zod';
import { writeAudit, type Ctx } from './audit.ts';
import type { Executor } from './client.ts';
import { DomainError } from './errors.ts';
import { getRegion, inScope, parentCode } from './regions.ts';
import { regions, ruleParameters, users } from './schema.ts';

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
  return (await effectiveParamsOfRules(db, [{ ruleId, parse }], codes)).get(ruleId)!;
}

/** The latest setting of each of the rules at each of the regions that have one. */
async function latestSettings(db: Executor, ruleIds: readonly string[], codes: readonly string[]) {
  if (!ruleIds.length || !codes.length) return [];
  return db
    .selectDistinctOn([ruleParameters.ruleId, ruleParameters.regionCode], {
      ruleId: ruleParameters.ruleId,
      regionCode: ruleParameters.regionCode,
      version: ruleParameters.version,
      params: ruleParameters.params,
    })
    .from(ruleParameters)
    .where(and(inArray(ruleParameters.ruleId, [...ruleIds]), inArray(ruleParameters.regionCode, [...codes])))
    .orderBy(ruleParameters.ruleId, ruleParameters.regionCode, desc(ruleParameters.version));
}

/**
 * The effective parameters of several rules for each of `codes` (a check run asks for every
 * rule over a county's regions at once), by rule id. One query for all rules and codes.
 */
export async function effectiveParamsOfRules<T>(
  db: Executor,
  rules: readonly { ruleId: string; parse: (raw: Params) => T }[],
  codes: readonly string[],
): Promise<Map<string, Map<string, Effective<T>>>> {
  const rows = await latestSettings(
    db,
    rules.map((r) => r.ruleId),
    [...new Set(codes.flatMap(chain))],
  );
  const out = new Map<string, Map<string, Effective<T>>>();
  for (const { ruleId, parse } of rules) {
    const latest = new Map(rows.filter((r) => r.ruleId === ruleId).map((r) => [r.regionCode, r]));
    const result = new Map<string, Effective<T>>();
    // Most regions inherit the same values: each distinct set is parsed once (a county's check run
    // asks for some 240 regions per rule).
    const parsed = new Map<string, T>();
    for (const code of codes) {
      let raw: Params = {};
      const used: string[] = [];
      for (const c of chain(code)) {
        const row = latest.get(c);
        if (!row) continue;
        raw = mergeParams(raw, row.params);
        used.push(`${c}@${row.version}`);
      }
      const key = JSON.stringify(raw);
      let params = parsed.get(key);
      if (params === undefined) parsed.set(key, (params = parse(raw)));
      result.set(code, { params, version: used.length ? used.join(',') : 'default' });
    }
    out.set(ruleId, result);
  }
  return out;
}

/**
 * Sets (a new version of) a rule's parameters for a region; audited. `params` holds only what this
 * region sets (`{}`: inherit everything — restoring the inherited values is a new version too, never
 * a delete). `validate` receives the parameters as they would apply at the region (what the
 * regions above set, merged with `params`) and `params` itself; it throws to refuse (the
 * transport supplies it: db/ does not know the rules, see `checkParams`).
 */
export async function setRuleParameters(
  ctx: Ctx & {
    input: { ruleId: string; regionCode: string; params: Params; note?: string | undefined };
    validate: (merged: Params, own: Params) => void;
  },
) {
  const { ruleId, regionCode, params, note } = ctx.input;
  if (ctx.actor.kind === 'user' && !inScope(ctx.actor.scope, regionCode)) {
    throw new DomainError('forbidden', 'out_of_scope', `无权设置本辖区以外的阈值：${regionCode}`);
  }
  if (!isPlainObject(params)) throw new DomainError('invalid', 'params_invalid', '参数应为一个对象');
  return ctx.db.transaction(async (tx) => {
    if (!(await getRegion(tx, regionCode))) throw new DomainError('not_found', 'region_unknown', `没有这个区划：${regionCode}`);
    // One writer at a time per rule and region, so versions never collide.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`${ruleId}|${regionCode}`}))`);
    const parent = parentCode(regionCode);
    const inherited = parent ? (await effectiveParams(tx, ruleId, [parent], (raw) => raw)).get(parent)!.params : {};
    ctx.validate(mergeParams(inherited, params), params);
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
      {
        action: 'rule_parameters.set',
        entity: 'rule_parameters',
        entityId: `${ruleId}@${regionCode}`,
        before: last ? { version: last.version, params: last.params } : null,
        after: { version: row.version, params, note: row.note },
      },
    ]);
    return { version: row.version };
  });
}

// ---------------------------------------------------------------------------------------------
// Reading the settings back: where each effective value comes from, and the history.

/** One effective value (a leaf: objects such as per-account caps are opened up) and its origin. */
export interface ParameterValue {
  /** Dotted path, e.g. "limitFen", "caps.51304", "caps.51304.year". */
  path: string;
  value: unknown;
  /** The region code whose setting gives the value, or "default" (the rule's own default). */
  from: string;
  /** The version of that region's setting (null for a default). */
  version: number | null;
}

export interface ExplainedParams<T = Params> {
  /** The effective parameters at the region (validated, defaults filled in). */
  params: T;
  /** As recorded on alerts: "519901000000@2,519901101000@1", or "default". */
  version: string;
  values: ParameterValue[];
  /** The region's own latest setting (what an override form starts from), or null. */
  own: { version: number; params: Params } | null;
}

/** The leaves of a parameter value: plain objects are opened up, anything else is a leaf. */
export function leaves(value: Params, prefix: string[] = []): { path: string[]; value: unknown }[] {
  const out: { path: string[]; value: unknown }[] = [];
  for (const [k, v] of Object.entries(value)) {
    if (isPlainObject(v) && Object.keys(v).length) out.push(...leaves(v, [...prefix, k]));
    else out.push({ path: [...prefix, k], value: v });
  }
  return out;
}

/** Whether a region's own setting decides the value at `path` (it sets it, or replaces an object above it). */
function setsPath(raw: Params, path: readonly string[]): boolean {
  let v: unknown = raw;
  for (const seg of path) {
    if (!isPlainObject(v)) return true;
    if (!Object.hasOwn(v, seg)) return false;
    v = v[seg];
  }
  return true;
}

/**
 * For each rule, its effective parameters at `code`, where each value comes from (the nearest
 * region setting it, else "default") and the region's own latest setting. One query for all rules.
 */
export async function explainParams<T>(
  db: Executor,
  code: string,
  rules: readonly { id: string; parse: (raw: Params) => T }[],
): Promise<Map<string, ExplainedParams<T>>> {
  const codes = chain(code);
  const ids = rules.map((r) => r.id);
  const rows = await latestSettings(db, ids, codes);
  const result = new Map<string, ExplainedParams<T>>();
  for (const rule of rules) {
    const settings = codes.flatMap((c) => rows.filter((r) => r.ruleId === rule.id && r.regionCode === c));
    let raw: Params = {};
    for (const s of settings) raw = mergeParams(raw, s.params);
    const params = rule.parse(raw);
    const nearestFirst = [...settings].reverse();
    const values = leaves(isPlainObject(params) ? params : {}).map(({ path, value }) => {
      const from = nearestFirst.find((s) => setsPath(s.params, path));
      return { path: path.join('.'), value, from: from?.regionCode ?? 'default', version: from?.version ?? null };
    });
    const own = settings.find((s) => s.regionCode === code);
    result.set(rule.id, {
      params,
      version: settings.length ? settings.map((s) => `${s.regionCode}@${s.version}`).join(',') : 'default',
      values,
      own: own ? { version: own.version, params: own.params } : null,
    });
  }
  return result;
}

/** One version of a rule's parameters set at a region. */
export interface ParameterSetting {
  ruleId: string;
  regionCode: string;
  regionName: string;
  version: number;
  /** What that version set (`{}`: inherit everything). */
  params: Params;
  setAt: Date;
  /** The display name of who set it (null: the system, e.g. the demo loader). */
  setBy: string | null;
  note: string | null;
}

/**
 * Every version set at `code` and at the regions above it (of one rule, or of all), newest first
 * within each rule.
 */
export async function parameterHistory(db: Executor, code: string, ruleId?: string): Promise<ParameterSetting[]> {
  const codes = chain(code);
  const rows = await db
    .select({
      ruleId: ruleParameters.ruleId,
      regionCode: ruleParameters.regionCode,
      regionName: regions.name,
      version: ruleParameters.version,
      params: ruleParameters.params,
      setAt: ruleParameters.createdAt,
      setBy: users.displayName,
      note: ruleParameters.note,
    })
    .from(ruleParameters)
    .innerJoin(regions, eq(regions.code, ruleParameters.regionCode))
    .leftJoin(users, eq(users.id, ruleParameters.createdBy))
    .where(and(inArray(ruleParameters.regionCode, codes), ruleId ? eq(ruleParameters.ruleId, ruleId) : undefined))
    .orderBy(asc(ruleParameters.ruleId), desc(ruleParameters.createdAt), asc(ruleParameters.regionCode), desc(ruleParameters.version));
  return rows;
}

// ---------------------------------------------------------------------------------------------
// Checking a setting against a rule's parameter schema (the schema comes from the transport).

/** Names of the rules' parameters, for messages and forms (a name not listed is shown as is). */
const PARAM_LABELS: Record<string, { zh: string; en: string }> = {
  caps: { zh: '各科目限额', en: 'Caps by account' },
  month: { zh: '月限额', en: 'Monthly cap' },
  year: { zh: '年限额', en: 'Yearly cap' },
  limitFen: { zh: '现金支付限额', en: 'Cash limit' },
  majorFen: { zh: '重大事项金额（T_major）', en: 'Major-matter amount (T_major)' },
  windowDays: { zh: '时间窗口（天）', en: 'Window (days)' },
  excludeAccounts: { zh: '不检查的科目', en: 'Accounts left out' },
  exemptAccounts: { zh: '豁免的科目', en: 'Exempt accounts' },
  band: { zh: '区间起点（占 T_major 的比例）', en: 'Band start (share of T_major)' },
  count: { zh: '笔数', en: 'Number of expenses' },
  graceDays: { zh: '宽限天数', en: 'Grace days' },
  days: { zh: '相隔天数', en: 'Days apart' },
  threshold: { zh: '修正 z 分数阈值', en: 'Modified z-score threshold' },
  minPeers: { zh: '最少同县村数', en: 'Minimum peer villages' },
  minExcessFen: { zh: '最小超出金额', en: 'Minimum excess' },
  k: { zh: '四分位距倍数 k', en: 'k (multiple of the IQR)' },
  minMonths: { zh: '最少历史月数', en: 'Minimum months of history' },
  lookbackMonths: { zh: '回看月数', en: 'Months looked back' },
  mad: { zh: '平均绝对偏差（MAD）阈值', en: 'MAD threshold' },
  ratio: { zh: '相对县内中位数的倍数', en: 'Multiple of the county median' },
  minCount: { zh: '最少笔数', en: 'Minimum count' },
  recurring: { zh: '固定支付次数', en: 'Recurring-payment count' },
  share: { zh: '整数金额占比', en: 'Share of round amounts' },
  minAmountFen: { zh: '最低金额', en: 'Minimum amount' },
  unitFen: { zh: '整数单位', en: 'Round unit' },
  deadlineDay: { zh: '公开截止日（次月几日）', en: 'Deadline (day of the next month)' },
};

/** A parameter's name for people: "各科目限额 · 51304 · 年限额" for "caps.51304.year". */
export function paramLabel(path: string | readonly string[], lang: 'zh' | 'en' = 'zh'): string {
  const segs = typeof path === 'string' ? path.split('.') : path;
  return segs.map((s) => PARAM_LABELS[s]?.[lang] ?? s).join(' · ');
}

/** Whether a parameter is money in integer fen (names ending in "Fen", and the per-account caps). */
export const isMoneyParam = (name: string): boolean => /Fen$/.test(name) || name === 'caps';

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  anyOf?: JsonSchema[];
  items?: JsonSchema;
  [k: string]: unknown;
};

const jsonSchemas = new WeakMap<z.ZodType, JsonSchema>();

/** A parameter schema as JSON Schema (what a caller may send: defaulted members optional). */
export function paramsJsonSchema(schema: z.ZodType): JsonSchema {
  let js = jsonSchemas.get(schema);
  if (!js) {
    js = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
    jsonSchemas.set(schema, js);
  }
  return js;
}

const objectBranch = (s: JsonSchema): JsonSchema | undefined =>
  s.type === 'object' ? s : s.anyOf?.find((b) => b.type === 'object');

/** Paths of `value` that the schema has no place for. */
function unknownPaths(schema: JsonSchema, value: unknown, path: string[]): string[] {
  const obj = objectBranch(schema);
  if (!obj || !isPlainObject(value)) return [];
  if (!obj.properties && obj.additionalProperties === undefined) return []; // an open object
  const out: string[] = [];
  for (const [k, v] of Object.entries(value)) {
    const extra = typeof obj.additionalProperties === 'object' ? obj.additionalProperties : obj.additionalProperties === true ? {} : undefined;
    const sub = obj.properties?.[k] ?? extra;
    if (!sub) out.push([...path, k].join('.'));
    else out.push(...unknownPaths(sub, v, [...path, k]));
  }
  return out;
}

const zhErrors = z.locales.zhCN().localeError;

/**
 * Refuses a setting whose keys the schema does not know (`params_unknown_key`) or whose merged
 * value the schema rejects (`params_invalid`), with a Chinese message naming the parameter.
 */
export function checkParams(schema: z.ZodType, merged: Params, own: Params): void {
  const unknown = unknownPaths(paramsJsonSchema(schema), own, []);
  if (unknown.length) {
    throw new DomainError('invalid', 'params_unknown_key', `本规则没有这些参数：${unknown.join('、')}`, { keys: unknown });
  }
  const result = schema.safeParse(merged, { error: zhErrors });
  if (!result.success) {
    const issues = result.error.issues.map((i) => {
      const path = i.path.map(String);
      return { path: path.join('.'), message: `${path.length ? `${paramLabel(path)}（${path.join('.')}）` : '参数'}：${i.message}` };
    });
    throw new DomainError('invalid', 'params_invalid', `参数有误：${issues.map((i) => i.message).join('；')}`, { issues });
  }
}
