// Publication (公开): a village's draft period becomes immutable, its entries are appended to
// the village's log, and a signed checkpoint records the tree after it.
import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import { writeAudit, type Ctx } from '../audit.ts';
import type { Executor, Tx } from '../client.ts';
import { insertRun, type RunDispatcher } from '../checks.ts';
import { DomainError } from '../errors.ts';
import { rootFromLeafHashes } from '../merkle.ts';
import { entryVouchers, ledgerEntries, openingBalances, publications, regions } from '../schema.ts';
import { requireVillage } from '../villages.ts';
import { logOrigin, signCheckpoint, type LogSigner } from './checkpoint.ts';
import { hashLeaf, publicLeaf, type LeafSource } from './leaf.ts';
import { firstDayOf, periodOf, requirePeriod, todayOf } from './periods.ts';

export type PublishInput = { villageCode: string } & ({ period: string; through?: undefined } | { through: string; period?: undefined });

export interface PublishedPeriod {
  period: string;
  entries: number;
  root: string;
}

type EntryRow = typeof ledgerEntries.$inferSelect;

/** The leaf sources of entries, with their vouchers' hashes in page order. */
export async function leafSources(db: Executor, entries: EntryRow[]): Promise<LeafSource[]> {
  const ids = entries.map((e) => e.id);
  const links = ids.length
    ? await db
        .select({ entryId: entryVouchers.entryId, sha: entryVouchers.voucherSha256 })
        .from(entryVouchers)
        .where(inArray(entryVouchers.entryId, ids))
        .orderBy(asc(entryVouchers.entryId), asc(entryVouchers.page))
    : [];
  const byEntry = new Map<string, string[]>();
  for (const l of links) byEntry.set(l.entryId, [...(byEntry.get(l.entryId) ?? []), l.sha]);
  return entries.map((e) => ({ ...e, voucherHashes: byEntry.get(e.id) ?? [] }));
}

async function publishOne(
  tx: Tx,
  ctx: Ctx & { signer: LogSigner },
  villageCode: string,
  period: string,
  leaves: Buffer[],
  openingFen: number,
) {
  const entries = await tx
    .select()
    .from(ledgerEntries)
    .where(and(eq(ledgerEntries.villageCode, villageCode), eq(ledgerEntries.period, period), eq(ledgerEntries.status, 'draft')))
    .orderBy(asc(ledgerEntries.date), asc(ledgerEntries.voucherNo), asc(ledgerEntries.id));
  const sources = await leafSources(tx, entries);
  const publicationId = crypto.randomUUID();
  const updates = sources.map((s) => {
    const hash = hashLeaf(publicLeaf(s));
    leaves.push(hash);
    return { id: s.id, leaf_index: leaves.length - 1, leaf_hash: hash.toString('hex') };
  });
  for (let i = 0; i < updates.length; i += 5000) {
    await tx.execute(sql`
      update ledger_entries e
         set status = 'published', leaf_index = x.leaf_index, leaf_hash = x.leaf_hash, publication_id = ${publicationId}
        from json_to_recordset(${JSON.stringify(updates.slice(i, i + 5000))}::json) as x(id uuid, leaf_index int, leaf_hash text)
       where e.id = x.id`);
  }
  const incomeFen = entries.filter((e) => e.direction === 'income').reduce((s, e) => s + e.amountFen, 0);
  const expenseFen = entries.filter((e) => e.direction === 'expense').reduce((s, e) => s + e.amountFen, 0);
  const closingFen = openingFen + incomeFen - expenseFen;
  const root = rootFromLeafHashes(leaves);
  const checkpoint = signCheckpoint(ctx.signer, { origin: logOrigin(villageCode), treeSize: leaves.length, rootHash: root });
  const row = {
    id: publicationId,
    villageCode,
    period,
    entryCount: entries.length,
    incomeFen,
    expenseFen,
    openingFen,
    closingFen,
    treeSize: leaves.length,
    rootHash: root.toString('hex'),
    checkpoint,
    publishedAt: ctx.now,
    publishedBy: ctx.actor.kind === 'user' ? ctx.actor.id : null,
  };
  await tx.insert(publications).values(row);
  const { checkpoint: _c, ...audited } = row;
  await writeAudit(tx, ctx, [{ action: 'period.publish', entity: 'publication', entityId: publicationId, before: null, after: audited }]);
  return { period, entries: entries.length, root: row.rootHash, closingFen };
}

