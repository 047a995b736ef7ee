// What `npm start` does to the database before serving: migrate, make the first
// administrator, load the demo county. Serialised across processes by an advisory lock, so
// two servers starting together on one PostgreSQL neither duplicate nor collide.
import { sql } from 'drizzle-orm';
import type { Db } from './client.ts';
import { isEmpty, loadDemo, type DemoSummary } from './demo.ts';
import type { LogSigner } from './ledger/checkpoint.ts';
import type { BlobStore } from './vouchers/storage.ts';
import { migrate } from './migrate.ts';
import { ensureFirstAdmin } from './users.ts';

const STARTUP_LOCK_KEY = 518_810_002;

export interface StartupInput {
  db: Db;
  now: Date;
  /** Password of the first administrator, used only when none exists. */
  adminPassword: string;
  /** true: load the demo into an empty database; false: never; undefined: only into an empty embedded one. */
  demo: boolean | undefined;
  embedded: boolean;
  signer: LogSigner;
  store: BlobStore;
}

export interface StartupResult {
  migrationsApplied: number;
  createdAdmin: boolean;
  demo: DemoSummary | null;
}

export async function prepareDatabase(input: StartupInput): Promise<StartupResult> {
  const { applied } = await migrate(input.db);
  return input.db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${STARTUP_LOCK_KEY})`);
    const db = tx as unknown as Db; // nested transactions become savepoints
    const empty = await isEmpty(db);
    const createdAdmin = await ensureFirstAdmin({ db, now: input.now, password: input.adminPassword });
    const wantDemo = input.demo ?? input.embedded;
    const demo = wantDemo && empty ? await loadDemo({ db, now: input.now, signer: input.signer, store: input.store }) : null;
    return { migrationsApplied: applied.length, createdAdmin, demo };
  });
}
