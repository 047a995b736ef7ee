// The real process: start on an empty data directory, the PGlite lock, graceful shutdown,
// and two servers starting together on one PostgreSQL.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { root } from '../../api/build.ts';
import { newLogKeyPem } from '../../api/log-key.ts';
import { createPostgresDatabase } from '../support/database.ts';
import { removeDir, runServerExpectingExit, startServer, tempDir, type ServerProcess } from '../support/server.ts';

/** Starting on an empty database loads the demo county (18 villages, their vouchers, publications):
 * about a minute, two on a machine whose CPU is shared. */
const DEMO_START_MS = 280_000;

const dirs: string[] = [];
const servers: ServerProcess[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  dirs.forEach(removeDir);
});

describe('npm start on the embedded database', () => {
  it('starts on an empty data directory with the demo county and a printed admin sign-in', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const server = await startServer({ DATA_DIR: dir }, DEMO_START_MS);
    servers.push(server);
    console.log(`start-up on an empty data directory: ${Math.round(server.startupMs)} ms (spawn to listening)`);
    const out = server.output();
    expect(out).toContain('demo county loaded');
    const password = /用户名 admin {2}密码 (\S+)/.exec(out)?.[1];
    expect(password).toBeTruthy();

    const health = await fetch(`${server.url}/api/v1/health`);
    expect(await health.json()).toEqual({ status: 'ok', database: 'pglite' });
    const home = await (await fetch(server.url)).text();
    expect(home).toContain('青山县');
    expect(home).toContain('底洞镇');
    expect(home).toContain('<html lang="zh-CN"');

    const signIn = await fetch(`${server.url}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password }),
    });
    expect(signIn.status).toBe(200);

    // npm run verify -- --url …: the independent verifier passes on the published demo county.
    const verify = spawnSync(process.execPath, [path.join(root, 'jobs/verify.ts'), '--url', server.url, '--state', path.join(dir, 'verify.json')], {
      encoding: 'utf8',
    });
    expect(verify.stderr).toBe('');
    expect(verify.status).toBe(0);
    expect(verify.stdout).toMatch(/✓ 18 个村、\d+ 条已公开分录核验无误/);
  }, 300_000);

  it('refuses to open a data directory another process holds, with a clear message', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const first = await startServer({ DATA_DIR: dir, ADMIN_PASSWORD: 'admin-password-1', DEMO: '0' });
    servers.push(first);
    const second = await runServerExpectingExit({ DATA_DIR: dir });
    expect(second.code).toBe(2);
    expect(second.output).toContain('正被另一个进程使用');
    // the first one is unharmed
    expect((await fetch(`${first.url}/api/v1/health`)).status).toBe(200);
  });

  it('stops cleanly on SIGTERM, releasing the directory; data survives a restart', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const first = await startServer({ DATA_DIR: dir, ADMIN_PASSWORD: 'admin-password-1', DEMO: '0' });
    const put = await fetch(`${first.url}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: 'admin-password-1' }),
    });
    expect(put.status).toBe(200);
    expect(await (await fetch(first.url)).text()).toContain('还没有区划数据');
    expect(await first.stop()).toBe(0);
    expect(first.output()).toContain('SIGTERM');

    const second = await startServer({ DATA_DIR: dir, DEMO: '0' });
    servers.push(second);
    // The admin survived: no new one, and the old password works.
    expect(second.output()).not.toContain('admin sign-in');
    expect(second.output()).not.toContain('migrations applied');
    const again = await fetch(`${second.url}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: 'admin-password-1' }),
    });
    expect(again.status).toBe(200);
  });

  it('refuses a bad configuration naming the variable', async () => {
    const result = await runServerExpectingExit({ PORT: 'eighty' });
    expect(result.code).toBe(2);
    expect(result.output).toContain('PORT');
  });
});

const postgres = process.env.TEST_DATABASE_URL;
// PostgreSQL is optional outside CI; with TEST_DATABASE_URL unset this block is not registered
// (vitest.config.ts prints so).
if (postgres) {
  describe('npm start on PostgreSQL', () => {
    it('two servers starting together on one fresh database migrate once and load the demo once', async () => {
      const { url, drop } = await createPostgresDatabase();
      try {
        // Servers sharing a database share the log key (LOG_SIGNING_KEY), each with its own DATA_DIR.
        const env = { DATABASE_URL: url, ADMIN_PASSWORD: 'admin-password-1', DEMO: '1', LOG_SIGNING_KEY: newLogKeyPem() };
        const [dirA, dirB] = [tempDir(), tempDir()];
        dirs.push(dirA, dirB);
        const [a, b] = await Promise.all([startServer({ ...env, DATA_DIR: dirA }, DEMO_START_MS), startServer({ ...env, DATA_DIR: dirB }, DEMO_START_MS)]);
        servers.push(a, b);
        const outs = [a.output(), b.output()];
        expect(outs.filter((o) => o.includes('migrations applied'))).toHaveLength(1);
        expect(outs.filter((o) => o.includes('demo county loaded'))).toHaveLength(1);
        expect(outs.filter((o) => o.includes('admin sign-in'))).toHaveLength(1);
        for (const s of [a, b]) {
          expect(await (await fetch(`${s.url}/api/v1/health`)).json()).toEqual({ status: 'ok', database: 'postgres' });
          expect(await (await fetch(s.url)).text()).toContain('青山县');
        }
        await Promise.all([a.stop(), b.stop()]);
      } finally {
        await drop();
      }
    }, 300_000);
  });
}
