// HTTP caching of public pages, keyed to the data version (e.g. the latest publication's log
// root): an ETag, Cache-Control, and 304 when the browser already has this version.
import type { AstroGlobal } from 'astro';
import { createHash } from 'node:crypto';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

/**
 * Sets ETag and Cache-Control for a public page whose content depends only on `version` (and the
 * path and language). Returns a 304 Response to send instead of the page when the browser's copy
 * is current, else null. Signed-in staff get `private, no-store` (their header differs).
 */
export function cacheByVersion(Astro: AstroGlobal, version: string): Response | null {
  if (Astro.locals.actor) {
    Astro.response.headers.set('Cache-Control', 'private, no-store');
    return null;
  }
  const etag = `W/"${createHash('sha256').update(`${Astro.locals.lang}|${Astro.url.pathname}${Astro.url.search}|${version}`).digest('base64url').slice(0, 27)}"`;
  Astro.response.headers.set('ETag', etag);
  Astro.response.headers.set('Cache-Control', 'public, max-age=60, must-revalidate');
  const asked = Astro.request.headers.get('if-none-match');
  if (asked && asked.split(',').some((t) => t.trim() === etag)) {
    return new Response(null, { status: 304, headers: { ETag: etag, 'Cache-Control': 'public, max-age=60, must-revalidate' } });
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Rendered pages kept in memory

/** A rendered page: its status and HTML, with the compressed forms made on first use. */
interface StoredPage {
  status: number;
  html: Buffer;
  gzip?: Buffer;
  br?: Buffer;
}

/** Bounded by the HTML's total size; least recently used pages go first. Each process has its own. */
const MAX_PAGE_BYTES = 32 * 1024 * 1024;
const pages = new Map<string, StoredPage>();
let pageBytes = 0;

/** The encoding to send: brotli, else gzip, when the client accepts it (q > 0); else none. */
function chooseEncoding(accept: string | null): 'br' | 'gzip' | null {
  if (!accept) return null;
  const ok = new Set<string>();
  for (const part of accept.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    if (name && (!q || Number(q.slice(2)) > 0)) ok.add(name);
  }
  return ok.has('br') ? 'br' : ok.has('gzip') ? 'gzip' : null;
}

export interface PageCache {
  /** Send this instead of rendering (304, or the page as rendered before for this version), or null. */
  response: Response | null;
  /** Takes the rendered page's HTML to keep for later requests; null when the page must not be kept. */
  store: ((html: string) => void) | null;
}

/**
 * `cacheByVersion` plus the rendered page itself: a public page whose HTML depends only on
 * `version`, the path, the query and the language is rendered once per version and then sent
 * from memory, compressed once. `version` must be read fresh on every request (see
 * site/lib/memo.ts freshVersion), so a change committed by any process is seen on the next request.
 * Signed-in staff get neither a stored page nor a stored copy of theirs (their header differs).
 */
export function pageCache(Astro: AstroGlobal, version: string): PageCache {
  const notModified = cacheByVersion(Astro, version);
  if (notModified) return { response: notModified, store: null };
  if (Astro.locals.actor) return { response: null, store: null };
  const key = `${Astro.locals.lang}|${Astro.url.pathname}${Astro.url.search}|${version}`;
  const hit = pages.get(key);
  if (!hit) {
    return {
      response: null,
      store: (html) => {
        const page: StoredPage = { status: Astro.response.status ?? 200, html: Buffer.from(html) };
        const old = pages.get(key);
        if (old) pageBytes -= old.html.length;
        pages.delete(key);
        pages.set(key, page);
        pageBytes += page.html.length;
        for (const [k, p] of pages) {
          if (pageBytes <= MAX_PAGE_BYTES) break;
          pages.delete(k);
          pageBytes -= p.html.length;
        }
      },
    };
  }
  pages.delete(key);
  pages.set(key, hit);
  const encoding = chooseEncoding(Astro.request.headers.get('accept-encoding'));
  let body = hit.html;
  if (encoding === 'gzip') body = hit.gzip ??= gzipSync(hit.html, { level: 9 });
  else if (encoding === 'br') body = hit.br ??= brotliCompressSync(hit.html, { params: { [constants.BROTLI_PARAM_QUALITY]: 9 } });
  const headers = new Headers(Astro.response.headers);
  headers.set('Content-Type', 'text/html; charset=utf-8');
  headers.set('Content-Length', String(body.length));
  headers.set('Vary', 'Accept-Encoding');
  if (encoding) headers.set('Content-Encoding', encoding);
  return { response: new Response(new Uint8Array(body), { status: hit.status, headers }), store: null };
}

/** How many rendered pages are kept (for tests). */
export const storedPageCount = () => pages.size;
