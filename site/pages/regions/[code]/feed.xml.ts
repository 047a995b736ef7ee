// Atom 1.0 feed of a region: the publications of every village below it, newest first, at most 100.
import type { APIRoute } from 'astro';
import { atomXml, nameUuidUrn, regionPublications } from '../../../../db/public/registers.ts';
import { getRegion, isRegionCode } from '../../../../db/regions.ts';
import { href, htmlLang } from '../../../lib/i18n.ts';
import { atomResponse, publicationEntry, publicOrigin } from '../../villages/[code]/feed.xml.ts';

export const GET: APIRoute = async ({ params, locals, url, request }) => {
  const { services, lang } = locals;
  const code = params.code ?? '';
  const region = isRegionCode(code) ? await getRegion(services.db, code) : null;
  if (!region) return new Response('Not found', { status: 404, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
  const zh = lang === 'zh';
  const origin = publicOrigin(url, services.https);
  const pubs = await regionPublications(services.db, code, 100);
  const xml = atomXml({
    id: nameUuidUrn(`yangguang-cunwu:feed:region:${code}:${lang}`),
    title: zh ? `${region.name} 各村账目公开` : `${region.name}: villages’ published accounts`,
    subtitle: zh ? `${region.name}所辖各村最近公开的账期（最多 100 条）` : `The latest periods published by the villages of ${region.name} (at most 100)`,
    self: `${origin}${href(lang, `/regions/${code}/feed.xml`)}`,
    alternate: `${origin}${href(lang, `/regions/${code}`)}`,
    updated: pubs.reduce((latest, p) => (p.publishedAt > latest ? p.publishedAt : latest), region.updatedAt),
    author: zh ? `阳光村务 · ${region.name}` : `Sunshine Village Affairs · ${region.name}`,
    lang: htmlLang[lang],
    entries: pubs.map((p) => publicationEntry(lang, origin, p)),
  });
  return atomResponse(request, xml);
};
