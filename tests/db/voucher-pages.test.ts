// ledger_entries.voucher_pages: the voucher pages of each entry, kept by the statement triggers of
// migration 0009 on entry_vouchers (what missing-voucher and the ledger pages read).
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { queryRows } from '../../db/client.ts';
import { useTestApp } from '../support/app.ts';

const t = useTestApp({ demo: 'full' });

const pagesOf = async (id: string) =>
  (await queryRows<{ pages: number }>(t.database.db, sql`select voucher_pages as pages from ledger_entries where id = ${id}`))[0]!.pages;

/** A draft copy of a demo expense (a new voucher number), without vouchers. */
async function draft(suffix: string): Promise<string> {
  const [row] = await queryRows<{ id: string }>(
    t.database.db,
    sql`insert into ledger_entries (id, village_code, date, period, year, voucher_no, summary, account_standard, account_code, direction,
          amount_fen, counterparty, payment_method, invoice_no, handler, decision_ref, status, salt, created_at)
        select gen_random_uuid(), village_code, date, period, year, voucher_no || ${suffix}, summary, account_standard, account_code,
               direction, amount_fen, counterparty, payment_method, invoice_no, handler, decision_ref, 'draft', salt, created_at
          from ledger_entries where status = 'published' and direction = 'expense' order by id limit 1
        returning id`,
  );
  return row!.id;
}

const someImages = async (n: number) =>
  (await queryRows<{ sha: string }>(t.database.db, sql`select sha256 as sha from vouchers order by sha256 limit ${n}`)).map((r) => r.sha);

describe('voucher pages kept on the entry', () => {
  it('matches the links of every entry of the loaded demo county', async () => {
    const wrong = await queryRows<{ id: string }>(
      t.database.db,
      sql`select e.id from ledger_entries e
           where e.voucher_pages <> (select count(*) from entry_vouchers v where v.entry_id = e.id)`,
    );
    expect(wrong).toEqual([]);
    const [counts] = await queryRows<{ with: number; without: number }>(
      t.database.db,
      sql`select count(*) filter (where voucher_pages > 0)::int as with, count(*) filter (where voucher_pages = 0)::int as without from ledger_entries`,
    );
    // The demo has entries with vouchers and (planted) expenses without.
    expect(counts!.with).toBeGreaterThan(0);
    expect(counts!.without).toBeGreaterThan(0);
  });

  it('counts links as a statement adds, moves and removes them', async () => {
    const [a, b] = [await draft('-p1'), await draft('-p2')];
    const [x, y, z] = await someImages(3);
    expect([await pagesOf(a), await pagesOf(b)]).toEqual([0, 0]);
    await t.database.db.execute(sql`insert into entry_vouchers (entry_id, page, voucher_sha256) values
      (${a}, 1, ${x}), (${a}, 2, ${y}), (${a}, 3, ${z}), (${b}, 1, ${x})`);
    expect([await pagesOf(a), await pagesOf(b)]).toEqual([3, 1]);
    await t.database.db.execute(sql`update entry_vouchers set entry_id = ${b}, page = 2 where entry_id = ${a} and page = 3`);
    expect([await pagesOf(a), await pagesOf(b)]).toEqual([2, 2]);
    await t.database.db.execute(sql`delete from entry_vouchers where entry_id in (${a}, ${b}) and page = 1`);
    expect([await pagesOf(a), await pagesOf(b)]).toEqual([1, 1]);
    await t.database.db.execute(sql`delete from entry_vouchers where entry_id in (${a}, ${b})`);
    expect([await pagesOf(a), await pagesOf(b)]).toEqual([0, 0]);
  });

  it('keeps a rolled-back link out of the count', async () => {
    const a = await draft('-p3');
    const [x] = await someImages(1);
    await t.database.db
      .transaction(async (tx) => {
        await tx.execute(sql`insert into entry_vouchers (entry_id, page, voucher_sha256) values (${a}, 1, ${x})`);
        expect((await queryRows<{ p: number }>(tx, sql`select voucher_pages as p from ledger_entries where id = ${a}`))[0]!.p).toBe(1);
        throw new Error('roll back');
      })
      .catch((err: Error) => expect(err.message).toBe('roll back'));
    expect(await pagesOf(a)).toBe(0);
  });
});
