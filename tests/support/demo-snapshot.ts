// Global setup of the db/API projects: loads the whole demo county once per run — into an
// in-memory PGlite whose data directory is dumped to a file, or into a PostgreSQL template
// database — so every test file that needs it starts from a copy in a second instead of
// loading and publishing 18 villages itself.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { newLogKeyPem } from '../../api/log-key.ts';
import { openDatabase } from '../../db/client.ts';
import { loadDemo } from '../../db/demo.ts';
import { signerFromPem } from '../../db/ledger/checkpoint.ts';
import { migrate } from '../../db/migrate.ts';
import { createFileStore } from '../../db/vouchers/storage.ts';
import { withDatabaseName } from './database.ts';

export const DEMO_NOW = '2026-01-15T08:00:00Z';

declare module 'vitest' {
  export interface ProvidedContext {
    demo: { keyPem: string; storeDir: string; pgliteDump?: string; postgresTemplate?: string };
  }
}

export default async function setup(project: TestProject) {
  const dir = mkdtempSync(path.join(tmpdir(), `ygcw-demo-${project.name}-`));
  const keyPem = newLogKeyPem();
  const storeDir = path.join(dir, 'vouchers');
  const demoInput = { now: new Date(DEMO_NOW), signer: signerFromPem('test-log', keyPem), store: createFileStore(storeDir) };
  const started = performance.now();
  let dropTemplate = async () => {};
  if (project.name === 'postgres') {
    const url = process.env.TEST_DATABASE_URL!;
    const name = `ygcw_demo_tpl_${randomBytes(4).toString('hex')}`;
    const admin = postgres(url, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database "${name}"`);
    await admin.end();
    const database = await openDatabase({ kind: 'postgres', url: withDatabaseName(url, name), maxConnections: 2 });
    await migrate(database.db);
    await loadDemo({ db: database.db, ...demoInput });
    await database.close();
    project.provide('demo', { keyPem, storeDir, postgresTemplate: name });
    dropTemplate = async () => {
      const a = postgres(url, { max: 1, onnotice: () => {} });
      await a.unsafe(`drop database if exists "${name}" with (force)`);
      await a.end();
    };
  } else {
    const database = await openDatabase({ kind: 'pglite-memory' });
    await migrate(database.db);
    await loadDemo({ db: database.db, ...demoInput });
    const client = (database.db as unknown as { $client: import('@electric-sql/pglite').PGlite }).$client;
    const dump = await client.dumpDataDir('none');
    const file = path.join(dir, 'pglite.tar');
    writeFileSync(file, Buffer.from(await dump.arrayBuffer()));
    await database.close();
    project.provide('demo', { keyPem, storeDir, pgliteDump: file });
  }
  console.log(`demo county loaded once for ${project.name} in ${Math.round(performance.now() - started)} ms`);
  return async () => {
    await dropTemplate();
    rmSync(dir, { recursive: true, force: true });
  };
}
