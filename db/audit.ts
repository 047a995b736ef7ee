// The audit log and the context every domain operation runs in.
import type { Executor, Db } from './client.ts';
import type { Role } from './schema.ts';
import { auditLog } from './schema.ts';

/** Who is acting: a signed-in staff member, or the system itself (start-up, demo load, schedules). */
export type Actor =
  | { kind: 'user'; id: string; username: string; displayName: string; role: Role; scope: string }
  | { kind: 'system'; name: string };

export const systemActor = (name = 'system'): Actor => ({ kind: 'system', name });

/** What every domain operation receives besides its input: `({ db, actor, now, input })`. */
export interface Ctx {
  db: Db;
  actor: Actor;
  now: Date;
  requestId?: string;
}

export interface AuditRecord {
  action: string;
  entity: string;
  entityId: string | null;
  before: unknown;
  after: unknown;
}

/** Writes audit rows inside the caller's transaction, so the change and its record commit together. */
export async function writeAudit(tx: Executor, ctx: Omit<Ctx, 'db'>, records: AuditRecord[]): Promise<void> {
  if (!records.length) return;
  const { actor } = ctx;
  const rows = records.map((r) => ({
    at: ctx.now,
    actorId: actor.kind === 'user' ? actor.id : null,
    actorName: actor.kind === 'user' ? actor.username : actor.name,
    action: r.action,
    entity: r.entity,
    entityId: r.entityId,
    before: r.before ?? null,
    after: r.after ?? null,
    requestId: ctx.requestId ?? null,
  }));
  for (let i = 0; i < rows.length; i += 1000) {
    await tx.insert(auditLog).values(rows.slice(i, i + 1000));
  }
}
