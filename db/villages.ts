// A village's registers besides the ledger: officials and their duties, the opening balance,
// and decisions (决议) with their 四议两公开 steps.
import { randomUUID } from 'node:crypto';
import { and, asc, eq, sql } from 'drizzle-orm';
import { writeAudit, type Ctx } from './audit.ts';
import type { Executor } from './client.ts';
import { DomainError } from './errors.ts';
import { getRegion } from './regions.ts';
import { decisions, decisionSteps, decisionStepKinds, officials, openingBalances, publications } from './schema.ts';

export type DecisionStepKind = (typeof decisionStepKinds)[number];

/** The village, or a 404-kind error when the code is not a stored village. */
export async function requireVillage(db: Executor, code: string) {
  const region = await getRegion(db, code);
  if (!region || region.level !== 'village') {
    throw new DomainError('not_found', 'village_unknown', `没有这个村：${code}`);
  }
  return region;
}

export interface OfficialInput {
  name: string;
  post: string;
  duties: string;
}

/** PUT officials: replaces the village's list of officials (in the given order). */
export async function replaceOfficials(ctx: Ctx & { input: { villageCode: string; officials: OfficialInput[] } }) {
  const { villageCode } = ctx.input;
  return ctx.db.transaction(async (tx) => {
    await requireVillage(tx, villageCode);
    const before = await tx.select().from(officials).where(eq(officials.villageCode, villageCode)).orderBy(asc(officials.position));
    await tx.delete(officials).where(eq(officials.villageCode, villageCode));
    const rows = ctx.input.officials.map((o, i) => ({
      id: randomUUID(),
      villageCode,
      position: i + 1,
      name: o.name.trim(),
      post: o.post.trim(),
      duties: o.duties.trim(),
    }));
    if (rows.length) await tx.insert(officials).values(rows);
    const strip = (list: { name: string; post: string; duties: string }[]) => list.map(({ name, post, duties }) => ({ name, post, duties }));
    await writeAudit(tx, ctx, [
      { action: 'officials.replace', entity: 'village', entityId: villageCode, before: strip(before), after: strip(rows) },
    ]);
    return { officials: rows.length };
  });
}

export async function listOfficials(db: Executor, villageCode: string) {
  return db.select().from(officials).where(eq(officials.villageCode, villageCode)).orderBy(asc(officials.position));
}

/** PUT opening-balance: the balance before the first period. Fixed once a period is published. */
export async function setOpeningBalance(ctx: Ctx & { input: { villageCode: string; date: string; amountFen: number } }) {
  const { villageCode, date, amountFen } = ctx.input;
  return ctx.db.transaction(async (tx) => {
    await requireVillage(tx, villageCode);
    const [published] = await tx
      .select({ period: publications.period })
      .from(publications)
      .where(eq(publications.villageCode, villageCode))
      .limit(1);
    const [before] = await tx.select().from(openingBalances).where(eq(openingBalances.villageCode, villageCode));
    if (published && (before?.date !== date || before?.amountFen !== amountFen)) {
      throw new DomainError('conflict', 'opening_balance_fixed', '已有公开的账期，期初余额不能再修改；请用冲销分录更正');
    }
    const row = { villageCode, date, amountFen, updatedAt: ctx.now };
    await tx
      .insert(openingBalances)
      .values(row)
      .onConflictDoUpdate({ target: openingBalances.villageCode, set: { date, amountFen, updatedAt: ctx.now } });
    await writeAudit(tx, ctx, [
      {
        action: 'opening_balance.set',
        entity: 'village',
        entityId: villageCode,
        before: before ? { date: before.date, amountFen: before.amountFen } : null,
        after: { date, amountFen },
      },
    ]);
    return { date, amountFen };
  });
}

export async function getOpeningBalance(db: Executor, villageCode: string) {
  const [row] = await db.select().from(openingBalances).where(eq(openingBalances.villageCode, villageCode));
  return row ?? null;
}

export interface DecisionStepInput {
  kind: DecisionStepKind;
  date: string;
  attendance?: number | undefined;
  votesFor?: number | undefined;
  votesAgainst?: number | undefined;
  votesAbstain?: number | undefined;
  note?: string | undefined;
}

export interface DecisionInput {
  ref: string;
  title: string;
  decidedOn: string;
  amountFen?: number | undefined;
  steps?: DecisionStepInput[] | undefined;
}

function checkSteps(steps: DecisionStepInput[]) {
  const kinds = new Set<string>();
  for (const s of steps) {
    if (kinds.has(s.kind)) throw new DomainError('invalid', 'decision_step_duplicate', `决议步骤重复：${s.kind}`);
    kinds.add(s.kind);
    const votes = (s.votesFor ?? 0) + (s.votesAgainst ?? 0) + (s.votesAbstain ?? 0);
    if (s.attendance !== undefined && votes > s.attendance) {
      throw new DomainError('invalid', 'decision_votes', `表决票数（${votes}）超过到会人数（${s.attendance}）`);
    }
  }
  // 四议两公开 runs in order: a later step may not be dated before an earlier one.
  const ordered = decisionStepKinds.flatMap((k) => steps.filter((s) => s.kind === k));
  for (let i = 1; i < ordered.length; i++) {
    if (ordered[i]!.date < ordered[i - 1]!.date) {
      throw new DomainError('invalid', 'decision_step_order', `决议步骤的日期顺序不对：${ordered[i]!.kind} 早于 ${ordered[i - 1]!.kind}`);
    }
  }
}

/** POST decisions: registers a decision (and its steps) for the village; refs are unique per village. */
export async function createDecision(ctx: Ctx & { input: { villageCode: string; decision: DecisionInput } }) {
  const { villageCode, decision } = ctx.input;
  const steps = decision.steps ?? [];
  checkSteps(steps);
  return ctx.db.transaction(async (tx) => {
    await requireVillage(tx, villageCode);
    const [taken] = await tx
      .select({ id: decisions.id })
      .from(decisions)
      .where(and(eq(decisions.villageCode, villageCode), eq(decisions.ref, decision.ref)));
    if (taken) throw new DomainError('conflict', 'decision_exists', `决议编号已存在：${decision.ref}`);
    const id = randomUUID();
    const row = {
      id,
      villageCode,
      ref: decision.ref.trim(),
      title: decision.title.trim(),
      decidedOn: decision.decidedOn,
      amountFen: decision.amountFen ?? null,
      createdAt: ctx.now,
    };
    await tx.insert(decisions).values(row);
    if (steps.length) {
      await tx.insert(decisionSteps).values(
        steps.map((s) => ({
          decisionId: id,
          kind: s.kind,
          date: s.date,
          attendance: s.attendance ?? null,
          votesFor: s.votesFor ?? null,
          votesAgainst: s.votesAgainst ?? null,
          votesAbstain: s.votesAbstain ?? null,
          note: s.note ?? null,
        })),
      );
    }
    await writeAudit(tx, ctx, [{ action: 'decision.create', entity: 'decision', entityId: id, before: null, after: { ...row, steps } }]);
    return { id };
  });
}

export async function listDecisions(db: Executor, villageCode: string) {
  const rows = await db.select().from(decisions).where(eq(decisions.villageCode, villageCode)).orderBy(asc(decisions.decidedOn));
  const steps = rows.length
    ? await db
        .select()
        .from(decisionSteps)
        .where(sql`${decisionSteps.decisionId} in (select id from decisions where village_code = ${villageCode})`)
    : [];
  return rows.map((d) => ({
    ...d,
    steps: decisionStepKinds.flatMap((k) => steps.filter((s) => s.decisionId === d.id && s.kind === k)),
  }));
}
