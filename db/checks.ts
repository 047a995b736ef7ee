// Check runs: queued by the API or the schedule, claimed by exactly one worker (row lock with
// SKIP LOCKED, so several server processes never run the same run twice), and finished with
// their counts and any rule failures.
import { createHash, randomUUID } from 'node:crypto';
import { and, desc, eq, inArray, lt, or, sql } from 'drizzle-orm';
import { writeAudit, type Ctx } from './audit.ts';
import type { Db, Executor } from './client.ts';
import { DomainError } from './errors.ts';
import { todayOf } from './ledger/periods.ts';
import { codePrefix, getRegion, inScope, NATIONWIDE, parentCode } from './regions.ts';
import { checkRuns, regions } from './schema.ts';

export type CheckRun = typeof checkRuns.$inferSelect;
export type RunTrigger = CheckRun['trigger'];

/**
 * Hands a queued run to the job queue inside the transaction that queued it, so the run and its
 * job commit together (jobs/scheduler.ts sends a pg-boss job whose id is the run's id). Without a
 * dispatcher a run stays queued until something drains the table (tests, `drainRuns`).
 */
export type RunDispatcher = (tx: Executor, runId: string) => Promise<void>;

/** Inserts a queued run (and its audit row) in the caller's transaction; dispatches it if it can. */
export async function insertRun(
  tx: Executor,
  ctx: Omit<Ctx, 'db'> & { dispatch?: RunDispatcher | undefined },
  run: {
    /** A caller that may ask twice for the same run (a retried scheduled job) passes a stable id. */
    id?: string;
    kind: 'full' | 'incremental';
    trigger: RunTrigger;
    regionCode: string;
    villages: string[] | null;
    asOf: string;
  },
): Promise<string> {
  const id = run.id ?? randomUUID();
  const row = {
    ...run,
    id,
    status: 'queued' as const,
    requestedBy: ctx.actor.kind === 'user' ? ctx.actor.id : null,
    queuedAt: ctx.now,
  };
  const inserted = await tx.insert(checkRuns).values(row).onConflictDoNothing().returning({ id: checkRuns.id });
  if (!inserted.length) return id;
  await writeAudit(tx, ctx, [{ action: 'check_run.queue', entity: 'check_run', entityId: id, before: null, after: row }]);
  await ctx.dispatch?.(tx, id);
  return id;
}

/** POST /checks/runs: queues a run over a region (default: the caller's scope) as of a date (default: today). */
export async function queueRun(
  ctx: Ctx & {
    dispatch?: RunDispatcher | undefined;
    trigger?: RunTrigger;
    input: { region?: string | undefined; asOf?: string | undefined; villages?: string[] | undefined; kind?: 'full' | 'incremental' };
  },
): Promise<{ runId: string }> {
  const region = ctx.input.region ?? (ctx.actor.kind === 'user' ? ctx.actor.scope : undefined);
  if (!region) throw new DomainError('invalid', 'region_required', '请指定要检查的区划');
  if (ctx.actor.kind === 'user' && !inScope(ctx.actor.scope, region)) {
    throw new DomainError('forbidden', 'out_of_scope', `无权检查本辖区以外的区划：${region}`);
  }
  const asOf = ctx.input.asOf ?? todayOf(ctx.now);
  return ctx.db.transaction(async (tx) => {
    if (region !== '000000000000' && !(await getRegion(tx, region))) throw new DomainError('not_found', 'region_unknown', `没有这个区划：${region}`);
    const villages = ctx.input.villages ?? null;
    const runId = await insertRun(tx, ctx, {
      kind: ctx.input.kind ?? (villages ? 'incremental' : 'full'),
      trigger: ctx.trigger ?? 'api',
      regionCode: region,
      villages,
      asOf,
    });
    return { runId };
  });
}

export async function getRun(db: Executor, id: string): Promise<CheckRun | null> {
  const [row] = await db.select().from(checkRuns).where(eq(checkRuns.id, id));
  return row ?? null;
}