/** POST publications: publishes one draft period, or every draft period through a given one, in order. */
/**
 * Publishes a period (or every draft period through one). With a run dispatcher (the server's job
 * queue), the same transaction queues an incremental check run of the village, so its new
 * entries are checked soon after they are public.
 */
export async function publish(
  ctx: Ctx & { signer: LogSigner; dispatch?: RunDispatcher | undefined; input: PublishInput },
): Promise<{ periods: PublishedPeriod[] }> {
  const { villageCode } = ctx.input;
  const target = requirePeriod(ctx.input.period ?? ctx.input.through!);
  if (target > periodOf(ctx.now)) {
    throw new DomainError('invalid', 'period_future', `账期 ${target} 尚未结束，不能公开`);
  }
  return ctx.db.transaction(async (tx) => {
    await requireVillage(tx, villageCode);
    // One publication of a village at a time: they append to the same log.
    await tx.select({ code: regions.code }).from(regions).where(eq(regions.code, villageCode)).for('update');

    const [latest] = await tx
      .select()
      .from(publications)
      .where(eq(publications.villageCode, villageCode))
      .orderBy(desc(publications.treeSize), desc(publications.period))
      .limit(1);
    const draftPeriods = (
      await tx
        .selectDistinct({ period: ledgerEntries.period })
        .from(ledgerEntries)
        .where(and(eq(ledgerEntries.villageCode, villageCode), eq(ledgerEntries.status, 'draft')))
        .orderBy(asc(ledgerEntries.period))
    ).map((r) => r.period);

    let periods: string[];
    if (ctx.input.period !== undefined) {
      const [already] = await tx
        .select({ id: publications.id })
        .from(publications)
        .where(and(eq(publications.villageCode, villageCode), eq(publications.period, target)));
      if (already) throw new DomainError('conflict', 'period_published', `账期 ${target} 已经公开过了`);
      const earlier = draftPeriods.filter((p) => p < target);
      if (earlier.length) {
        throw new DomainError('conflict', 'earlier_period_draft', `请先公开更早的账期：${earlier.join('、')}`);
      }
      periods = [target];
    } else {
      periods = draftPeriods.filter((p) => p <= target);
    }
    if (latest && periods.length && periods[0]! <= latest.period) {
      throw new DomainError('conflict', 'period_before_published', `账期 ${periods[0]} 不晚于已公开的 ${latest.period}，账期须按顺序公开`);
    }
    if (!periods.length) return { periods: [] };

    const [opening] = await tx.select().from(openingBalances).where(eq(openingBalances.villageCode, villageCode));
    if (!opening) throw new DomainError('conflict', 'opening_balance_missing', '请先登记期初余额，再公开账期');
    if (opening.date > firstDayOf(periods[0]!) && !latest) {
      throw new DomainError('conflict', 'opening_balance_late', `期初余额日期 ${opening.date} 晚于账期 ${periods[0]} 的开始`);
    }

    const leaves = (
      await tx
        .select({ hash: ledgerEntries.leafHash })
        .from(ledgerEntries)
        .where(and(eq(ledgerEntries.villageCode, villageCode), eq(ledgerEntries.status, 'published')))
        .orderBy(asc(ledgerEntries.leafIndex))
    ).map((r) => Buffer.from(r.hash!, 'hex'));
    let openingFen = latest ? latest.closingFen : opening.amountFen;
    const done: PublishedPeriod[] = [];
    for (const period of periods) {
      const result = await publishOne(tx, ctx, villageCode, period, leaves, openingFen);
      openingFen = result.closingFen;
      done.push({ period: result.period, entries: result.entries, root: result.root });
    }
    if (ctx.dispatch) {
      await insertRun(tx, ctx, {
        kind: 'incremental',
        trigger: 'publication',
        regionCode: villageCode,
        villages: [villageCode],
        asOf: todayOf(ctx.now),
      });
    }
    return { periods: done };
  });
}
