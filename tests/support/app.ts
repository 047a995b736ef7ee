// The API as a test drives it: the real front door (routing, middleware, error mapping) on a
// fresh database, called through Hono's fetch interface, plus helpers to seed staff.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, inject } from 'vitest';
import { newLogKeyPem } from '../../api/log-key.ts';
import { signerFromPem, type LogSigner } from '../../db/ledger/checkpoint.ts';
import { createFileStore, type BlobStore } from '../../db/vouchers/storage.ts';
import { createFrontDoor } from '../../api/app.ts';
import { parseConfig, type Config } from '../../api/config.ts';
import { systemActor } from '../../db/audit.ts';
import { readDemoRegions } from '../../db/demo.ts';
import { upsertRegions } from '../../db/regions.ts';
import type { Role } from '../../db/schema.ts';
import { createUser } from '../../db/users.ts';
import { DEMO_NOW } from './demo-snapshot.ts';
import { demoDatabase, freshDatabase, type TestDatabase } from './database.ts';

export const ADMIN = { username: 'admin', password: 'admin-password-1' };
export const PASSWORD = 'correct-horse-battery';

export interface TestApp {
  database: TestDatabase;
  config: Config;
  /** A request to the app; `init.json` is sent as a JSON body. */
  request(path: string, init?: RequestInit & { json?: unknown; cookie?: string; token?: string }): Promise<Response>;
  /** Signs in through the API and returns the session cookie (`name=value`). */
  signIn(username: string, password?: string): Promise<string>;
  /** Creates a staff account directly (as the system) and returns its id. */
  addUser(username: string, role: Role, scope: string): Promise<string>;
  now: Date;
  signer: LogSigner;
  store: BlobStore;
  dataDir: string;
}

/** Registers hooks that build a fresh app per test file; the object is filled in beforeAll. */
/** `demo`: 'regions' (default) loads the demo county's regions, 'full' the whole demo (ledgers published), 'none' nothing. */
export function useTestApp(options: { demo?: 'none' | 'regions' | 'full'; config?: Record<string, string> } = {}): TestApp {
  const t = { now: new Date(DEMO_NOW) } as TestApp;
  beforeAll(async () => {
    const demo = options.demo ?? 'regions';
    t.database = demo === 'full' ? await demoDatabase() : await freshDatabase();
    t.config = parseConfig({ DATA_DIR: '/nonexistent', ...options.config });
    const ctx = { db: t.database.db, now: t.now, actor: systemActor('test') };
    t.dataDir = mkdtempSync(path.join(tmpdir(), 'ygcw-test-'));
    // The full demo comes with the key that signed its log and the store holding its vouchers.
    const snapshot = demo === 'full' ? inject('demo') : null;
    t.signer = signerFromPem('test-log', snapshot?.keyPem ?? newLogKeyPem());
    t.store = createFileStore(snapshot?.storeDir ?? path.join(t.dataDir, 'vouchers'));
    if (demo === 'regions') await upsertRegions({ ...ctx, input: await readDemoRegions() });
    await createUser({ ...ctx, input: { ...ADMIN, role: 'admin', scope: '000000000000', displayName: '管理员' } });
    const app = createFrontDoor({ database: t.database, config: t.config, now: () => t.now, signer: t.signer, store: t.store });
    t.request = (path, init = {}) => {
      const { json, cookie, token, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (json !== undefined) {
        headers.set('content-type', 'application/json');
        rest.body = JSON.stringify(json);
      }
      if (cookie) headers.set('cookie', cookie);
      if (token) headers.set('authorization', `Bearer ${token}`);
      return Promise.resolve(app.request(path, { ...rest, headers }));
    };
    t.signIn = async (username, password = PASSWORD) => {
      const res = await t.request('/api/v1/session', { method: 'POST', json: { username, password } });
      if (res.status !== 200) throw new Error(`sign-in of ${username} failed: ${res.status} ${await res.text()}`);
      return sessionCookie(res);
    };
    t.addUser = async (username, role, scope) =>
      (await createUser({ ...ctx, input: { username, password: PASSWORD, role, scope, displayName: username } })).id;
  });
  afterAll(async () => {
    await t.database?.dispose();
    if (t.dataDir) rmSync(t.dataDir, { recursive: true, force: true });
  });
  return t;
}

/** The `name=value` of the session cookie a response sets. */
export function sessionCookie(res: Response): string {
  const header = res.headers.getSetCookie().find((c) => c.startsWith('ygcw_session='));
  if (!header) throw new Error('no session cookie set');
  return header.split(';')[0]!;
}
