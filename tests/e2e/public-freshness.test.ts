// The village page and the ledger page are rendered once per data version and then sent from
// memory (site/lib/http-cache.ts pageCache, versions read fresh on every request). This checks
// that they never go stale: a publication, a neighbour's publication (the township median) and
// new officials show on the very next request — on PGlite with one server, and on PostgreSQL
// with the change made through one server and the pages read from another — and that signed-in
// staff never get the shared copy (nor leave theirs behind).
import { afterAll, describe, expect, it } from 'vitest';
import { newLogKeyPem } from '../../api/log-key.ts';
import { yuan } from '../../site/lib/format.ts';
import { createPostgresDatabase } from '../support/database.ts';
import { removeDir, startServer, tempDir, type ServerProcess } from '../support/server.ts';

const V1 = '519901101201';
const V2 = '519901101202';
const HEADER = '日期,凭证号,摘要,科目编码,收入,支出,收付款方,结算方式';
const OPENING = 1_000_000;

interface Setup {
  writer: ServerProcess;
  reader: ServerProcess;
}

async function signIn(server: ServerProcess): Promise<string> {
  const res = await fetch(`${server.url}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: 'admin-password-1' }),
  });
  expect(res.status, await res.clone().text()).toBeLessThan(300);
  const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  expect(cookie).toContain('=');
  return cookie;
}

function api(server: ServerProcess, cookie: string) {
  return async (method: string, path: string, body: unknown, expected: number) => {
    const init: RequestInit =
      body instanceof FormData
        ? { method, headers: { cookie }, body }
        : { method, headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify(body) };
    const res = await fetch(`${server.url}/api/v1${path}`, init);
    expect(res.status, `${method} ${path}: ${await res.clone().text()}`).toBe(expected);
  };
}

const ledgerFile = (lines: string[]) => {
  const form = new FormData();
  form.append('file', new Blob([[HEADER, ...lines].join('\n')], { type: 'text/csv' }), 'ledger.csv');
  return form;
};

async function page(server: ServerProcess, path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.url}${path}`, { headers });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

async function scenario({ writer, reader }: Setup) {
  const call = api(writer, await signIn(writer));
  await call(
    'PUT',
    '/regions',
    [
      { code: '510000000000', name: '四川省' },
      { code: '519900000000', name: '测试市' },
      { code: '519901000000', name: '测试县' },
      { code: '519901101000', name: '新鲜镇' },
      { code: V1, name: '甲村' },
      { code: V2, name: '乙村' },
    ],
    200,
  );
  await call('PUT', `/villages/${V1}/officials`, [{ name: '张三', post: '村党支部书记', duties: '全面工作' }], 200);
  for (const v of [V1, V2]) {
    await call('PUT', `/villages/${v}/opening-balance`, { date: '2025-12-31', amountFen: OPENING }, 200);
    await call('POST', `/villages/${v}/imports`, ledgerFile(['2026-01-05,记-2026-01-001,办公用品,51302,,100.00,某文具店,现金']), 201);
    await call('POST', `/villages/${v}/publications`, { period: '2026-01' }, 200);
  }

  // Read twice: the second answer is the kept copy, identical.
  const village = `/villages/${V1}`;
  const first = await page(reader, village);
  expect(first.status).toBe(200);
  expect(first.text).toContain(yuan(OPENING - 10_000));
  expect(first.text).toContain('张三');
  expect(first.text).toContain('的 2 个村');
  expect((await page(reader, village)).text).toBe(first.text);
  const ledger = await page(reader, `${village}/ledger`);
  expect(ledger.text).toContain('记-2026-01-001');
  expect((await page(reader, `${village}/ledger`)).text).toBe(ledger.text);
  const january = await page(reader, `${village}/ledger?period=2026-01`);
  expect(january.text).not.toContain('2026-02');

  // V1 publishes February: the next request shows it, ETag and all.
  await call('POST', `/villages/${V1}/imports`, ledgerFile(['2026-02-03,记-2026-02-001,保洁费,51302,,250.00,某保洁公司,转账']), 201);
  await call('POST', `/villages/${V1}/publications`, { period: '2026-02' }, 200);
  const after = await page(reader, village, { 'if-none-match': first.headers.get('etag')! });
  expect(after.status).toBe(200);
  expect(after.headers.get('etag')).not.toBe(first.headers.get('etag'));
  expect(after.text).toContain(yuan(OPENING - 35_000));
  expect(after.text).toContain('保洁费');
  // Only V1 has reached February now: the median is over one village.
  expect(after.text).toContain('的 1 个村');
  expect((await page(reader, `${village}/ledger`)).text).toContain('记-2026-02-001');
  expect((await page(reader, `${village}/ledger?period=2026-01`)).text).toContain('2026-02 →');

  // A neighbour's publication moves the township median on V1's page.
  await call('POST', `/villages/${V2}/imports`, ledgerFile(['2026-02-04,记-2026-02-001,保洁费,51302,,50.00,某保洁公司,转账']), 201);
  await call('POST', `/villages/${V2}/publications`, { period: '2026-02' }, 200);
  expect((await page(reader, village)).text).toContain('的 2 个村');

  // New officials show at once.
  await call('PUT', `/villages/${V1}/officials`, [{ name: '李四', post: '村委会主任', duties: '财务' }], 200);
  const officials = await page(reader, village);
  expect(officials.text).toContain('李四');
  expect(officials.text).not.toContain('张三');

  // Staff get their own page, never kept and never the kept one; the public still get theirs.
  const staff = await signIn(reader);
  for (const path of [village, `${village}/ledger`]) {
    const mine = await page(reader, path, { cookie: staff });
    expect(mine.headers.get('cache-control')).toBe('private, no-store');
    expect(mine.text).toContain('退出登录');
    const pub = await page(reader, path);
    expect(pub.headers.get('cache-control')).toContain('public');
    expect(pub.text).not.toContain('退出登录');
    expect((await page(reader, path, { cookie: staff })).text).toContain('退出登录');
  }
}

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

describe('public pages kept in memory are never stale', () => {
  it('PGlite, one server: publication, neighbour, officials and staff', async () => {
    const dir = tempDir();
    cleanups.push(() => removeDir(dir));
    const server = await startServer({ DATA_DIR: dir, ADMIN_PASSWORD: 'admin-password-1', DEMO: '0' });
    cleanups.push(async () => void (await server.stop()));
    await scenario({ writer: server, reader: server });
  });

  const postgres = process.env.TEST_DATABASE_URL;
  // PostgreSQL is optional outside CI (vitest.config.ts prints when TEST_DATABASE_URL is unset).
  it.runIf(postgres)('PostgreSQL, two servers: changes made through one show on the other at once', async () => {
    const { url, drop } = await createPostgresDatabase();
    cleanups.push(drop);
    const env = { DATABASE_URL: url, ADMIN_PASSWORD: 'admin-password-1', DEMO: '0', LOG_SIGNING_KEY: newLogKeyPem() };
    const [dirA, dirB] = [tempDir(), tempDir()];
    cleanups.push(() => removeDir(dirA), () => removeDir(dirB));
    const writer = await startServer({ ...env, DATA_DIR: dirA });
    cleanups.push(async () => void (await writer.stop()));
    const reader = await startServer({ ...env, DATA_DIR: dirB });
    cleanups.push(async () => void (await reader.stop()));
    await scenario({ writer, reader });
  });
});
