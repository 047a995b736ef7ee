// Atom 1.0 feed of a village's publications: one entry per published period, newest first,
// linking to that period's ledger page, with its income, spending, closing balance and log root.
import type { APIRoute } from 'astro';
import { atomXml, contentVersion, nameUuidUrn, villagePublications, type FeedPublication } from '../../../../db/public/registers.ts';
import { getRegion, isRegionCode } from '../../../../db/regions.ts';
import { yuan } from '../../../lib/format.ts';
import { href, htmlLang, type Lang } from '../../../lib/i18n.ts';

/** One feed entry for a publication (also used, word for word, by the region feed). */
export function publicationEntry(lang: Lang, origin: string, p: FeedPublication) {
  const zh = lang === 'zh';
  return {
    id: `urn:uuid:${p.id}`,
    title: zh ? `${p.villageName} ${p.period} 账目已公开` : `${p.villageName}: accounts for ${p.period} published`,
    link: `${origin}${href(lang, `/villages/${p.villageCode}/ledger`)}?period=${p.period}`,
    updated: p.publishedAt,
    published: p.publishedAt,
    summary: zh
      ? `收入 ${yuan(p.incomeFen)}，支出 ${yuan(p.expenseFen)}，期末余额 ${yuan(p.closingFen)}（共 ${p.entryCount} 笔）。日志根哈希 ${p.rootHash}（日志共 ${p.treeSize} 笔）。`
      : `Income ${yuan(p.incomeFen)}, spending ${yuan(p.expenseFen)}, closing balance ${yuan(p.closingFen)} (${p.entryCount} entries). Log root hash ${p.rootHash} (${p.treeSize} entries in the log).`,
  };
}

/** The request's origin as the visitor sees it (https when the front door says so). */
export function publicOrigin(url: URL, https: boolean): string {
  return https ? url.origin.replace(/^http:/, 'https:') : url.origin;
}

/** The feed with an ETag, or 304 when the reader already has it. */
export function atomResponse(request: Request, xml: string): Response {
  const etag = `W/"${contentVersion(xml)}"`;
  const headers = { 'Content-Type': 'application/atom+xml; charset=utf-8', ETag: etag, 'Cache-Control': 'public, max-age=300, must-revalidate' };
  const asked = request.headers.get('if-none-match');
  if (asked && asked.split(',').some((t) => t.trim() === etag)) return new Response(null, { status: 304, headers });
  return new Response(xml, { headers });
}

export const GET: APIRoute = async ({ params, locals, url, request }) => {
  const { services, lang } = locals;
  const code = params.code ?? '';
  const village = isRegionCode(code) ? await getRegion(services.db, code) : null;
  if (!village || village.level !== 'village') return new Response('Not found', { status: 404, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
  const zh = lang === 'zh';
  const origin = publicOrigin(url, services.https);
  const pubs = await villagePublications(services.db, code);
  const xml = atomXml({
    id: nameUuidUrn(`yangguang-cunwu:feed:village:${code}:${lang}`),
    title: zh ? `${village.name} 账目公开` : `${village.name}: published accounts`,
    subtitle: zh ? `${village.name}每期公开的收支、余额和账目日志根哈希` : `Each period ${village.name} publishes: income, spending, balance and log root hash`,
    self: `${origin}${href(lang, `/villages/${code}/feed.xml`)}`,
    alternate: `${origin}${href(lang, `/villages/${code}`)}`,
    updated: pubs.reduce((latest, p) => (p.publishedAt > latest ? p.publishedAt : latest), village.updatedAt),
    author: zh ? `阳光村务 · ${village.name}` : `Sunshine Village Affairs · ${village.name}`,
    lang: htmlLang[lang],
    entries: pubs.map((p) => publicationEntry(lang, origin, p)),
  });
  return atomResponse(request, xml);
};
