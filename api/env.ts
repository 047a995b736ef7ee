// The Hono environment shared by every route: dependencies, the request's actor and id.
import type { HttpBindings } from '@hono/node-server';
import type { Actor } from '../db/audit.ts';
import type { RunDispatcher } from '../db/checks.ts';
import type { Database } from '../db/client.ts';
import type { LogSigner } from '../db/ledger/checkpoint.ts';
import type { BlobStore } from '../db/vouchers/storage.ts';
import type { Config } from './config.ts';

export interface Deps {
  database: Database;
  config: Config;
  /** The clock; tests pass a fixed one. */
  now: () => Date;
  /** Signs the ledger log's checkpoints. */
  signer: LogSigner;
  /** Voucher files (originals, public copies, thumbnails). */
  store: BlobStore;
  /** Hands queued check runs to the job queue (absent in tests that drain runs themselves). */
  dispatch?: RunDispatcher | undefined;
}

export interface AppEnv {
  Bindings: Partial<HttpBindings>;
  Variables: {
    deps: Deps;
    requestId: string;
    /** The signed-in staff member (session cookie or API token), or null for the public. */
    actor: Extract<Actor, { kind: 'user' }> | null;
    /** The client's address (X-Forwarded-For only with TRUST_PROXY=1). */
    clientAddress: string;
    https: boolean;
  };
}
