// e2e global setup: build the site once (if stale), as `npm start` would, and prepare one data
// directory holding the loaded demo county, which tests copy instead of loading it again.
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

export default async function setup(project: TestProject) {
  ensureBuilt((line) => console.log(line));
  const dir = tempDir('ygcw-e2e-demo-');
  const started = performance.now();
  const server = await startServer({ DATA_DIR: dir, ADMIN_PASSWORD: 'admin-password-1' }, 300_000);
  if ((await server.stop()) !== 0) throw new Error(`demo server did not stop cleanly:\n${server.output()}`);
  console.log(`demo data directory prepared in ${Math.round(performance.now() - started)} ms`);
  project.provide('demoDataDir', dir);
  return () => rmSync(dir, { recursive: true, force: true });
}
