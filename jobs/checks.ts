// Executing a check run: every rule over the run's villages as of its date, county by county.
// The run's villages are grouped by county (first 6 digits + '000000'); each county is one
// transaction (one consistent snapshot of that county; its spending and its county peers'
// computed once into a temporary table every rule reads), each rule in its own savepoint, so a
// rule that throws is recorded (once per rule and message) and the others carry on. Findings
// are recorded with `coveredRegions` = the county's villages of the run and the townships and
// county above them, so a county group marks gone only its own alerts. On PostgreSQL several
// workers check at once (`concurrency`, CHECKS_CONCURRENCY: each its own transaction on its own
// connection, so a run uses the server's cores): a county each, and when no county is left to
// start, a share of a county's rules that another worker has not reached yet. Node's memory is
// those counties' rows and findings at a time (flat in the number of counties) and no
// transaction spans more than a county. Rules comparing across county lines (duplicate-invoice
// follows invoice numbers and voucher images shared with the county's spending) still see other
// counties' entries; they only report findings of the county's own villages. A county
// whose transaction fails as a whole fails the run; the counties done before it stay recorded.
// The counties of a run are not one snapshot together: entries published while the run goes
// on are seen by the counties checked after (the next run sees them everywhere).
// On the embedded database the run holds its single connection per county (seconds each);
// PostgreSQL serves pages beside it.
import { sql } from 'drizzle-orm';
import { recordFindings } from '../db/alerts.ts';
import { claimRun, finishRun, type CheckRun } from '../db/checks.ts';
import { queryRows, type Db, type Executor } from '../db/client.ts';
import { codePrefix } from '../db/regions.ts';
import { effectiveParams } from '../db/thresholds.ts';
import { prepareSpending } from './rules/lib.ts';
import { rules as allRules } from './rules/index.ts';
import type { Rule, RuleScope } from './rules/rule.ts';

/** The villages of a run grouped by county, each with every region code above them (for parameters and regional findings). */
async function scopeOf(db: Executor, run: CheckRun): Promise<{ scope: RuleScope; regions: string[] }[]> {
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
  // county by county, each group's region being its county.
  const withinCounty = codePrefix(run.regionCode).length >= 6;
  return [...byCounty.keys()].sort().map((county) => {
    const list = byCounty.get(county)!.sort();
    const above = new Set<string>([county]);
    for (const v of list) above.add(`${v.slice(0, 9)}000`);
    return {
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

export interface RunOptions {
  /** Workers checking at once, each in its own transaction on its own connection (PostgreSQL;
   * the embedded database has one connection: 1). Default 1. */
  concurrency?: number;
}

export async function executeRun(
  db: Db,
  run: CheckRun,
  now: () => Date,
  rules: readonly Rule[] = allRules,
  options: RunOptions = {},
): Promise<RunOutcome> {
  const outcome: RunOutcome = { alertsOpened: 0, alertsUpdated: 0, failures: [] };
  const groups = await scopeOf(db, run);
  // Findings are recorded for a county's villages and the regions above them only, so a county
  // never marks gone an alert of another county (nor waits on another's alerts when both are
  // checked at once).
  /** A county being checked: the rules no worker has taken yet. */
  type Task = { group: (typeof groups)[number]; rulesLeft: Rule[] };
  // A worker checks a county in a transaction of its own: it prepares the county's spending,
  // then takes the county's rules one at a time until none is left.
  const checkCounty = async ({ group: { scope: plain, regions }, rulesLeft }: Task) => {
    await db.transaction(async (tx) => {
      // The rules sort and hash a county's spending (window functions over tens of thousands of
      // rows): with the default 4 MB they spill to disk. The setting ends with the transaction.
      await tx.execute(sql`set local work_mem = '64MB'`);
      const scope = await prepareSpending(tx, plain);
      for (let rule = rulesLeft.shift(); rule; rule = rulesLeft.shift()) {
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
  };
  // `concurrency` workers take the counties in code order. A worker with no county left to
  // start joins the county with the most rules not yet taken (when at least two are left; it
  // prepares its own copy of the spending), so a run over one or two large counties (an
  // incremental run) still uses every worker. A rule's findings are recorded per county and
  // rule, whichever worker runs it. After a county's transaction fails as a whole no worker
  // takes more work, and the run fails with the first such error.
  const waiting = groups.map((group): Task => ({ group, rulesLeft: [...rules] }));
  const started: Task[] = [];
  let failed: { error: unknown } | null = null;
  const nextTask = (): Task | undefined => {
    const fresh = waiting.shift();
    if (fresh) {
      started.push(fresh);
      return fresh;
    }
    const busiest = started.reduce<Task | undefined>((a, b) => (!a || b.rulesLeft.length > a.rulesLeft.length ? b : a), undefined);
    return busiest && busiest.rulesLeft.length >= 2 ? busiest : undefined;
  };
  const worker = async () => {
    for (let task = nextTask(); task && !failed; task = nextTask()) {
      try {
        await checkCounty(task);
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
export async function completeRun(
  db: Db,
  run: CheckRun,
  now: () => Date,
  rules: readonly Rule[] = allRules,
  options: RunOptions = {},
): Promise<RunOutcome> {
  const started = performance.now();
  let outcome: RunOutcome;
  try {
    outcome = await executeRun(db, run, now, rules, options);
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
