// Executing a check run: every rule over the run's villages as of its date, each rule's
// findings stored in its own transaction, so a rule that throws is recorded and the others
// carry on.
import { sql } from 'drizzle-orm';
import { recordFindings } from '../db/alerts.ts';
import { claimRun, finishRun, type CheckRun } from '../db/checks.ts';
import type { Db, Executor } from '../db/client.ts';
import { codePrefix } from '../db/regions.ts';
import { effectiveParams } from '../db/thresholds.ts';
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
  const { scope, regions } = await scopeOf(db, run);
  const outcome: RunOutcome = { alertsOpened: 0, alertsUpdated: 0, failures: [] };
  for (const rule of rules) {
    try {
      const effective = await effectiveParams(db, rule.id, regions, (raw) => rule.params.parse(raw));
      const params = new Map([...effective].map(([code, e]) => [code, e.params]));
      const input = await rule.gather(db, scope, params);
      const findings = rule.evaluate(input, params, scope);
      const { opened, updated } = await db.transaction((tx) =>
        recordFindings(tx, {
          runId: run.id,
          now: now(),
          ruleId: rule.id,
          ruleVersion: rule.version,
          findings,
          paramsVersion: (code) => effective.get(code)?.version ?? 'default',
          coveredRegions: regions,
        }),
      );
      outcome.alertsOpened += opened;
      outcome.alertsUpdated += updated;
    } catch (err) {
      outcome.failures.push({ rule: rule.id, message: err instanceof Error ? err.message : String(err) });
    }
  }
  return outcome;
}

/** Claims and executes queued runs until none is left; returns how many ran. */
export async function drainRuns(db: Db, now: () => Date, rules: readonly Rule[] = allRules): Promise<number> {
  let ran = 0;
  for (let run = await claimRun(db, now()); run; run = await claimRun(db, now())) {
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
    ran++;
  }
  return ran;
}

/** Polls for queued runs every `intervalMs` until stopped (the server runs one of these). */
export function startRunWorker(db: Db, now: () => Date, intervalMs = 1000): { stop(): Promise<void> } {
  let stopped = false;
  let busy: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    if (stopped) return;
    busy = busy.then(() => drainRuns(db, now)).catch((err: unknown) => console.error('check run worker:', err));
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await busy;
    },
  };
}
