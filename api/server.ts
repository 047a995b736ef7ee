// Starting and stopping the one process: database, migrations, first admin, demo, HTTP.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { getRequestListener } from '@hono/node-server';
import compression from 'compression';
import { openDatabase, type Database } from '../db/client.ts';
import { prepareDatabase } from '../db/startup.ts';
import { createFileStore } from '../db/vouchers/storage.ts';
import { notifierFromConfig, schedulerNotifier } from '../jobs/notify.ts';
import { startScheduler } from '../jobs/scheduler.ts';
import { createFrontDoor, type AstroHandler } from './app.ts';
import { loadLogSigner } from './log-key.ts';
import { clientDir, ensureBuilt, serverEntry } from './build.ts';
import type { Config } from './config.ts';

export interface Running {
  server: Server;
  database: Database;
  url: string;
  stop(): Promise<void>;
}

export interface StartOptions {
  log?: (line: string) => void;
  /** Skip the build check (tests that built once already). */
  skipBuild?: boolean;
}

export async function startPortal(config: Config, options: StartOptions = {}): Promise<Running> {
  const log = options.log ?? console.log;
  const started = performance.now();
  if (!options.skipBuild) ensureBuilt(log);

  const database = await openDatabase(
    config.databaseUrl ? { kind: 'postgres', url: config.databaseUrl } : { kind: 'pglite', dir: path.join(config.dataDir, 'pglite') },
  );
  let stopScheduler: (() => Promise<void>) | undefined;
  try {
    const now = () => new Date();
    const signer = loadLogSigner(config, log);
    const store = createFileStore(path.join(config.dataDir, 'vouchers'));
    let generatedPassword: string | undefined;
    const prepared = await prepareDatabase({
      db: database.db,
      now: now(),
      adminPassword: config.adminPassword ?? (generatedPassword = randomBytes(12).toString('base64url')),
      demo: config.demo,
      embedded: database.kind === 'pglite',
      signer,
      store,
    });
    if (prepared.migrationsApplied) log(`数据库已迁移 (migrations applied): ${prepared.migrationsApplied}`);
    if (prepared.demo) {
      const d = prepared.demo;
      log(`已载入演示县 青山县 (demo county loaded): ${d.regions} 个区划，${d.villages} 个村，${d.entries} 条分录，${d.vouchers} 张凭证，公开 ${d.periods} 个账期`);
    }
    const createdAdmin = prepared.createdAdmin;

    // The job queue lives in the same database: every process on it shares the queues, and a
    // job (a check run, the nightly run, the digest) runs in one of them only.
    const scheduler = await startScheduler({
      database,
      now,
      checksSchedule: config.checksSchedule,
      checksConcurrency: config.checksConcurrency,
      digestSchedule: config.digestSchedule,
      notifier: schedulerNotifier({ db: database.db, now, setup: notifierFromConfig(config) }),
      log,
    });
    stopScheduler = () => scheduler.stop();

    const { handler } = (await import(pathToFileURL(serverEntry).href)) as { handler: AstroHandler };
    const app = createFrontDoor({ database, config, now, signer, store, dispatch: scheduler.dispatch }, { site: { handler, clientDir } });
    const listener = getRequestListener(app.fetch);
    const compress = compression();
    const server = createServer((req, res) => compress(req as never, res as never, () => void listener(req, res)));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, resolve);
    });
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    const url = `http://${host}:${port}`;

    // One write, so whoever reads the "portal running" line has the sign-in line too.
    const lines = [
      `阳光村务 已启动 (portal running): ${url}  [${database.kind}: ${database.location}]  ${Math.round(performance.now() - started)} ms`,
    ];
    if (createdAdmin) {
      lines.push(
        generatedPassword
          ? `管理员登录 (admin sign-in): ${url}/signin  用户名 admin  密码 ${generatedPassword}  (set ADMIN_PASSWORD to choose it)`
          : `管理员登录 (admin sign-in): ${url}/signin  用户名 admin  密码: ADMIN_PASSWORD`,
      );
    }
    log(lines.join('\n'));

    let stopping: Promise<void> | undefined;
    const stop = () =>
      (stopping ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
          setTimeout(() => server.closeAllConnections(), 5_000).unref();
        });
        await scheduler.stop();
        await database.close();
      })());
    return { server, database, url, stop };
  } catch (err) {
    await stopScheduler?.().catch(() => {});
    await database.close();
    throw err;
  }
}
