// @ts-check
import { defineConfig } from 'astro/config';
import node from '@astrojs/node';

// The site lives in site/ and is served by the one Node process in api/main.ts:
// Hono answers /api and static files, and hands every other request to this
// build's middleware-mode handler (dist/server/entry.mjs).
export default defineConfig({
  srcDir: './site',
  publicDir: './site/public',
  output: 'server',
  // Pages take form posts (the no-JS ledger upload among them); the API has its own limits.
  adapter: node({ mode: 'middleware', bodySizeLimit: 64 * 1024 * 1024 }),
  trailingSlash: 'ignore',
  build: {
    // One stylesheet file per page instead of inline <style>: lets the CSP forbid inline styles later.
    inlineStylesheets: 'never',
  },
  security: { checkOrigin: true },
  server: { host: '127.0.0.1', port: 4321 },
  vite: {
    // Scripts and assets as files, never inline: the CSP allows script-src 'self' only.
    build: { sourcemap: false, assetsInlineLimit: 0 },
  },
});
