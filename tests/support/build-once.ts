// e2e global setup: build the site once (if stale), as `npm start` would, and prepare one data
// directory holding the loaded demo county, which tests copy instead of loading it again.
// Two projects use it (e2e, and lighthouse which runs alone after everything else); Vitest
// runs each project's global setup in this one process, so the first call does the work and
// the second gets the same directory.
import { rmSync } from 'node:fs';
import type { TestProject } from 'vitest/node';
import { ensureBuilt } from '../../api/build.ts';
import { startServer, tempDir } from './server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A stopped server's DATA_DIR with the demo county loaded (admin password: admin-password-1). */
    demoDataDir: string;
  }
}

const shared = globalThis as typeof globalThis & { ygcwDemoDataDir?: Promise<string> };

async function prepare(): Promise<string> {
  ensureBuilt((line) => console.log(line));
  const dir = tempDir('ygcw-e2e-demo-');
  const started = performance.now();
  const server = await startServer({ DATA_DIR: dir, ADMIN_PASSWORD: 'admin-password-1' }, 300_000);
  if ((await server.stop()) !== 0) throw new Error(`demo server did not stop cleanly:\n${server.output()}`);
  console.log(`demo data directory prepared in ${Math.round(performance.now() - started)} ms`);
  return dir;
}

export default async function setup(project: TestProject) {
  const first = !shared.ygcwDemoDataDir;
  shared.ygcwDemoDataDir ??= prepare();
  const dir = await shared.ygcwDemoDataDir;
  project.provide('demoDataDir', dir);
  // Teardowns run once every project has finished; the first caller removes the directory.
  if (first) return () => rmSync(dir, { recursive: true, force: true });
}
