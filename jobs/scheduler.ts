// The scheduler: pg-boss queues in the portal's own database (PostgreSQL, or the embedded PGlite
// through pg-boss's PGlite adapter), so every server process on one database shares them and a
// job runs once however many processes there are.
//
//   check-run       one job per queued check run; the job's id is the run's id, sent in the
//                   transaction that queued the run (API, staff page, publication), so the run and
//                   its job commit together and a second send of one run is a no-op.
//   checks-nightly  cron (CHECKS_SCHEDULE, Asia/Shanghai): queues a full run per county.
//   alerts-digest   cron (DIGEST_SCHEDULE): the daily digest of the day before.
//   housekeeping    every 10 minutes: re-sends notifications that failed, and hands queued runs
//                   that lost their job (queued before a crash, or by a tool) to the queue.
import { sql } from 'drizzle-orm';
import { fromDrizzle, fromPglite, PgBoss, type DrizzleTransactionLike, type Job } from 'pg-boss';
import { systemActor } from '../db/audit.ts';
import { claimRunById, queueScheduledRuns, strandedRuns, type RunDispatcher } from '../db/checks.ts';
import type { Database, Executor } from '../db/client.ts';
import { todayOf } from '../db/ledger/periods.ts';
import { completeRun } from './checks.ts';

export const TIME_ZONE = 'Asia/Shanghai';
const RUN_QUEUE = 'check-run';
const NIGHTLY_QUEUE = 'checks-nightly';
const DIGEST_QUEUE = 'alerts-digest';
const HOUSEKEEPING_QUEUE = 'housekeeping';
/** A run may take this long before another worker may take it over (its worker is presumed dead). */
const RUN_EXPIRY_SECONDS = 3 * 60 * 60;

/** What the scheduler tells people (jobs/notify.ts schedulerNotifier). With neither e-mail nor a
 * webhook configured it still marks new alerts handled, so they are not all news later. */
export interface Notifier {
  /** New high-severity alerts now; failed sends again. */
  alerts(): Promise<void>;
  /** The digest of `day` (YYYY-MM-DD, Asia/Shanghai). */
  digest(day: string): Promise<void>;
}

export interface SchedulerOptions {
  database: Database;
  now: () => Date;
  /** Cron of the nightly full run, or null for none. */
  checksSchedule: string | null;
  /** Counties a run checks at once on PostgreSQL (default 1; the embedded database: always 1). */
  checksConcurrency?: number;
  /** Cron of the daily digest, or null for none. */
  digestSchedule: string | null;
  notifier: Notifier;
  log?: (line: string) => void;
  /** Seconds between a worker's polls for new jobs. */
  pollingIntervalSeconds?: number;
}

export interface Scheduler {
  /** Sends a queued run's job inside the caller's transaction. */
  dispatch: RunDispatcher;
  stop(): Promise<void>;
}

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

export async function startScheduler(options: SchedulerOptions): Promise<Scheduler> {
  const { database, now } = options;
  const log = options.log ?? console.log;
  const raw = database.raw;
  const boss =
    raw.kind === 'pglite'
      ? new PgBoss({ db: fromPglite(raw.client), backend: 'pglite', schema: 'pgboss' })
      : new PgBoss({ connectionString: raw.url, max: 3, schema: 'pgboss', application_name: 'yangguang-cunwu-jobs' });
  boss.on('error', (err) => console.error('调度出错 (scheduler error):', errorText(err)));
  await boss.start();

  await boss.createQueue(RUN_QUEUE, { expireInSeconds: RUN_EXPIRY_SECONDS, retryLimit: 2, retryDelay: 30 });
  for (const name of [NIGHTLY_QUEUE, DIGEST_QUEUE, HOUSEKEEPING_QUEUE]) {
    await boss.createQueue(name, { expireInSeconds: 60 * 60, retryLimit: 2, retryDelay: 60 });
  }

  const dispatch: RunDispatcher = async (tx: Executor, runId: string) => {
    // Drizzle's execute() resolves to the driver's result (rows, or { rows }), which the adapter unwraps.
    await boss.send(RUN_QUEUE, { runId }, { id: runId, db: fromDrizzle(tx as unknown as DrizzleTransactionLike, sql) });
  };

  const notify = async () => {
    try {
      await options.notifier.alerts();
    } catch (err) {
      console.error('通知发送失败 (notifications failed):', errorText(err));
    }
  };

  const polling = { pollingIntervalSeconds: options.pollingIntervalSeconds ?? 2, batchSize: 1 };
  // The cron queues get a job a few times a day: polling them rarely keeps an idle embedded
  // database (whose queries run on the server's own thread) free for pages.
  const rarely = { pollingIntervalSeconds: 30, batchSize: 1 };
  await boss.work<{ runId: string }>(RUN_QUEUE, polling, async ([job]: Job<{ runId: string }>[]) => {
    const run = await claimRunById(database.db, job!.data.runId, now(), RUN_EXPIRY_SECONDS * 1000);
    // Null: finished already, or taken by another worker — nothing to do for this job.
    if (!run) return;
    const outcome = await completeRun(database.db, run, now, undefined, {
      concurrency: database.kind === 'postgres' ? (options.checksConcurrency ?? 1) : 1,
    });
    log(
      `检查运行 ${run.id} (${run.trigger}, ${run.kind}, ${run.regionCode}) 完成：新预警 ${outcome.alertsOpened}，更新 ${outcome.alertsUpdated}` +
        (outcome.failures.length ? `，规则出错 ${outcome.failures.map((f) => f.rule).join('、')}` : ''),
    );
    await notify();
  });

  await boss.work(NIGHTLY_QUEUE, rarely, async ([job]) => {
    const ids = await queueScheduledRuns({ db: database.db, now: now(), actor: systemActor('schedule'), dispatch, input: { occurrence: job!.id } });
    log(`定时检查：已排队 ${ids.length} 个县的全面检查 (nightly check queued)`);
  });

  await boss.work(DIGEST_QUEUE, rarely, async () => {
    // The digest runs in the morning and covers the day before.
    const yesterday = todayOf(new Date(now().getTime() - 24 * 60 * 60 * 1000));
    await options.notifier.digest(yesterday);
  });

  await boss.work(HOUSEKEEPING_QUEUE, rarely, async () => {
    await handOverStranded();
    await notify();
  });

  /** Queued runs older than a minute without a job get one (sending an existing job id is a no-op). */
  async function handOverStranded() {
    const ids = await strandedRuns(database.db, new Date(now().getTime() - 60_000));
    for (const runId of ids) await boss.send(RUN_QUEUE, { runId }, { id: runId });
  }

  const schedules: [string, string | null][] = [
    [NIGHTLY_QUEUE, options.checksSchedule],
    [DIGEST_QUEUE, options.digestSchedule],
    [HOUSEKEEPING_QUEUE, '*/10 * * * *'],
  ];
  for (const [name, cron] of schedules) {
    if (cron) await boss.schedule(name, cron, null, { tz: TIME_ZONE });
    else await boss.unschedule(name);
  }
  await handOverStranded();

  return {
    dispatch,
    async stop() {
      await boss.stop({ graceful: true, timeout: 20_000, close: true });
    },
  };
}
