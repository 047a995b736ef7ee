// Executing a check run: every rule over the run's villages as of its date, county by county.
// The run's villages are grouped by county (first 6 digits + '000000'). A county is checked in
// one transaction (one consistent snapshot): the parameters of every rule in one query, then ONE
// statement holding every rule's query, which reads the county's spending (and its county
// peers') from the ledger once for all of them (jobs/rules/lib.ts queryRules), then each rule's
// few lookups and its evaluation, then the findings of every rule recorded together, with
// `coveredRegions` = the county's villages of the run and the townships and county above them, so
// a county marks gone only its own alerts. A rule that throws is recorded (once per rule and
// message) and the others carry on: if the statement fails, each rule's query runs alone to find
// which. On PostgreSQL several counties are checked at once (`concurrency`, CHECKS_CONCURRENCY:
// each on its own connection, so a run uses the server's cores). Node's memory is those
// counties' findings at a time (flat in the number of counties) and no transaction spans more
// than a county. Rules comparing across county lines (duplicate-invoice follows invoice numbers
// and voucher images shared with the county's spending) still see other counties' entries; they
// only report findings of the county's own villages. A county that fails as a whole fails the
// run; the counties done before it stay recorded. The counties of a run are not one snapshot
// together: entries published while the run goes on are seen by the counties checked after (the
// next run sees them everywhere).
// On the embedded database the run holds its single connection per county (a second or less
// each); PostgreSQL serves pages beside it.
import { sql } from 'drizzle-orm';
import { recordFindings, type RuleFindings } from '../db/alerts.ts';
import { claimRun, finishRun, type CheckRun } from '../db/checks.ts';
import { jsonParam, pgTextArray, queryRows, type Db, type Tx } from '../db/client.ts';
import { codePrefix } from '../db/regions.ts';
import { effectiveParamsOfRules, type Effective } from '../db/thresholds.ts';
import { ensureStatistics, queryRules, useCheckSettings } from './rules/lib.ts';
import { rules as allRules } from './rules/index.ts';
import type { Rule, RuleScope } from './rules/rule.ts';

/** The villages of a run grouped by county, each with every region code above them (for parameters and regional findings). */
export async function scopeOf(db: Db, run: CheckRun): Promise<{ scope: RuleScope; regions: string[] }[]> {
  const villages = run.villages?.length
    ? run.villages
    : (
        await queryRows<{ code: string }>(
          db,
          sql`select code from regions where level = 'village' and code like ${`${codePrefix(run.regionCode)}%`} order by code`,
        )
      ).map((r) => r.code);
  const byCounty = new Map<string, string[]>();
  for (const v of new Set(villages)) {
    const county = `${v.slice(0, 6)}000000`;
    const list = byCounty.get(county);
    if (list) list.push(v);
    else byCounty.set(county, [v]);
  }
  // A run over a region inside one county keeps its region; a run above county level is checked
  // county by county, each group's region being its county. A full run over a county or more
  // checks every village of its counties, and so does an incremental run of every village of a
  // county (the rules then read one set of spending for the scope and its peers: lib.ts
  // spendingCtes).
  const withinCounty = codePrefix(run.regionCode).length >= 6;
  const wholeRun = !run.villages?.length && codePrefix(run.regionCode).length <= 6;
  const covered = new Set<string>();
  if (!wholeRun) {
    const listed = [...byCounty.values()].flat();
    const counties = await queryRows<{ county: string; whole: boolean }>(
      db,
      // (`in (select …)` is a hashed set: `= any(array)` would compare every code with every listed one.)
      sql`select left(r.code, 6) || '000000' as county, bool_and(r.code in (select json_array_elements_text(${jsonParam(listed)}))) as whole
            from regions r
           where r.level = 'village' and left(r.code, 6) || '000000' = any(${pgTextArray([...byCounty.keys()])})
           group by 1`,
    );
    for (const c of counties) if (c.whole) covered.add(c.county);
  }
  return [...byCounty.keys()].sort().map((county) => {
    const list = byCounty.get(county)!.sort();
    const wholeCounties = wholeRun || covered.has(county);
    const above = new Set<string>([county]);
    for (const v of list) above.add(`${v.slice(0, 9)}000`);
    return {
      scope: { region: withinCounty ? run.regionCode : county, villages: list, asOf: run.asOf, ...(wholeCounties ? { wholeCounties } : {}) },
      regions: [...list, ...above],
    };
  });
}

