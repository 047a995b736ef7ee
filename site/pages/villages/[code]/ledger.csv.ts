// CSV download of the ledger page's rows: same parameters, exactly the rows the page lists.
// UTF-8 with a BOM (so Excel opens Chinese text correctly), CRLF line ends, masked texts, and
// amounts both as exact yuan strings and as integer fen.
import type { APIContext, APIRoute, AstroGlobal } from 'astro';
import { publicLedger, type LedgerRow } from '../../../../db/public/village.ts';
import { yuanPlain } from '../../../lib/format.ts';
import { cacheByVersion } from '../../../lib/http-cache.ts';

/**
 * ETag and Cache-Control as site/lib/http-cache.ts sets them for pages (that helper takes the
 * page's Astro global; an endpoint has the same locals, URL and request, and its own headers).
 */
function downloadCache(context: APIContext, version: string) {
  const headers = new Headers();
  const page = { locals: context.locals, url: context.url, request: context.request, response: { headers } } as unknown as AstroGlobal;
  return { notModified: cacheByVersion(page, version), headers: Object.fromEntries(headers) };
}

const HEAD = {
  zh: ['日期', '凭证号', '摘要', '科目编码', '科目名称', '收支', '金额（元）', 'amountFen', '收付款方', '结算方式', '发票号', '经办人', '决议编号', '冲销的分录', '分录ID', '日志序号', '凭证页数'],
  en: ['date', 'voucherNo', 'summary', 'accountCode', 'accountName', 'direction', 'amount', 'amountFen', 'counterparty', 'paymentMethod', 'invoiceNo', 'handler', 'decisionRef', 'reversesId', 'id', 'leafIndex', 'voucherPages'],
};

/** A CSV field: quoted when needed; text that a spreadsheet would run as a formula gets a leading apostrophe. */
function field(value: string | number | null, text = false): string {
  let s = value === null ? '' : String(value);
  if (text && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const METHODS: Record<string, string> = { cash: '现金', transfer: '转账', card: '刷卡', other: '其他' };

function line(r: LedgerRow, zh: boolean): string {
  return [
    field(r.date),
    field(r.voucherNo, true),
    field(r.summary, true),
    field(r.accountCode),
    field(r.accountName, true),
    field(zh ? (r.direction === 'income' ? '收入' : '支出') : r.direction),
    field(yuanPlain(r.amountFen)),
    field(r.amountFen),
    field(r.counterparty, true),
    field(zh ? (METHODS[r.paymentMethod] ?? r.paymentMethod) : r.paymentMethod),
    field(r.invoiceNo, true),
    field(r.handler, true),
    field(r.decisionRef, true),
    field(r.reversesId),
    field(r.id),
    field(r.leafIndex),
    field(r.voucherPages),
  ].join(',');
}

export const GET: APIRoute = async (context) => {
  const { locals, params, url } = context;
  const ledger = await publicLedger(locals.services.db, params.code ?? '', url.searchParams);
  if (!ledger) return new Response('没有这个村 (no such village)', { status: 404, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
  const cache = downloadCache(context, `${ledger.latest?.rootHash ?? 'none'}\n${ledger.village.name}`);
  if (cache.notModified) return cache.notModified;
  if (!ledger.publication) {
    return new Response(ledger.period ? `账期 ${ledger.period} 尚未公开` : '本村还没有公开的账期', {
      status: 404,
      headers: { 'Content-Type': 'text/plain; charset=utf-8' },
    });
  }
  const zh = locals.lang === 'zh';
  const body = `\uFEFF${[HEAD[locals.lang].join(','), ...ledger.rows.map((r) => line(r, zh))].join('\r\n')}\r\n`;
  const name = `ledger-${ledger.village.code}-${ledger.publication.period}${ledger.query.filtered ? '-filtered' : ''}.csv`;
  return new Response(body, {
    headers: {
      ...cache.headers,
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="${name}"`,
    },
  });
};
