// Executing a check run: every rule over the run's villages as of its date, county by county.
// The run's villages are grouped by county (first 6 digits + '000000'). A county's spending and
// its county peers' is computed once (one consistent snapshot) into an unlogged table of the run
// that every rule of the county reads; the rules run in transactions of their own, each rule in
// its own savepoint, so a rule that throws is recorded (once per rule and message) and the others
// carry on. Findings are recorded with `coveredRegions` = the county's villages of the run and
// the townships and county above them, so a county group marks gone only its own alerts. On
// PostgreSQL several workers check at once (`concurrency`, CHECKS_CONCURRENCY: each its own
// transaction on its own connection, so a run uses the server's cores): a county each, and when
// no county is left to start, a share of the rules of a county another worker has prepared.
// Node's memory is those counties' findings at a time (flat in the number of counties) and no
// transaction spans more than a county. Rules comparing across county lines (duplicate-invoice
// follows invoice numbers and voucher images shared with the county's spending) still see other
// counties' entries; they only report findings of the county's own villages. A county that fails
// as a whole fails the run; the counties done before it stay recorded. The counties of a run are
// not one snapshot together: entries published while the run goes on are seen by the counties
// checked after (the next run sees them everywhere).
// On the embedded database the run holds its single connection per county (seconds each);
// PostgreSQL serves pages beside it.
import { sql } from 'drizzle-orm';
import { recordFindings } from '../db/alerts.ts';
import { claimRun, finishRun, type CheckRun } from '../db/checks.ts';
import { queryRows, type Db, type Executor } from '../db/client.ts';
import { codePrefix } from '../db/regions.ts';
import { effectiveParams } from '../db/thresholds.ts';
import { dropPreparedSpending, prepareSpending } from './rules/lib.ts';
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
  await dropStalePreparedTables(db);
  const groups = await scopeOf(db, run);
  // Findings are recorded for a county's villages and the regions above them only, so a county
  // never marks gone an alert of another county (nor waits on another's alerts when both are
  // checked at once).
  /** A county being checked: its spending (prepared once), the rules no worker has taken yet,
   * and how many workers are at it. */
  type Task = {
    group: (typeof groups)[number];
    table: string;
    prepared?: Promise<RuleScope>;
    rulesLeft: Rule[];
    workers: number;
  };
  const tables = new Set<string>();
  /** The counties being checked (a county leaves when its last worker is done). */
  const started: Task[] = [];
  // A county's spending is prepared once, committed, into an unlogged table of the run (its own
  // transaction: one consistent snapshot of the county), so that every worker that takes a share
  // of the county's rules reads the same rows without preparing them again. Each worker then
  // takes the county's rules one at a time, in a transaction of its own, until none is left; the
  // last worker out drops the table.
  const checkCounty = async (task: Task) => {
    const { scope: plain, regions } = task.group;
    task.workers++;
    try {
      task.prepared ??= db.transaction(async (tx) => {
        tables.add(task.table);
        return prepareSpending(tx, plain, task.table, true);
      });
      const scope = await task.prepared;
      await db.transaction(async (tx) => {
        // The rules sort and hash a county's spending (window functions over tens of thousands of
        // rows): with the default 4 MB they spill to disk. The setting ends with the transaction.
        await tx.execute(sql`set local work_mem = '64MB'`);
        for (let rule = task.rulesLeft.shift(); rule; rule = task.rulesLeft.shift()) {
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
    } finally {
      task.workers--;
      if (task.workers === 0 && !task.rulesLeft.length) {
        // The county is done: let go of what its rules shared (a county's monthly totals) and of
        // its table, so memory stays that of the counties being checked.
        started.splice(started.indexOf(task), 1);
        delete task.prepared;
        if (tables.delete(task.table)) await dropPreparedSpending(db, task.table);
      }
    }
  };
  // `concurrency` workers take the counties in code order. A worker with no county left to
  // start joins the county with the most rules not yet taken, so a run over one or two counties
  // (an incremental run) still uses every worker. A rule's findings are recorded per county and
  // rule, whichever worker runs it. After a county fails as a whole (its spending could not be
  // prepared, or its transaction failed) no worker takes more work, and the run fails with the
  // first such error.
  const ordered = [...rules].sort((a, b) => costRank(a.id) - costRank(b.id));
  const waiting = groups.map((group): Task => ({ group, table: preparedTableName(run.id, group.scope.villages[0]!), rulesLeft: [...ordered], workers: 0 }));
  let failed: { error: unknown } | null = null;
  const nextTask = (): Task | undefined => {
    const fresh = waiting.shift();
    if (fresh) {
      started.push(fresh);
      return fresh;
    }
    const busiest = started.reduce<Task | undefined>((a, b) => (!a || b.rulesLeft.length > a.rulesLeft.length ? b : a), undefined);
    return busiest && busiest.rulesLeft.length > 0 ? busiest : undefined;
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
  try {
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 1) }, worker));
  } finally {
    // The tables of counties that failed (the others are dropped as they finish).
    for (const table of tables) await dropPreparedSpending(db, table);
  }
  if (failed) throw (failed as { error: unknown }).error;
  outcome.failures.sort((a, b) => (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0));
  return outcome;
}

/**
 * The rules from the costliest to the cheapest (measured with bench:checks), so the workers
 * sharing a county end on short rules rather than one waiting for the other's long one. Rules
 * not named go last, in their order. Findings do not depend on the order.
 */
const COSTLIEST_FIRST = [
  'peer-outlier',
  'history-spike',
  'split-payment',
  'duplicate-payment',
  'related-party',
  'benford',
  'single-expense-cap',
  'cash-over-limit',
  'near-threshold',
  'round-amounts',
  'period-cap',
  'duplicate-invoice',
  'large-expense-no-decision',
  'publication-overdue',
  'missing-voucher',
];
const costRank = (ruleId: string) => {
  const rank = COSTLIEST_FIRST.indexOf(ruleId);
  return rank < 0 ? COSTLIEST_FIRST.length : rank;
};

/** The unlogged table of a run's county spending: `check_spend_<run id without dashes>_<county>`. */
const PREPARED_PREFIX = 'check_spend_';
const preparedTableName = (runId: string, village: string) => `${PREPARED_PREFIX}${runId.replaceAll('-', '')}_${village.slice(0, 6)}`;

/**
 * Drops the prepared tables of runs no longer running (a process that died mid-run leaves its
 * tables; a run taken over after its lease expired prepares its own again under the same names).
 */
async function dropStalePreparedTables(db: Db): Promise<void> {
  const stale = await queryRows<{ name: string }>(
    db,
    sql`select c.relname as name
          from pg_class c
          join pg_namespace n on n.oid = c.relnamespace and n.nspname = current_schema()
         where c.relkind = 'r' and c.relname ~ ${`^${PREPARED_PREFIX}[0-9a-f]{32}_[0-9]{6}$`}
           and not exists (select 1 from check_runs r
                            where r.status = 'running' and replace(r.id::text, '-', '') = substr(c.relname, ${PREPARED_PREFIX.length + 1}, 32))`,
  );
  for (const { name } of stale) await dropPreparedSpending(db, name);
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
