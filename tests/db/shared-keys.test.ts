// shared_keys: the invoice numbers and voucher images two or more entries hold, kept by the
// statement triggers of migration 0008 (duplicate-invoice's candidates).
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { queryRows } from '../../jobs/rules/lib.ts';
import { useTestApp } from '../support/app.ts';

const t = useTestApp({ demo: 'full' });

const listed = async (kind: 'invoice' | 'image') =>
  (await queryRows<{ key: string }>(t.database.db, sql`select key from shared_keys where kind = ${kind} order by key`)).map((r) => r.key);

/** A draft copy of a demo expense with the given invoice number (a new voucher number). */
const draftWithInvoice = (voucherSuffix: string, invoiceNo: string) =>
  sql`insert into ledger_entries (id, village_code, date, period, year, voucher_no, summary, account_standard, account_code, direction,
        amount_fen, counterparty, payment_method, invoice_no, handler, decision_ref, status, salt, created_at)
      select gen_random_uuid(), village_code, date, period, year, voucher_no || ${voucherSuffix}, summary, account_standard, account_code,
             direction, amount_fen, counterparty, payment_method, ${invoiceNo}, handler, decision_ref, 'draft', salt, created_at
        from ledger_entries where status = 'published' and direction = 'expense' order by id limit 1`;

describe('shared invoice numbers and voucher images', () => {
  it('lists exactly what two entries of the loaded demo county share', async () => {
    const invoices = await queryRows<{ key: string }>(
      t.database.db,
      sql`select invoice_key as key from ledger_entries where invoice_key <> '' group by invoice_key having count(*) >= 2 order by 1`,
    );
    const images = await queryRows<{ key: string }>(
      t.database.db,
      sql`select voucher_sha256 as key from entry_vouchers group by voucher_sha256 having count(distinct entry_id) >= 2 order by 1`,
    );
    // The demo plants invoice numbers used twice (and no image).
    expect(invoices.length).toBeGreaterThan(0);
    expect(await listed('invoice')).toEqual(invoices.map((r) => r.key));
    expect(await listed('image')).toEqual(images.map((r) => r.key));
  });

  it('adds a number when a second entry writes it, normalised, and not for the first', async () => {
    await t.database.db.execute(draftWithInvoice('-a', 'ZX 0001'));
    expect(await listed('invoice')).not.toContain('ZX0001');
    await t.database.db.execute(draftWithInvoice('-b', 'ｚｘ－０００１'));
    expect(await listed('invoice')).toContain('ZX0001');
  });

  it('adds a voucher image when a second entry links it', async () => {
    const [one] = await queryRows<{ sha: string }>(
      t.database.db,
      sql`select voucher_sha256 as sha from entry_vouchers where voucher_sha256 not in (select key from shared_keys) order by 1 limit 1`,
    );
    expect(one).toBeDefined();
    expect(await listed('image')).not.toContain(one!.sha);
    const [draft] = await queryRows<{ id: string }>(t.database.db, sql`${draftWithInvoice('-e', 'IMG-0001')} returning id`);
    await t.database.db.execute(sql`insert into entry_vouchers (entry_id, page, voucher_sha256) values (${draft!.id}, 1, ${one!.sha})`);
    expect(await listed('image')).toContain(one!.sha);
  });

  it('sees a number written by two transactions at the same time (each waits for the other to commit)', async () => {
    // On PostgreSQL the two transactions overlap: the first writes, then holds its transaction
    // open while the second writes and commits. Without the triggers' locks neither would see
    // the other's uncommitted row. (The embedded database runs them one after the other.)
    let firstWrote!: () => void;
    const wrote = new Promise<void>((resolve) => (firstWrote = resolve));
    const first = t.database.db.transaction(async (tx) => {
      await tx.execute(draftWithInvoice('-c', 'RACE-0001'));
      firstWrote();
      await new Promise((resolve) => setTimeout(resolve, 300));
    });
    await (t.database.kind === 'postgres' ? wrote : first);
    await t.database.db.transaction(async (tx) => {
      await tx.execute(draftWithInvoice('-d', 'RACE-0001'));
    });
    await first;
    expect(await listed('invoice')).toContain('RACE0001');
  });
});