export interface RunOutcome {
  alertsOpened: number;
  alertsUpdated: number;
  failures: { rule: string; message: string }[];
}

export interface RunOptions {
  /** Counties checked at once, each in its own transaction on its own connection (PostgreSQL;
   * the embedded database has one connection: 1). Default 1. */
  concurrency?: number;
  /** Told how long each step of a county took (benchmarks): the parameters, the rules' statement,
   * a rule's lookups and evaluation, the recording. */
  profile?: (step: ProfileStep) => void;
}

export interface ProfileStep {
  county: string;
  step: 'params' | 'statement' | 'rule' | 'record';
  /** For step 'rule'. */
  rule?: string;
  ms: number;
  /** For step 'rule': how many findings. */
  findings?: number;
}

/** Why a rule failed: the database's own message rather than the query Drizzle wraps around it. */
const messageOf = (err: unknown): string =>
  err instanceof Error ? (err.message.startsWith('Failed query') && err.cause instanceof Error ? err.cause.message : err.message) : String(err);

/**
 * Checks one county of a run in one transaction: parameters, the rules' queries in one
 * statement, each rule's lookups and evaluation, the findings recorded. Returns the rules that
 * failed with why; throws if the county as a whole fails.
 */
async function checkCounty(
  tx: Tx,
  run: CheckRun,
  now: () => Date,
  rules: readonly Rule[],
  { scope, regions }: { scope: RuleScope; regions: string[] },
  profile?: RunOptions['profile'],
): Promise<{ opened: number; updated: number; failures: { rule: string; message: string }[] }> {
  const county = scope.villages[0]!.slice(0, 6);
  let t = performance.now();
  const lap = (step: ProfileStep['step'], more: Partial<ProfileStep> = {}) => {
    const at = performance.now();
    profile?.({ county, step, ms: at - t, ...more });
    t = at;
  };
  await useCheckSettings(tx);
  const failures: { rule: string; message: string }[] = [];
  const fail = (rule: Rule, err: unknown) => failures.push({ rule: rule.id, message: messageOf(err) });
  // Parameters of every rule, each rule's own validation kept apart (a bad stored setting fails its rule only).
  type Parsed = { ok: true; params: unknown } | { ok: false; error: unknown };
  const effective = await effectiveParamsOfRules<Parsed>(
    tx,
    rules.map((rule) => ({
      ruleId: rule.id,
      parse: (raw): Parsed => {
        try {
          return { ok: true, params: rule.params.parse(raw) };
        } catch (error) {
          return { ok: false, error };
        }
      },
    })),
    regions,
  );
  lap('params');
  const ready: { rule: Rule; params: Map<string, unknown>; versions: Map<string, Effective<Parsed>>; query: ReturnType<Rule['query']> }[] = [];
  for (const rule of rules) {
    const versions = effective.get(rule.id)!;
    const bad = [...versions.values()].find((e) => !e.params.ok);
    if (bad && !bad.params.ok) {
      fail(rule, bad.params.error);
      continue;
    }
    const params = new Map([...versions].map(([code, e]) => [code, (e.params as { params: unknown }).params]));
    try {
      ready.push({ rule, params, versions, query: rule.query(scope, params as never) });
    } catch (err) {
      fail(rule, err);
    }
  }
  // Every query in one statement (in a savepoint: a failure leaves the county's transaction
  // usable); if it fails, each alone, to tell the failing rules from the others.
  let rows: (Record<string, unknown>[] | null)[];
  try {
    rows = await tx.transaction((sp) => queryRules(sp, scope, ready.map((r) => r.query)));
  } catch {
    rows = [];
    for (const r of ready) {
      try {
        rows.push((await tx.transaction((sp) => queryRules(sp, scope, [r.query])))[0]!);
      } catch (err) {
        fail(r.rule, err);
        rows.push(null);
      }
    }
  }
  lap('statement');
  const results: RuleFindings[] = [];
  for (const [i, { rule, params, versions }] of ready.entries()) {
    const found = rows[i];
    if (!found) continue;
    t = performance.now();
    try {
      const input = rule.gather ? await tx.transaction((sp) => rule.gather!(sp, found, scope, params as never)) : found;
      const findings = rule.evaluate(input, params as never, scope);
      if (new Set(findings.map((f) => f.subject)).size !== findings.length) throw new Error(`rule ${rule.id} reported the same subject twice in one run`);
      results.push({ ruleId: rule.id, ruleVersion: rule.version, findings, paramsVersion: (code) => versions.get(code)?.version ?? 'default' });
      lap('rule', { rule: rule.id, findings: findings.length });
    } catch (err) {
      fail(rule, err);
    }
  }
  t = performance.now();
  const { opened, updated } = await recordFindings(tx, { runId: run.id, now: now(), rules: results, coveredRegions: regions });
  lap('record');
  return { opened, updated, failures };
}

