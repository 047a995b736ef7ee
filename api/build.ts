// `npm start` builds the site when the build is missing or older than its sources.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

export const root = path.resolve(import.meta.dirname, '..');
export const serverEntry = path.join(root, 'dist/server/entry.mjs');
export const clientDir = path.join(root, 'dist/client');

/** Sources the built site depends on: the site itself, the db/ code it imports, the config, the lockfile. */
const sources = ['site', 'db', 'astro.config.mjs', 'package-lock.json'];

function newestMtime(p: string): number {
  if (!existsSync(p)) return 0;
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(p, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'demo' || entry.name === 'migrations') continue;
    newest = Math.max(newest, newestMtime(path.join(p, entry.name)));
  }
  return newest;
}

export function buildIsStale(): boolean {
  if (!existsSync(serverEntry)) return true;
  const built = statSync(serverEntry).mtimeMs;
  return sources.some((s) => newestMtime(path.join(root, s)) > built);
}

/** Runs `astro build` if needed; returns whether it built. Throws if the build fails. */
export function ensureBuilt(log: (line: string) => void = console.log): boolean {
  if (!buildIsStale()) return false;
  log('正在构建网站 (building the site)…');
  const astro = path.join(root, 'node_modules/astro/bin/astro.mjs');
  const result = spawnSync(process.execPath, [astro, 'build', '--silent'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`astro build failed (exit ${result.status})`);
  return true;
}

if (import.meta.main) ensureBuilt();
