// duplicate-invoice: one invoice number (normalised: full-width → ASCII, upper case, no spaces or
// dashes) or one voucher image (same SHA-256) backs two or more expenses, in any village — the
// same bill claimed twice.
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { defineRule, type Finding } from './rule.ts';
import { byDate, cmp, evidence, normalizeRef, spendingOfEntries, yuan, type EntryRow } from './lib.ts';

export const params = z.object({});
export type Params = z.infer<typeof params>;

export interface Row extends EntryRow {
  invoiceNo: string | null;
  /** SHA-256 of the entry's voucher files. */
  voucherShas: string[];
}

interface Group {
  kind: 'invoice' | 'image';
  key: string;
  entries: Row[];
}

const shortSha = (sha: string) => sha.slice(0, 12);

export const rule = defineRule({
  id: 'duplicate-invoice',
  version: 1,
  title: { zh: '发票或凭证重复使用', en: 'Invoice or voucher used twice' },
  description: {
    zh: '同一发票号码（规范化后）或同一张凭证影像（SHA-256 相同）支撑两笔以上支出，跨村亦查。',
    en: 'One invoice number (normalised) or one voucher image (same SHA-256) backs two or more entries, in any village.',
  },
  basis:
    '《中华人民共和国会计法》第十四条、第二十五条（不得以虚假的经济业务事项或者资料进行会计核算）；《中华人民共和国发票管理办法》；《农村集体经济组织财务制度》关于原始凭证审核的规定',
  severity: 'high',
  params,
  query(scope) {
    // 1. The invoice keys (ledger_entries.invoice_key, stored when the entry is written) and
    //    voucher images of the scope's spending that another entry holds too: shared_keys lists
    //    every key and image two entries hold (kept by triggers as entries and voucher links
    //    are written), so only the scope's own keys are looked at, never the whole ledger.
    // 2. Every spending entry, in any village, with one of those invoice keys or images (a few
    //    entries: computed from the ledger by id), with the images of each.
    // (Large tables are read through their indexes with `= any(array(…))`: see queryRules.)
    return sql`with keys as (
          select distinct s.invoice_key as key, 'invoice' as kind from spend s
           where s.in_scope and s.invoice_key in (select k.key from shared_keys k where k.kind = 'invoice')
          union all
          select distinct v.voucher_sha256, 'image' from entry_vouchers v
           where v.voucher_sha256 = any (array(select k.key from shared_keys k where k.kind = 'image'))
             and v.entry_id in (select s.id from spend s where s.in_scope)),
        ${spendingOfEntries(
          scope,
          sql`(select e.id from ledger_entries e
                where e.invoice_key = any (array(select k.key from keys k where k.kind = 'invoice')) and e.invoice_key <> '' and e.status = 'published'
               union
               select v.entry_id from entry_vouchers v where v.voucher_sha256 = any (array(select k.key from keys k where k.kind = 'image')))`,
          'holders',
        )}
        select h.id, h.village_code as "villageCode", e.voucher_no as "voucherNo", h.date, h.amount_fen as "amountFen",
               e.invoice_no as "invoiceNo",
               array(select distinct v.voucher_sha256 from entry_vouchers v where v.entry_id = h.id order by 1) as "voucherShas"
          from holders h cross join lateral (select x.voucher_no, x.invoice_no from ledger_entries x where x.id = h.id offset 0) e`;
  },
  evaluate(rows: Row[], _params, scope) {
    const inScope = new Set(scope.villages);
    const collect = (kind: Group['kind'], keysOf: (r: Row) => string[]): Group[] => {
      const map = new Map<string, Map<string, Row>>();
      for (const r of rows) {
        for (const key of keysOf(r)) {
          if (!key) continue;
          const m = map.get(key) ?? new Map<string, Row>();
          m.set(r.id, r);
          map.set(key, m);
        }
      }
      return [...map]
        .filter(([, m]) => m.size >= 2)
        .map(([key, m]) => ({ kind, key, entries: [...m.values()].sort(byDate) }))
        .sort((a, b) => cmp(a.key, b.key));
    };
    const invoices = collect('invoice', (r) => [normalizeRef(r.invoiceNo)]);
    // An image group whose entries are already one invoice group is the same finding.
    const images = collect('image', (r) => r.voucherShas).filter(
      (g) => !invoices.some((inv) => g.entries.every((e) => inv.entries.some((x) => x.id === e.id))),
    );
    const findings: Finding[] = [];
    for (const g of [...invoices, ...images]) {
      const villages = [...new Set(g.entries.map((e) => e.villageCode))].sort(cmp);
      const total = g.entries.reduce((s, e) => s + e.amountFen, 0);
      const list = g.entries
        .map((e) => `${villages.length > 1 ? `${e.villageCode} ` : ''}${e.voucherNo}（${e.date}，${yuan(e.amountFen)}）`)
        .join('、');
      for (const villageCode of villages.filter((v) => inScope.has(v))) {
        const raw = g.kind === 'invoice' ? (g.entries.find((e) => e.villageCode === villageCode)?.invoiceNo ?? g.key) : g.key;
        findings.push({
          subject: `${villageCode}:${g.kind}:${g.key}`,
          villageCode,
          regionCode: villageCode,
          period: g.entries.find((e) => e.villageCode === villageCode)!.date.slice(0, 7),
          severity: 'high',
          title: g.kind === 'invoice' ? '发票号码重复报销' : '同一凭证影像重复使用',
          summary:
            (g.kind === 'invoice'
              ? `发票号码 ${raw} 被 ${g.entries.length} 笔支出重复使用`
              : `同一张凭证影像（SHA-256 ${shortSha(g.key)}…）支撑 ${g.entries.length} 笔支出`) +
            `${villages.length > 1 ? `，涉及 ${villages.length} 个村` : ''}，合计 ${yuan(total)}：${list}`,
          entries: g.entries.map(evidence),
          figures: {
            kind: g.kind,
            key: g.key,
            count: g.entries.length,
            villages: villages.length,
            totalFen: total,
          },
        });
      }
    }
    return findings.sort((a, b) => cmp(a.subject, b.subject));
  },
});

export default rule;
