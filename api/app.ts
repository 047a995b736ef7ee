// The front door: one Hono app answering /api, static assets and, through Astro's
// middleware-mode handler, every page. Used by the server (api/main.ts) and by tests.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { OpenAPIHono } from '@hono/zod-openapi';
import { serveStatic } from '@hono/node-server/serve-static';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { requestId } from 'hono/request-id';
import { DomainError } from '../db/errors.ts';
import type { SiteLocals } from '../db/site-locals.ts';
import { identify } from './access.ts';
import type { AppEnv, Deps } from './env.ts';
import { errorBody, errorResponse } from './errors.ts';
import { registerAdmin } from './routes/admin.ts';
import { registerChecks } from './routes/checks.ts';
import { registerRules } from './routes/rules.ts';
import { registerHealth } from './routes/health.ts';
import { registerImports } from './routes/imports.ts';
import { registerPublic } from './routes/public.ts';
import { registerRegisters } from './routes/registers.ts';
import { registerSession } from './routes/session.ts';
import { registerStatistics } from './routes/statistics.ts';
import { registerVillages } from './routes/villages.ts';
import { validationHook } from './validation.ts';

/** Astro's middleware-mode handler (dist/server/entry.mjs `handler`). */
export type AstroHandler = (
  req: import('node:http').IncomingMessage,
  res: import('node:http').ServerResponse,
  next?: (err?: unknown) => void,
  locals?: object,
) => Promise<void>;

export interface FrontDoorOptions {
  /** The built site; without it (API-only tests) non-API paths answer 404. */
  site?: { handler: AstroHandler; clientDir: string };
}

export const API_VERSION = '1.0.0';

/** Security headers on every answer. Pages ship no inline script; the API reference page is self-hosted. */
function securityHeaders(https: boolean, docs: boolean): Record<string, string> {
  const csp = [
    "default-src 'self'",
    "img-src 'self' data: blob:",
    docs ? "style-src 'self' 'unsafe-inline'" : "style-src 'self'",
    "script-src 'self'",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
  return {
    'Content-Security-Policy': csp,
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'strict-origin-when-cross-origin',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Permissions-Policy': 'camera=(), microphone=(), geolocation=()',
    ...(https ? { 'Strict-Transport-Security': 'max-age=31536000' } : {}),
  };
}

// The API reference UI, self-hosted (offices are often on closed networks): the package
// exports no path to its browser bundle, so it is found from the package's main entry.
const scalarBundle = path.join(
  fileURLToPath(import.meta.resolve('@scalar/api-reference')).replace(/(node_modules[\\/]@scalar[\\/]api-reference)[\\/].*$/, '$1'),
  'dist/browser/standalone.js',
);

const docsPage = `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>阳光村务 API v1</title></head>
<body><script id="api-reference" data-url="/api/v1/openapi.json"></script>
<script src="/api/docs/standalone.js"></script></body></html>`;

export function createApi(): OpenAPIHono<AppEnv> {
  const api = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  registerHealth(api);
  registerSession(api);
  registerAdmin(api);
  registerVillages(api);
  registerImports(api);
  registerPublic(api);
  registerRegisters(api);
  registerChecks(api);
  registerRules(api);
  registerStatistics(api);
  api.openAPIRegistry.registerComponent('securitySchemes', 'session', {
    type: 'apiKey',
    in: 'cookie',
    name: 'ygcw_session',
  });
  api.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  api.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: '阳光村务 API',
      version: API_VERSION,
      description: 'The Sunshine Village-Affairs Portal, interchange contract v1. Amounts are integer fen (amountFen).',
    },
    servers: [{ url: '/api/v1' }],
    security: [{ session: [] }, { bearer: [] }],
  });
  api.notFound((c) => c.json(errorBody('not_found', '没有这个接口'), 404));
  return api;
}