/**
 * Claims one run by id for the worker that received its job: a queued run, or one left running
 * longer than `staleAfterMs` by a worker that died. Null when another worker has it or it is over.
 */
export async function claimRunById(db: Executor, id: string, now: Date, staleAfterMs: number): Promise<CheckRun | null> {
  const stale = new Date(now.getTime() - staleAfterMs);
  const [run] = await db
    .update(checkRuns)
    .set({ status: 'running', startedAt: now })
    .where(and(eq(checkRuns.id, id), or(eq(checkRuns.status, 'queued'), and(eq(checkRuns.status, 'running'), lt(checkRuns.startedAt, stale)))))
    .returning();
  return run ?? null;
}

/** Queued runs that are older than `before` (a job queue that lost them, or runs queued without one). */
export async function strandedRuns(db: Executor, before: Date): Promise<string[]> {
  const rows = await db
    .select({ id: checkRuns.id })
    .from(checkRuns)
    .where(and(eq(checkRuns.status, 'queued'), lt(checkRuns.queuedAt, before)));
  return rows.map((r) => r.id);
}

/** Claims the oldest queued run for this worker, or null; concurrent workers skip each other's. */
export async function claimRun(db: Db, now: Date): Promise<CheckRun | null> {
  return db.transaction(async (tx) => {
    const result = (await tx.execute(sql`
      select id from check_runs where status = 'queued' order by queued_at limit 1 for update skip locked`)) as unknown as
      | { rows?: { id: string }[] }
      | { id: string }[];
    const id = (Array.isArray(result) ? result : (result.rows ?? []))[0]?.id;
    if (!id) return null;
    const [run] = await tx.update(checkRuns).set({ status: 'running', startedAt: now }).where(eq(checkRuns.id, id)).returning();
    return run ?? null;
  });
}

export async function finishRun(
  db: Executor,
  id: string,
  result: { status: 'done' | 'failed'; finishedAt: Date; alertsOpened: number; alertsUpdated: number; durationMs: number; failures: { rule: string; message: string }[] },
) {
  await db.update(checkRuns).set(result).where(eq(checkRuns.id, id));
}

/** A stable UUID from a text key (so a retried request maps to the same run). */
function uuidFromKey(key: string): string {
  const h = createHash('sha256').update(key).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)}${h.slice(18, 20)}-${h.slice(20, 32)}`;
}

/**
 * The nightly full check: one run per county (a unit one worker can finish), as of today.
 * `occurrence` names the schedule's occurrence (the job's id): asking twice for one occurrence
 * — a retried job — queues nothing twice.
 */
export async function queueScheduledRuns(ctx: Ctx & { dispatch?: RunDispatcher | undefined; input: { occurrence: string } }): Promise<string[]> {
  const asOf = todayOf(ctx.now);
  return ctx.db.transaction(async (tx) => {
    const counties = await tx.select({ code: regions.code }).from(regions).where(eq(regions.level, 'county')).orderBy(regions.code);
    const ids: string[] = [];
    for (const { code } of counties) {
      ids.push(
        await insertRun(tx, ctx, {
          id: uuidFromKey(`schedule|${ctx.input.occurrence}|${code}`),
          kind: 'full',
          trigger: 'schedule',
          regionCode: code,
          villages: null,
          asOf,
        }),
      );
    }
    return ids;
  });
}

/** The latest runs over regions within `scope` or covering it (a county's run covers its townships), newest first. */
export async function recentRuns(db: Executor, scope: string, limit = 5): Promise<CheckRun[]> {
  const covering = [NATIONWIDE];
  for (let p: string | null = scope; p; p = parentCode(p)) covering.push(p);
  return db
    .select()
    .from(checkRuns)
    .where(or(sql`${checkRuns.regionCode} like ${`${codePrefix(scope)}%`}`, inArray(checkRuns.regionCode, covering)))
    .orderBy(desc(checkRuns.queuedAt))
    .limit(limit);
}
