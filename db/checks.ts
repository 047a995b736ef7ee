// Check runs: queued by the API or the schedule, claimed by exactly one worker (row lock with
// SKIP LOCKED, so several server processes never run the same run twice), and finished with
// their counts and any rule failures.
import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { writeAudit, type Ctx } from './audit.ts';
import type { Db, Executor } from './client.ts';
import { DomainError } from './errors.ts';
import { todayOf } from './ledger/periods.ts';
import { getRegion, inScope } from './regions.ts';
import { checkRuns } from './schema.ts';

export type CheckRun = typeof checkRuns.$inferSelect;

/** POST /checks/runs: queues a run over a region (default: the caller's scope) as of a date (default: today). */
export async function queueRun(
  ctx: Ctx & { input: { region?: string | undefined; asOf?: string | undefined; villages?: string[] | undefined; kind?: 'full' | 'incremental' } },
): Promise<{ runId: string }> {
  const region = ctx.input.region ?? (ctx.actor.kind === 'user' ? ctx.actor.scope : undefined);
  if (!region) throw new DomainError('invalid', 'region_required', '请指定要检查的区划');
  if (ctx.actor.kind === 'user' && !inScope(ctx.actor.scope, region)) {
    throw new DomainError('forbidden', 'out_of_scope', `无权检查本辖区以外的区划：${region}`);
  }
  const asOf = ctx.input.asOf ?? todayOf(ctx.now);
  return ctx.db.transaction(async (tx) => {
    if (region !== '000000000000' && !(await getRegion(tx, region))) throw new DomainError('not_found', 'region_unknown', `没有这个区划：${region}`);
    const id = randomUUID();
    const row = {
      id,
      kind: ctx.input.kind ?? 'full',
      status: 'queued' as const,
      regionCode: region,
      villages: ctx.input.villages ?? null,
      asOf,
      requestedBy: ctx.actor.kind === 'user' ? ctx.actor.id : null,
      queuedAt: ctx.now,
    };
    await tx.insert(checkRuns).values(row);
    await writeAudit(tx, ctx, [{ action: 'check_run.queue', entity: 'check_run', entityId: id, before: null, after: row }]);
    return { runId: id };
  });
}

export async function getRun(db: Executor, id: string): Promise<CheckRun | null> {
  const [row] = await db.select().from(checkRuns).where(eq(checkRuns.id, id));
  return row ?? null;
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
