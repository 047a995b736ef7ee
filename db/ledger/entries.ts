// Corrections and clean-up of a village's entries: reversal entries (红字冲销) for published
// ones, deletion of a draft import. Published entries themselves never change.
import { randomBytes, randomUUID } from 'node:crypto';
import { and, desc, eq, inArray, ne } from 'drizzle-orm';
import { writeAudit, type Ctx } from '../audit.ts';
import { DomainError } from '../errors.ts';
import { entryVouchers, importBatches, ledgerEntries, publications } from '../schema.ts';
import { requireVillage } from '../villages.ts';
import { periodOf, todayOf } from './periods.ts';
import { parseDate } from './parse.ts';

export interface ReversalInput {
  villageCode: string;
  entryId: string;
  /** Date of the reversal entry: in an open period (after the last published one), not in the future. */
  date: string;
  voucherNo: string;
  /** Why (appended to the summary). */
  reason?: string | undefined;
}

export async function createReversal(ctx: Ctx & { input: ReversalInput }): Promise<{ id: string }> {
  const { villageCode, entryId, voucherNo } = ctx.input;
  const parsed = parseDate(ctx.input.date);
  if (!parsed.ok) throw new DomainError('invalid', 'date_invalid', `日期无效：${ctx.input.date}`);
  const date = parsed.date;
  if (date > todayOf(ctx.now)) throw new DomainError('invalid', 'date_future', `冲销日期不能晚于今天：${date}`);
  if (!voucherNo.trim() || voucherNo.length > 32) throw new DomainError('invalid', 'voucher_no_invalid', '凭证号须为 1–32 个字符');
  return ctx.db.transaction(async (tx) => {
    await requireVillage(tx, villageCode);
    const [original] = await tx
      .select()
      .from(ledgerEntries)
      .where(and(eq(ledgerEntries.id, entryId), eq(ledgerEntries.villageCode, villageCode)));
    if (!original) throw new DomainError('not_found', 'entry_unknown', `本村没有这条分录：${entryId}`);
    if (original.status !== 'published') {
      throw new DomainError('conflict', 'entry_not_published', '草稿分录无需冲销：请删除该批导入后重新导入');
    }
    if (original.reversesId) throw new DomainError('conflict', 'entry_is_reversal', '冲销分录本身不能再冲销');
    const [existing] = await tx.select({ id: ledgerEntries.id }).from(ledgerEntries).where(eq(ledgerEntries.reversesId, entryId));
    if (existing) throw new DomainError('conflict', 'entry_already_reversed', '这条分录已经冲销过了');
    const [latest] = await tx
      .select({ period: publications.period })
      .from(publications)
      .where(eq(publications.villageCode, villageCode))
      .orderBy(desc(publications.period))
      .limit(1);
    const period = date.slice(0, 7);
    if (latest && period <= latest.period) {
      throw new DomainError('conflict', 'period_closed', `账期 ${period} 已公开，冲销分录须记在之后的账期`);
    }
    const year = Number(date.slice(0, 4));
    const [taken] = await tx
      .select({ id: ledgerEntries.id })
      .from(ledgerEntries)
      .where(and(eq(ledgerEntries.villageCode, villageCode), eq(ledgerEntries.year, year), eq(ledgerEntries.voucherNo, voucherNo)));
    if (taken) throw new DomainError('conflict', 'voucher_exists', `凭证号 ${voucherNo} 在 ${year} 年已经使用`);

    const id = randomUUID();
    const reason = ctx.input.reason?.trim();
    const row = {
      id,
      villageCode,
      date,
      period,
      year,
      voucherNo,
      summary: `红字冲销 ${original.voucherNo}：${original.summary}${reason ? `（${reason}）` : ''}`.slice(0, 200),
      accountStandard: original.accountStandard,
      accountCode: original.accountCode,
      direction: original.direction,
      amountFen: -original.amountFen,
      counterparty: original.counterparty,
      paymentMethod: original.paymentMethod,
      invoiceNo: original.invoiceNo,
      handler: ctx.actor.kind === 'user' ? ctx.actor.displayName : original.handler,
      decisionRef: original.decisionRef,
      batchId: null,
      sourceRow: null,
      status: 'draft' as const,
      reversesId: original.id,
      salt: randomBytes(16).toString('hex'),
      createdAt: ctx.now,
      createdBy: ctx.actor.kind === 'user' ? ctx.actor.id : null,
    };
    await tx.insert(ledgerEntries).values(row);
    const { salt: _s, ...audited } = row;
    await writeAudit(tx, ctx, [{ action: 'entry.reverse', entity: 'ledger_entry', entityId: id, before: null, after: audited }]);
    return { id };
  });
}

/** Deletes an import whose entries are all still drafts (to upload a corrected file). */
export async function deleteDraftBatch(ctx: Ctx & { input: { villageCode: string; batchId: string } }) {
  const { villageCode, batchId } = ctx.input;
  return ctx.db.transaction(async (tx) => {
    const [batch] = await tx
      .select()
      .from(importBatches)
      .where(and(eq(importBatches.id, batchId), eq(importBatches.villageCode, villageCode)));
    if (!batch) throw new DomainError('not_found', 'batch_unknown', `本村没有这批导入：${batchId}`);
    const [published] = await tx
      .select({ id: ledgerEntries.id })
      .from(ledgerEntries)
      .where(and(eq(ledgerEntries.batchId, batchId), ne(ledgerEntries.status, 'draft')))
      .limit(1);
    if (published) throw new DomainError('conflict', 'published_immutable', '这批导入已有分录公开，不能删除；请用冲销分录更正');
    const ids = (await tx.select({ id: ledgerEntries.id }).from(ledgerEntries).where(eq(ledgerEntries.batchId, batchId))).map((r) => r.id);
    for (let i = 0; i < ids.length; i += 5000) {
      const slice = ids.slice(i, i + 5000);
      await tx.delete(entryVouchers).where(inArray(entryVouchers.entryId, slice));
      await tx.delete(ledgerEntries).where(inArray(ledgerEntries.id, slice));
    }
    await tx.delete(importBatches).where(eq(importBatches.id, batchId));
    const { warnings: _w, ...audited } = batch;
    await writeAudit(tx, ctx, [{ action: 'import.delete', entity: 'import_batch', entityId: batchId, before: audited, after: null }]);
    return { deleted: ids.length };
  });
}

export { periodOf };
