// Executing a check run: every rule over the run's villages as of its date, county by county.
// The run's villages are grouped by county (first 6 digits + '000000'); each county is one
// transaction (one consistent snapshot of that county; its spending and its county peers'
// computed once into a temporary table every rule reads), each rule in its own savepoint, so a
// rule that throws is recorded (once per rule and message) and the others carry on. Findings
// are recorded with `coveredRegions` = the county's villages of the run and the townships and
// county above them, so a county group marks gone only its own alerts. Node's memory is one
// county's rows and findings at a time (flat in the number of counties) and no transaction
// spans more than a county. Rules comparing across county lines (duplicate-invoice looks up the
// whole ledger for invoice numbers and voucher images shared with the county's spending) still
// see other counties' entries; they only report findings of the county's own villages. A county
// whose transaction fails as a whole fails the run; the counties done before it stay recorded.
// The counties of a run are not one snapshot together: entries published while the run goes
// on are seen by the counties checked after (the next run sees them everywhere).
// On the embedded database the run holds its single connection per county (seconds each);
// PostgreSQL serves pages beside it.
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

/** The villages of a run grouped by county, each with every region code above them (for parameters and regional findings). */
async function scopeOf(db: Executor, run: CheckRun): Promise<{ county: string; scope: RuleScope; regions: string[] }[]> {
  const villages = run.villages?.length
    ? run.villages
    : (
        await rows<{ code: string }>(
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
  // county by county, each group's region being its county.
  const withinCounty = codePrefix(run.regionCode).length >= 6;
  return [...byCounty.keys()].sort().map((county) => {
    const list = byCounty.get(county)!.sort();
    const above = new Set<string>([county]);
    for (const v of list) above.add(`${v.slice(0, 9)}000`);
    return {
      county,
      scope: { region: withinCounty ? run.regionCode : county, villages: list, asOf: run.asOf },
      regions: [...list, ...above],
    };
  });
}

export interface RunOutcome {
  alertsOpened: number;
  alertsUpdated: number;
  failures: { rule: string; message: string }[];
}

export async function executeRun(db: Db, run: CheckRun, now: () => Date, rules: readonly Rule[] = allRules): Promise<RunOutcome> {
  const outcome: RunOutcome = { alertsOpened: 0, alertsUpdated: 0, failures: [] };
  // County by county: one transaction per county (its spending, with its county peers, computed
  // once into a temporary table every rule reads), each rule in its own savepoint, so a rule that
  // throws is recorded and the others carry on. Findings are recorded for the county's villages
  // and the regions above them only, so a county never marks gone an alert of another county.
  for (const { scope: plain, regions } of await scopeOf(db, run)) {
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
          const message = err instanceof Error ? err.message : String(err);
          // The same failure in several counties is reported once.
          if (!outcome.failures.some((f) => f.rule === rule.id && f.message === message)) outcome.failures.push({ rule: rule.id, message });
        }
      }
    });
  }
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
