// What the server hands every page (Astro.locals.services): the database and request facts.
// Pages call db/ query and domain functions with it; nothing here reaches the browser.
import type { RunDispatcher } from './checks.ts';
import type { Db, DatabaseKind } from './client.ts';
import type { LogSigner } from './ledger/checkpoint.ts';
import type { BlobStore } from './vouchers/storage.ts';

export interface SiteLocals {
  /** 'en' when the request came in under /en/ (the server strips the prefix). */
  lang: 'zh' | 'en';
  db: Db;
  databaseKind: DatabaseKind;
  now: () => Date;
  clientAddress: string;
  https: boolean;
  requestId: string;
  /** Signs log checkpoints at publication. */
  signer: LogSigner;
  /** Voucher files. */
  store: BlobStore;
  /** Hands queued check runs (e.g. after a publication) to the job queue, when there is one. */
  dispatch?: RunDispatcher | undefined;
}
