/// <reference path="../.astro/types.d.ts" />

declare namespace App {
  interface Locals {
    /** Handed in by the server (api/app.ts) for every request. */
    services: import('../db/site-locals.ts').SiteLocals;
    /** 'zh' for /…, 'en' for /en/… (set by site/middleware.ts). */
    lang: import('./lib/i18n.ts').Lang;
    /** The signed-in staff member, if any. */
    actor: Extract<import('../db/audit.ts').Actor, { kind: 'user' }> | null;
  }
}
