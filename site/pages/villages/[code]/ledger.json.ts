// JSON download of the ledger page's rows: same parameters, exactly the rows the page lists,
// masked texts, amounts as exact yuan strings and integer fen.
import type { APIContext, APIRoute, AstroGlobal } from 'astro';
import { publicLedger } from '../../../../db/public/village.ts';
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

const json = (value: unknown, status: number, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(value, null, 1), { status, headers: { ...headers, 'Content-Type': 'application/json; charset=utf-8' } });

export const GET: APIRoute = async (context) => {
  const { locals, params, url } = context;
  const ledger = await publicLedger(locals.services.db, params.code ?? '', url.searchParams);
  if (!ledger) return json({ error: { code: 'village_unknown', message: '没有这个村' } }, 404);
  const cache = downloadCache(context, `${ledger.latest?.rootHash ?? 'none'}\n${ledger.village.name}`);
  if (cache.notModified) return cache.notModified;
  const { village, publication, query, rows, shown } = ledger;
  if (!publication) {
    return json(
      { error: { code: 'period_unpublished', message: ledger.period ? `账期 ${ledger.period} 尚未公开` : '本村还没有公开的账期' } },
      404,
    );
  }
  const body = {
    village: { code: village.code, name: village.name },
    period: publication.period,
    filter: query.filter,
    ignored: query.problems,
    periodTotals: {
      openingFen: publication.openingFen,
      incomeFen: publication.incomeFen,
      expenseFen: publication.expenseFen,
      closingFen: publication.closingFen,
      opening: yuanPlain(publication.openingFen),
      income: yuanPlain(publication.incomeFen),
      expense: yuanPlain(publication.expenseFen),
      closing: yuanPlain(publication.closingFen),
      entries: publication.entryCount,
    },
    shownTotals: { ...shown, income: yuanPlain(shown.incomeFen), expense: yuanPlain(shown.expenseFen) },
    log: { treeSize: publication.treeSize, rootHash: publication.rootHash },
    rows: rows.map((r) => ({
      id: r.id,
      date: r.date,
      voucherNo: r.voucherNo,
      summary: r.summary,
      accountCode: r.accountCode,
      accountName: r.accountName,
      direction: r.direction,
      amount: yuanPlain(r.amountFen),
      amountFen: r.amountFen,
      counterparty: r.counterparty,
      paymentMethod: r.paymentMethod,
      invoiceNo: r.invoiceNo,
      handler: r.handler,
      decisionRef: r.decisionRef,
      reversesId: r.reversesId,
      leafIndex: r.leafIndex,
      voucherPages: r.voucherPages,
    })),
  };
  return json(body, 200, {
    ...cache.headers,
    'Content-Disposition': `attachment; filename="ledger-${village.code}-${publication.period}${query.filtered ? '-filtered' : ''}.json"`,
  });
};
