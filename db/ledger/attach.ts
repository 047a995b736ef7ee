// Attaching voucher files to one draft entry (POST …/entries/:id/vouchers).
import { and, eq, sql } from 'drizzle-orm';
import { writeAudit, type Ctx } from '../audit.ts';
import type { Executor } from '../client.ts';
import { DomainError } from '../errors.ts';
import { entryVouchers, ledgerEntries } from '../schema.ts';
import { processVoucher, type ProcessedVoucher } from '../vouchers/process.ts';
import type { BlobStore } from '../vouchers/storage.ts';
import { insertVoucherRows, storeVoucher, type UploadedFile } from './import.ts';

export async function attachVouchers(
  ctx: Ctx & { store: BlobStore; input: { villageCode: string; entryId: string; files: UploadedFile[] } },
): Promise<{ pages: { page: number; sha256: string; mime: string }[] }> {
  const { db, input, store } = ctx;
  if (!input.files.length) throw new DomainError('invalid', 'no_file', '请选择要上传的凭证文件');
  const entryOf = async (on: Executor) => {
    const [entry] = await on
      .select()
      .from(ledgerEntries)
      .where(and(eq(ledgerEntries.id, input.entryId), eq(ledgerEntries.villageCode, input.villageCode)));
    if (!entry) throw new DomainError('not_found', 'entry_unknown', `本村没有这条分录：${input.entryId}`);
    if (entry.status !== 'draft') throw new DomainError('conflict', 'published_immutable', '已公开的分录不能再添加凭证');
    return entry;
  };
  await entryOf(db);
  // Files are checked and stored before the transaction; a refused file refuses the whole request.
  const processed: { file: UploadedFile; v: ProcessedVoucher }[] = [];
  for (const file of input.files) {
    const v = await processVoucher({ path: file.path });
    processed.push({ file, v });
  }
  for (const { file, v } of processed) await storeVoucher(store, v, file.path);

  return db.transaction(async (tx) => {
    await tx.select({ id: ledgerEntries.id }).from(ledgerEntries).where(eq(ledgerEntries.id, input.entryId)).for('update');
    const entry = await entryOf(tx);
    const [{ last } = { last: 0 }] = await tx
      .select({ last: sql<number>`coalesce(max(${entryVouchers.page}), 0)::int` })
      .from(entryVouchers)
      .where(eq(entryVouchers.entryId, entry.id));
    const links = processed.map(({ file, v }, i) => ({ entryId: entry.id, page: last + i + 1, fileName: file.name, v }));
    await insertVoucherRows(tx, ctx.now, links);
    const pages = links.map((l) => ({ page: l.page, sha256: l.v.sha256, mime: l.v.mime }));
    await writeAudit(tx, ctx, [{ action: 'entry.attach_vouchers', entity: 'ledger_entry', entityId: entry.id, before: null, after: { pages } }]);
    return { pages };
  });
}