export function createFrontDoor(deps: Deps, options: FrontDoorOptions = {}): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { config } = deps;

  app.use(requestId());
  app.use(async (c, next) => {
    c.set('deps', deps);
    const forwardedFor = config.trustProxy ? c.req.header('x-forwarded-for')?.split(',')[0]?.trim() : undefined;
    c.set('clientAddress', forwardedFor || c.env?.incoming?.socket.remoteAddress || 'unknown');
    const proto = config.trustProxy ? c.req.header('x-forwarded-proto') : undefined;
    c.set('https', (proto ?? new URL(c.req.url).protocol.replace(':', '')) === 'https');
    const headers = securityHeaders(c.var.https, c.req.path.startsWith('/api/docs'));
    // Pages are written by Astro straight to the Node response, so the headers go there too.
    const outgoing = c.env?.outgoing;
    if (outgoing) for (const [k, v] of Object.entries(headers)) outgoing.setHeader(k, v);
    await next();
    if (c.res !== RESPONSE_ALREADY_SENT) for (const [k, v] of Object.entries(headers)) c.res.headers.set(k, v);
  });
  app.onError((err, c) => errorResponse(c, err));

  // JSON bodies have a smaller limit than uploads; both are enforced while reading, so a body
  // sent without Content-Length is cut off too.
  const tooLarge = (limit: number) => () => {
    throw new DomainError('too_large', 'too_large', `请求内容超过 ${limit} 字节的限制`);
  };
  const jsonLimit = bodyLimit({ maxSize: config.bodyLimitJson, onError: tooLarge(config.bodyLimitJson) });
  const uploadLimit = bodyLimit({ maxSize: config.bodyLimitUpload, onError: tooLarge(config.bodyLimitUpload) });
  app.use(
    '/api/*',
    (c, next) =>
      (c.req.header('content-type')?.startsWith('multipart/form-data') ? uploadLimit : jsonLimit)(c, next),
    identify,
  );

  app.route('/api/v1', createApi());
  app.get('/api/docs', (c) => c.html(docsPage));
  app.get('/api/docs/standalone.js', serveStatic({ path: scalarBundle, onFound: (_p, c) => c.header('Cache-Control', 'public, max-age=86400') }));
  app.all('/api/*', (c) => c.json(errorBody('not_found', '没有这个接口'), 404));

  const site = options.site;
  if (site) {
    app.use(
      '/*',
      serveStatic({
        root: path.relative(process.cwd(), site.clientDir),
        onFound: (p, c) =>
          c.header('Cache-Control', p.includes('/_astro/') ? 'public, max-age=31536000, immutable' : 'public, max-age=3600'),
      }),
    );
    app.all('*', async (c) => {
      const { incoming, outgoing } = c.env;
      if (!incoming || !outgoing) return c.text('Not Found', 404);
      // English pages are the same page files: /en/… is served as … with lang 'en'.
      const url = incoming.url ?? '/';
      const english = url === '/en' || url.startsWith('/en/') || url.startsWith('/en?');
      if (english) incoming.url = url.slice(3).startsWith('/') ? url.slice(3) : `/${url.slice(3)}`;
      const locals: SiteLocals = {
        lang: english ? 'en' : 'zh',
        db: deps.database.db,
        databaseKind: deps.database.kind,
        now: deps.now,
        clientAddress: c.var.clientAddress,
        https: c.var.https,
        requestId: c.var.requestId,
        signer: deps.signer,
        dispatch: deps.dispatch,
        store: deps.store,
      };
      // Astro hands unmatched paths to `next`; they get the site's own 404 page (which needs
      // the locals that Astro's fallback rendering would not pass).
      const rendered = await new Promise<boolean>((resolve, reject) => {
        const next = (err?: unknown) => (err ? reject(err) : resolve(false));
        site.handler(incoming, outgoing, next, { services: locals }).then(() => resolve(true), reject);
      });
      if (!rendered) {
        incoming.url = '/404';
        await site.handler(incoming, outgoing, undefined, { services: locals });
      }
      return RESPONSE_ALREADY_SENT;
    });
  } else {
    app.all('*', (c) => c.json(errorBody('not_found', '没有这个页面'), 404));
  }
  return app;
}
