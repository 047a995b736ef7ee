// Executing a check run: every rule over the run's villages as of its date, in one transaction
// (one consistent snapshot; the spending every rule reads is computed once into a temporary
// table), each rule in its own savepoint, so a rule that throws is recorded and the others carry
// on. On the embedded database the run holds its single connection while it runs (seconds for
// a county); PostgreSQL serves pages beside it.
import { sql } from 'drizzle-orm';
import { recordFindings } from '../db/alerts.ts';
import { claimRun, finishRun, type CheckRun } from '../db/checks.ts';
import type { Db, Executor } from '../db/client.ts';
import { codePrefix } from '../db/regions.ts';
import { effectiveParams } from '../db/thresholds.ts';
import { prepareSpending } from './rules/lib.ts';
import { rules as allRules } from './rules/index.ts';
import type { Rule, RuleScope } from './rules/rule.ts';

async function rows<T>(db: Executor, query: ReturnType<typeof sql>): Promise<T[]> {
  const result = (await db.execute(query)) as unknown as { rows?: T[] } | T[];
  return Array.isArray(result) ? result : (result.rows ?? []);
}

/** The villages of a run, and every region code above them (for parameters and regional findings). */
async function scopeOf(db: Executor, run: CheckRun): Promise<{ scope: RuleScope; regions: string[] }> {
  const villages = run.villages?.length
    ? run.villages
    : (
        await rows<{ code: string }>(
          db,
          sql`select code from regions where level = 'village' and code like ${`${codePrefix(run.regionCode)}%`} order by code`,
        )
      ).map((r) => r.code);
  const above = new Set<string>();
  for (const v of villages) {
    above.add(`${v.slice(0, 9)}000`);
    above.add(`${v.slice(0, 6)}000000`);
  }
  return { scope: { region: run.regionCode, villages, asOf: run.asOf }, regions: [...villages, ...above] };
}

export interface RunOutcome {
  alertsOpened: number;
  alertsUpdated: number;
  failures: { rule: string; message: string }[];
}

export async function executeRun(db: Db, run: CheckRun, now: () => Date, rules: readonly Rule[] = allRules): Promise<RunOutcome> {
  const { scope: plain, regions } = await scopeOf(db, run);
  const outcome: RunOutcome = { alertsOpened: 0, alertsUpdated: 0, failures: [] };
  // One transaction for the run: the spending of the run's villages (and their county peers) is
  // computed once into a temporary table that every rule reads; each rule runs in its own
  // savepoint, so a rule that throws is recorded and the others carry on.
  await db.transaction(async (tx) => {
    const scope = await prepareSpending(tx, plain);
    for (const rule of rules) {
      try {
        const { opened, updated } = await tx.transaction(async (sp) => {
          const effective = await effectiveParams(sp, rule.id, regions, (raw) => rule.params.parse(raw));
          const params = new Map([...effective].map(([code, e]) => [code, e.params]));
          const input = await rule.gather(sp, scope, params);
          const findings = rule.evaluate(input, params, scope);
          return recordFindings(sp, {
            runId: run.id,
            now: now(),
            ruleId: rule.id,
            ruleVersion: rule.version,
            findings,
            paramsVersion: (code) => effective.get(code)?.version ?? 'default',
            coveredRegions: regions,
          });
        });
        outcome.alertsOpened += opened;
        outcome.alertsUpdated += updated;
      } catch (err) {
        outcome.failures.push({ rule: rule.id, message: err instanceof Error ? err.message : String(err) });
      }
    }
  });
  return outcome;
}

/** Executes a claimed run and records how it ended (a run that throws as a whole is "failed"). */
export async function completeRun(db: Db, run: CheckRun, now: () => Date, rules: readonly Rule[] = allRules): Promise<RunOutcome> {
  const started = performance.now();
  let outcome: RunOutcome;
  try {
    outcome = await executeRun(db, run, now, rules);
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
export async function drainRuns(db: Db, now: () => Date, rules: readonly Rule[] = allRules): Promise<number> {
  let ran = 0;
  for (let run = await claimRun(db, now()); run; run = await claimRun(db, now())) {
    await completeRun(db, run, now, rules);
    ran++;
  }
  return ran;
}
