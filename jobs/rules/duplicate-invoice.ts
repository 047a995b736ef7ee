// duplicate-invoice: one invoice number (normalised: full-width → ASCII, upper case, no spaces or
// dashes) or one voucher image (same SHA-256) backs two or more expenses, in any village — the
// same bill claimed twice.
import { sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { defineRule, type Finding } from './rule.ts';
import {
  byDate,
  cmp,
  evidence,
  json,
  jsonParam,
  normalizeRef,
  num,
  queryRows,
  scopeVillages,
  spendingCtes,
  spendingCtesPlus,
  yuan,
  type EntryRow,
} from './lib.ts';

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
  async gather(db, scope) {
    const inScope = scopeVillages(scope);
    // Spending of every village, unless a run prepared fewer (its counties): then only the
    // invoice keys and voucher images of the scope's spending that two entries anywhere share can
    // form a group, and only the villages holding them (outside the prepared counties: computed
    // from the ledger) need be looked at. invoice_key (migration 0007) is normalizeRefSql as an
    // immutable SQL function: each key is counted in the expression index on published invoice
    // numbers (only published entries are spending, so the index's predicate loses nothing;
    // `offset 0` keeps the lookups per key) instead of normalising the whole ledger; the groups
    // are then formed from the spending with those keys and images only (`cand`).
    let spend: SQL = spendingCtes(scope, null);
    // The spending that can be in a group (by default all of it).
    let candidates = sql``;
    if (scope.prepared && !scope.prepared.all) {
      const found = await queryRows<{ kind: string; value: string }>(
        db,
        sql`with ${spendingCtes(scope)},
          k as (select distinct s.invoice_key as k from spend s where s.invoice_no is not null and s.invoice_key <> ''),
          sh as (select distinct v.voucher_sha256 as sha from entry_vouchers v join spend s on s.id = v.entry_id)
          select 'k' as kind, k.k as value from k cross join lateral (
            select count(*) as n from (
              select 1 from ledger_entries e
               where invoice_key(e.invoice_no) = k.k and e.invoice_no is not null and e.status = 'published' offset 0) x) f
           where f.n >= 2
          union all
          select 's', v.voucher_sha256 from entry_vouchers v
           where v.voucher_sha256 in (select sha from sh)
           group by v.voucher_sha256 having count(distinct v.entry_id) >= 2`,
      );
      const keys = found.filter((f) => f.kind === 'k').map((f) => String(f.value));
      const shas = found.filter((f) => f.kind === 's').map((f) => String(f.value));
      const villages = await queryRows<{ village_code: string }>(
        db,
        sql`select f.village_code from json_array_elements_text(${jsonParam(keys)}) as k(k) cross join lateral (
              select e.village_code from ledger_entries e
               where invoice_key(e.invoice_no) = k.k and e.invoice_no is not null and e.status = 'published' offset 0) f
            union
            select e.village_code from entry_vouchers v join ledger_entries e on e.id = v.entry_id
             where v.voucher_sha256 in (select json_array_elements_text(${jsonParam(shas)}))
            union
            select json_array_elements_text(${jsonParam(scope.villages)})`,
      );
      const counties = new Set(scope.villages.map((v) => v.slice(0, 6)));
      const codes = villages.map((v) => String(v.village_code)).sort(cmp);
      spend = spendingCtesPlus(
        scope,
        scope.prepared.scopeIsAll ? null : codes.filter((v) => counties.has(v.slice(0, 6))),
        codes.filter((v) => !counties.has(v.slice(0, 6))),
      );
      candidates = sql`where s.invoice_key in (select json_array_elements_text(${jsonParam(keys)}))
        or s.id in (select v.entry_id from entry_vouchers v where v.voucher_sha256 in (select json_array_elements_text(${jsonParam(shas)})))`;
    }
    const rows = await queryRows<Record<string, unknown>>(
      db,
      sql`with ${spend},
        cand as materialized (select * from spend s ${candidates}),
        inv as materialized (
          select s.id, s.village_code, s.invoice_key as k from cand s where s.invoice_no is not null),
        inv_dup as materialized (
          select k from inv where k <> '' group by k
          having count(*) >= 2 and bool_or(village_code in ${inScope})),
        img as materialized (
          select distinct v.entry_id as id, v.voucher_sha256 as sha, s.village_code
            from entry_vouchers v join cand s on s.id = v.entry_id),
        img_dup as materialized (
          select sha from img group by sha
          having count(distinct id) >= 2 and bool_or(village_code in ${inScope})),
        ids as (
          select i.id from inv i join inv_dup d on d.k = i.k
          union
          select m.id from img m join img_dup d on d.sha = m.sha)
        select s.id, s.village_code, s.voucher_no, s.date, s.amount_fen, s.invoice_no,
               coalesce((select json_agg(distinct v.voucher_sha256) from entry_vouchers v where v.entry_id = s.id), '[]'::json) as shas
          from cand s join ids on ids.id = s.id
         order by s.village_code, s.date, s.voucher_no`,
    );
    return rows.map((r): Row => ({
      id: String(r.id),
      villageCode: String(r.village_code),
      voucherNo: String(r.voucher_no),
      date: String(r.date),
      amountFen: num(r.amount_fen),
      invoiceNo: r.invoice_no === null ? null : String(r.invoice_no),
      voucherShas: json<string[]>(r.shas).map(String).sort(cmp),
    }));
  },
  evaluate(rows, _params, scope) {
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