export async function executeRun(
  db: Db,
  run: CheckRun,
  now: () => Date,
  rules: readonly Rule[] = allRules,
  options: RunOptions = {},
): Promise<RunOutcome> {
  const outcome: RunOutcome = { alertsOpened: 0, alertsUpdated: 0, failures: [] };
  // Larger counties first, so that the workers finish together.
  const waiting = (await scopeOf(db, run)).sort((a, b) => b.scope.villages.length - a.scope.villages.length);
  await ensureStatistics(db);
  let failed: { error: unknown } | null = null;
  // `concurrency` workers take the counties one at a time. After a county fails as a whole (its
  // transaction failed) no worker takes more, and the run fails with the first such error.
  const worker = async () => {
    for (let group = waiting.shift(); group && !failed; group = waiting.shift()) {
      try {
        const result = await db.transaction((tx) => checkCounty(tx, run, now, rules, group, options.profile));
        outcome.alertsOpened += result.opened;
        outcome.alertsUpdated += result.updated;
        for (const f of result.failures) {
          // The same failure in several counties is reported once.
          if (!outcome.failures.some((o) => o.rule === f.rule && o.message === f.message)) outcome.failures.push(f);
        }
      } catch (error) {
        failed ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 1) }, worker));
  if (failed) throw (failed as { error: unknown }).error;
  outcome.failures.sort((a, b) => (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0));
  return outcome;
}

/** Executes a claimed run and records how it ended (a run that throws as a whole is "failed"). */
export async function completeRun(...args: Parameters<typeof executeRun>): Promise<RunOutcome> {
  const [db, run, now] = args;
  const started = performance.now();
  let outcome: RunOutcome;
  try {
    outcome = await executeRun(...args);
  } catch (err) {
    outcome = { alertsOpened: 0, alertsUpdated: 0, failures: [{ rule: '*', message: err instanceof Error ? err.message : String(err) }] };
  }
  await finishRun(db, run.id, {
    status: outcome.failures.some((f) => f.rule === '*') ? 'failed' : 'done',
    finishedAt: now(),
    alertsOpened: outcome.alertsOpened,
    alertsUpdated: outcome.alertsUpdated,
    durationMs: Math.round(performance.now() - started),
    failures: outcome.failures,
  });
  return outcome;
}

/** Claims and executes queued runs until none is left; returns how many ran (tests, benchmarks). */
export async function drainRuns(db: Db, now: () => Date, rules: readonly Rule[] = allRules, options: RunOptions = {}): Promise<number> {
  let ran = 0;
  for (let run = await claimRun(db, now()); run; run = await claimRun(db, now())) {
    await completeRun(db, run, now, rules, options);
    ran++;
  }
  return ran;
}
