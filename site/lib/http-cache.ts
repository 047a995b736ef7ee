// HTTP caching of public pages, keyed to the data version (e.g. the latest publication's log
// root): an ETag, Cache-Control, and 304 when the browser already has this version.
import type { AstroGlobal } from 'astro';
import { createHash } from 'node:crypto';

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
