// Every bad input to the ledger routes is refused with the interchange.md envelope and
// stores nothing; the good paths (CSV in each encoding, XLSX, vouchers, publication,
// reversal, deletion of a draft import) store exactly what they say.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { count, eq, sql } from 'drizzle-orm';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, entryVouchers, importBatches, ledgerEntries, publications, vouchers } from '../../db/schema.ts';
import { ADMIN, useTestApp } from '../support/app.ts';
import { uploadForm } from '../support/policy.ts';
import { zipBytes } from '../support/zip.ts';

// This file's own temporary directory (os.tmpdir() reads TMPDIR at each call): no upload, refused
// or stored, may leave its files or its extracted ZIP behind.
const outerTmp = process.env.TMPDIR;
const tmp = mkdtempSync(path.join(tmpdir(), 'ygcw-ledger-inputs-'));
process.env.TMPDIR = tmp;
afterAll(() => {
  if (outerTmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = outerTmp;
  rmSync(tmp, { recursive: true, force: true });
});
afterEach(() => {
  expect(readdirSync(tmp).filter((name) => name.startsWith('ygcw-upload-') || name.startsWith('ygcw-import-'))).toEqual([]);
});

const t = useTestApp({ config: { BODY_LIMIT_UPLOAD: String(256 * 1024) } });
const VILLAGE = '519901101203'; // 回龙村
const base = `/api/v1/villages/${VILLAGE}`;
const HEADER = '日期,凭证号,摘要,科目编码,收入,支出,收付款方,结算方式,发票号码,经办人,决议编号';
const csv = (...rows: string[]) => `${[HEADER, ...rows].join('\n')}\n`;
let seq = 0;
/** A valid expense row with a fresh voucher number in January 2025. */
const row = (over: Partial<Record<'date' | 'voucher' | 'summary' | 'account' | 'income' | 'expense' | 'party', string>> = {}) => {
  const n = ++seq;
  const v = { date: '2025-01-10', voucher: `记-2025-01-${String(n).padStart(3, '0')}`, summary: `办公用品${n}`, account: '51302', income: '', expense: '12.50', party: '文具店', ...over };
  return `${v.date},${v.voucher},${v.summary},${v.account},${v.income},${v.expense},${v.party},现金,,,`;
};

let cookie = '';
const upload = (content: string | Uint8Array<ArrayBuffer>, name = 'ledger.csv', path = `${base}/imports`) =>
  t.request(path, { method: 'POST', body: uploadForm(name, content), cookie });
const counts = async () => {
  const db = t.database.db;
  const n = async (table: typeof ledgerEntries | typeof importBatches | typeof vouchers | typeof entryVouchers | typeof publications) =>
    (await db.select({ n: count() }).from(table))[0]!.n;
  return {
    entries: await n(ledgerEntries),
    batches: await n(importBatches),
    vouchers: await n(vouchers),
    links: await n(entryVouchers),
    publications: await n(publications),
  };
};
type ErrorBody = { error: { code: string; message: string }; rows?: { row: number; column: string; code: string; message: string }[]; files?: { file: string; code: string }[] };

/** Sends a bad upload and checks the status, the error code, and that nothing was stored. */
async function refused(send: () => Promise<Response>, status: number, code: string): Promise<ErrorBody> {
  const before = await counts();
  const res = await send();
  const body = (await res.json()) as ErrorBody;
  expect(res.status, JSON.stringify(body)).toBe(status);
  expect(body.error.code).toBe(code);
  expect(body.error.message).toMatch(/[\u4e00-\u9fff]/);
  expect(await counts()).toEqual(before);
  return body;
}

beforeAll(async () => {
  cookie = await t.signIn(ADMIN.username, ADMIN.password);
  expect((await t.request(`${base}/opening-balance`, { method: 'PUT', json: { date: '2024-01-01', amountFen: 1_000_000 }, cookie })).status).toBe(200);
  expect(
    (await t.request(`${base}/decisions`, { method: 'POST', json: { ref: '决-2025-01', title: '道路硬化', decidedOn: '2025-01-02', amountFen: 5_000_000 }, cookie })).status,
  ).toBe(201);
});

describe('ledger rows', () => {
  it.each([
    ['both amounts', { income: '10.00', expense: '12.50' }, 'amount_both'],
    ['neither amount', { expense: '' }, 'amount_missing'],
    ['three decimals', { expense: '12.345' }, 'amount_format'],
    ['letters in an amount', { expense: '12a.00' }, 'amount_format'],
    ['an unknown account', { account: '51399' }, 'account_unknown'],
    ['an impossible date', { date: '2025-02-30' }, 'date_invalid'],
  ])('refuses %s with 422 naming row and column', async (_what, over, code) => {
    const body = await refused(() => upload(csv(row(), row(over))), 422, 'invalid_rows');
    expect(body.rows).toEqual([expect.objectContaining({ row: 3, code })]);
    expect(body.rows![0]!.column).toMatch(/^(收入|支出|科目编码|日期)$/);
  });

  it('reports every invalid row, not just the first', async () => {
    const body = await refused(
      () => upload(csv(row({ expense: 'abc' }), row(), row({ date: '2025-13-01' }), row({ income: '1', expense: '1' }))),
      422,
      'invalid_rows',
    );
    expect(body.rows!.map((r) => [r.row, r.code])).toEqual([
      [2, 'amount_format'],
      [4, 'date_invalid'],
      [5, 'amount_both'],
    ]);
  });

  it('refuses a voucher number twice in the file', async () => {
    const body = await refused(() => upload(csv(row({ voucher: '记-2025-01-900' }), row({ voucher: '记-2025-01-900' }))), 422, 'invalid_rows');
    expect(body.rows!.map((r) => [r.row, r.code])).toEqual([
      [2, 'voucher_duplicate'],
      [3, 'voucher_duplicate'],
    ]);
  });

  it('refuses a voucher number already stored for the village and year', async () => {
    const first = await upload(csv(row({ voucher: '记-2025-01-901' })), 'first.csv');
    expect(first.status).toBe(201);
    const body = await refused(() => upload(csv(row(), row({ voucher: '记-2025-01-901' }))), 422, 'invalid_rows');
    expect(body.rows).toEqual([expect.objectContaining({ row: 3, code: 'voucher_exists' })]);
  });

  it('refuses a file without a required column', async () => {
    const body = await refused(() => upload('日期,摘要,科目编码,支出,收付款方\n2025-01-10,办公,51302,12.50,店\n'), 422, 'invalid_rows');
    expect(body.rows).toEqual([expect.objectContaining({ row: 1, code: 'missing_column', column: '凭证号' })]);
  });

  it('refuses an empty file with 400', async () => {
    await refused(() => upload(''), 400, 'empty_file');
  });

  it('refuses a binary file named .csv with 415', async () => {
    const bytes = new Uint8Array(4096);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919) % 256;
    await refused(() => upload(bytes, 'ledger.csv'), 415, 'unsupported_type');
  });

  it('refuses a file over the size cap with 413', async () => {
    await refused(() => upload(csv(...Array.from({ length: 4000 }, () => row()))), 413, 'too_large');
  });

  it('refuses an upload that is not multipart with 415', async () => {
    await refused(() => t.request(`${base}/imports`, { method: 'POST', json: { file: 'x' }, cookie }), 415, 'multipart_required');
  });

  it('refuses an upload to a village outside the caller’s scope with 403', async () => {
    await t.addUser('other-town-kuaiji', 'accountant', '519901102000');
    const other = await t.signIn('other-town-kuaiji');
    await refused(() => t.request(`${base}/imports`, { method: 'POST', body: uploadForm('l.csv', csv(row())), cookie: other }), 403, 'out_of_scope');
  });
});

describe('ZIP uploads', () => {
  it('refuses a ZIP bomb', async () => {
    const zip = zipBytes([
      { name: 'ledger.csv', data: csv(row()) },
      { name: 'padding.png', data: Buffer.alloc(20 * 1024 * 1024) },
    ]);
    await refused(() => upload(new Uint8Array(zip), 'bomb.zip'), 413, 'zip_ratio');
  });

  it('refuses names with ../ and absolute paths', async () => {
    for (const name of ['../evil.png', '/etc/evil.png']) {
      const zip = zipBytes([{ name: 'ledger.csv', data: csv(row()) }, { name, data: Buffer.from('x') }]);
      await refused(() => upload(new Uint8Array(zip), 'paths.zip'), 400, 'zip_entry_path');
    }
  });

  it('refuses a nested archive', async () => {
    const inner = zipBytes([{ name: 'a.csv', data: 'x' }]);
    const zip = zipBytes([{ name: 'ledger.csv', data: csv(row()) }, { name: 'inner.zip', data: inner }]);
    await refused(() => upload(new Uint8Array(zip), 'nested.zip'), 400, 'zip_nested_archive');
  });

  it('refuses a voucher image that is really HTML, naming the file', async () => {
    const voucher = `记-2025-01-${String(seq + 1).padStart(3, '0')}`;
    const zip = zipBytes([
      { name: 'ledger.csv', data: csv(row()) },
      { name: `${voucher}.jpg`, data: '<html><script>alert(1)</script></html>' },
    ]);
    const body = await refused(() => upload(new Uint8Array(zip), 'html.zip'), 422, 'invalid_rows');
    expect(body.files).toEqual([expect.objectContaining({ file: `${voucher}.jpg`, code: 'voucher_type' })]);
  });

  it('attaches vouchers by number and page suffix, re-encoded without metadata', async () => {
    const png = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#c00' } })
      .png()
      .withMetadata({ exif: { IFD0: { ImageDescription: 'GPS 13812345678' } } })
      .toBuffer();
    const jpeg = await sharp({ create: { width: 30, height: 40, channels: 3, background: '#0c0' } }).jpeg().toBuffer();
    const a = `记-2025-01-${String(seq + 1).padStart(3, '0')}`;
    const zip = zipBytes([
      { name: 'ledger.csv', data: csv(row(), row()) },
      { name: `${a}.png`, data: png },
      { name: `${a}-2.jpg`, data: jpeg },
    ]);
    const res = await upload(new Uint8Array(zip), 'vouchers.zip');
    expect(res.status, await res.clone().text()).toBe(201);
    expect(await res.json()).toMatchObject({ entries: 2, vouchers: 2 });
    const links = await t.database.db
      .select({ page: entryVouchers.page, voucherNo: ledgerEntries.voucherNo })
      .from(entryVouchers)
      .innerJoin(ledgerEntries, eq(ledgerEntries.id, entryVouchers.entryId))
      .where(eq(ledgerEntries.voucherNo, a));
    expect(links.map((l) => l.page).sort()).toEqual([1, 2]);

    // Staff get the original, byte for byte; the public only once published (and then a re-encoded copy).
    const [v] = await t.database.db
      .select({ sha: entryVouchers.voucherSha256 })
      .from(entryVouchers)
      .innerJoin(ledgerEntries, eq(ledgerEntries.id, entryVouchers.entryId))
      .where(sql`${ledgerEntries.voucherNo} = ${a} and ${entryVouchers.page} = 1`);
    const original = await t.request(`${base}/vouchers/${v!.sha}/original`, { cookie });
    expect(original.status).toBe(200);
    expect(original.headers.get('content-disposition')).toContain('attachment');
    expect(Buffer.from(await original.arrayBuffer()).equals(png)).toBe(true);
    expect((await t.request(`/api/v1/public/vouchers/${v!.sha}`)).status).toBe(404);
  });
});

describe('other formats', () => {
  it('imports GB18030 CSV and an XLSX with date cells and numeric amounts', async () => {
    const gb = new TextDecoder('gb18030'); // only to check round-trips below
    const text = csv(row({ summary: '村委会办公室维修', party: '青山县底洞富兵电器维修部' }));
    // Encode to GB18030 through a reverse lookup of the characters used.
    const bytes: number[] = [];
    for (const ch of text) {
      if (ch.charCodeAt(0) < 0x80) bytes.push(ch.charCodeAt(0));
      else bytes.push(...gbBytes(ch));
    }
    expect(gb.decode(new Uint8Array(bytes))).toBe(text);
    const res = await upload(new Uint8Array(bytes), 'gbk.csv');
    expect(res.status, await res.clone().text()).toBe(201);
    const [stored] = await t.database.db.select().from(ledgerEntries).where(eq(ledgerEntries.summary, '村委会办公室维修'));
    expect(stored).toMatchObject({ counterparty: '青山县底洞富兵电器维修部', amountFen: 1250 });

    const book = new ExcelJS.Workbook();
    const sheet = book.addWorksheet('账本');
    sheet.addRow(HEADER.split(','));
    sheet.addRow([new Date(Date.UTC(2025, 0, 20)), '记-2025-01-950', 'XLSX 导入', '51305', null, 1234.5, '会议中心', '转账', null, null, null]);
    sheet.addRow([new Date(Date.UTC(2025, 0, 21)), '记-2025-01-951', '补助收入', '503', 55000, null, '县财政局', '转账', null, null, '决-2025-99']);
    const xlsx = await book.xlsx.writeBuffer();
    const res2 = await upload(new Uint8Array(xlsx as ArrayBuffer), 'ledger.xlsx');
    expect(res2.status, await res2.clone().text()).toBe(201);
    const answer = (await res2.json()) as { entries: number; warnings: string[] };
    expect(answer.entries).toBe(2);
    expect(answer.warnings.join()).toContain('决-2025-99'); // an unregistered decision is a warning, not an error
    const rows = await t.database.db.select().from(ledgerEntries).where(sql`${ledgerEntries.voucherNo} in ('记-2025-01-950', '记-2025-01-951')`);
    expect(rows.map((r) => [r.date, r.amountFen, r.direction]).sort()).toEqual([
      ['2025-01-20', 123450, 'expense'],
      ['2025-01-21', 5500000, 'income'],
    ]);
  });
});

/** GB18030 bytes of one character, found by searching the two-byte range. */
const gbCache = new Map<string, number[]>();
function gbBytes(ch: string): number[] {
  if (!gbCache.size) {
    const dec = new TextDecoder('gb18030');
    for (let a = 0x81; a <= 0xfe; a++) {
      for (let b = 0x40; b <= 0xfe; b++) {
        if (b === 0x7f) continue;
        const s = dec.decode(new Uint8Array([a, b]));
        if (!gbCache.has(s)) gbCache.set(s, [a, b]);
      }
    }
  }
  const found = gbCache.get(ch);
  if (!found) throw new Error(`no two-byte GB18030 code for ${ch}`);
  return found;
}

describe('single voucher uploads', () => {
  let entryId = '';
  beforeAll(async () => {
    const voucher = `记-2025-01-${String(seq + 1).padStart(3, '0')}`;
    expect((await upload(csv(row()), 'single.csv')).status).toBe(201);
    const [e] = await t.database.db.select().from(ledgerEntries).where(eq(ledgerEntries.voucherNo, voucher));
    entryId = e!.id;
  });
  const attach = (content: string | Uint8Array<ArrayBuffer>, name: string) => upload(content, name, `${base}/entries/${entryId}/vouchers`);

  it.each([
    ['HTML saved as .jpg', '<!doctype html><html><body>hi</body></html>', 'receipt.jpg'],
    ['SVG saved as .png', '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', 'receipt.png'],
    ['an executable saved as .pdf', '\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00', 'invoice.pdf'],
  ])('refuses %s with 415', async (_what, content, name) => {
    await refused(() => attach(content, name), 415, 'voucher_type');
  });

  it('attaches a PNG as the next page, and refuses more once the entry is published', async () => {
    const png = await sharp({ create: { width: 10, height: 10, channels: 3, background: '#00f' } }).png().toBuffer();
    const res = await attach(new Uint8Array(png), 'photo.png');
    expect(res.status, await res.clone().text()).toBe(201);
    const attached = (await res.json()) as { pages: { page: number; mime: string; sha256: string }[] };
    expect(attached).toMatchObject({ pages: [{ page: 1, mime: 'image/png' }] });
    expect((await t.request(`${base}/publications`, { method: 'POST', json: { period: '2025-01' }, cookie })).status).toBe(200);
    await refused(() => attach(new Uint8Array(png), 'again.png'), 409, 'published_immutable');

    // Published: the public get the re-encoded copy and a WebP thumbnail, never the original bytes.
    const sha = attached.pages[0]!.sha256;
    const copy = await t.request(`/api/v1/public/vouchers/${sha}`);
    expect(copy.status).toBe(200);
    expect(copy.headers.get('content-type')).toBe('image/png');
    const thumb = await t.request(`/api/v1/public/vouchers/${sha}?size=thumbnail`);
    expect(thumb.headers.get('content-type')).toBe('image/webp');
    expect((await sharp(Buffer.from(await thumb.arrayBuffer())).metadata()).format).toBe('webp');
  });
});

describe('publication and corrections', () => {
  it('refuses to publish a period twice (409), a future period (400), or out of order (409)', async () => {
    await refused(() => t.request(`${base}/publications`, { method: 'POST', json: { period: '2025-01' }, cookie }), 409, 'period_published');
    await refused(() => t.request(`${base}/publications`, { method: 'POST', json: { period: '2026-02' }, cookie }), 400, 'period_future');
    await refused(() => t.request(`${base}/publications`, { method: 'POST', json: { period: '2024-12' }, cookie }), 409, 'period_before_published');
  });

  it('refuses rows in a published period', async () => {
    const body = await refused(() => upload(csv(row({ date: '2025-01-31' }))), 422, 'invalid_rows');
    expect(body.rows).toEqual([expect.objectContaining({ code: 'period_closed' })]);
  });

  it('corrects a published entry with a linked reversal entry in an open period', async () => {
    const [original] = await t.database.db
      .select()
      .from(ledgerEntries)
      .where(sql`${ledgerEntries.villageCode} = ${VILLAGE} and ${ledgerEntries.status} = 'published'`)
      .limit(1);
    const reverse = (json: unknown) => t.request(`${base}/entries/${original!.id}/reversal`, { method: 'POST', json, cookie });
    await refused(() => reverse({ date: '2025-01-20', voucherNo: '记-2025-02-R1' }), 409, 'period_closed');
    const res = await reverse({ date: '2025-02-03', voucherNo: '记-2025-02-R1', reason: '金额记错' });
    expect(res.status, await res.clone().text()).toBe(201);
    const { id } = (await res.json()) as { id: string };
    const [reversal] = await t.database.db.select().from(ledgerEntries).where(eq(ledgerEntries.id, id));
    expect(reversal).toMatchObject({ reversesId: original!.id, amountFen: -original!.amountFen, status: 'draft', period: '2025-02' });
    expect(reversal!.summary).toContain(original!.voucherNo);
    await refused(() => reverse({ date: '2025-02-04', voucherNo: '记-2025-02-R2' }), 409, 'entry_already_reversed');

    const published = await t.request(`${base}/publications`, { method: 'POST', json: { period: '2025-02' }, cookie });
    const [period] = ((await published.json()) as { periods: { entries: number }[] }).periods;
    expect(period!.entries).toBe(1);
    const ledger = (await (await t.request(`/api/v1/public/villages/${VILLAGE}/ledger?period=2025-02`)).json()) as {
      expenseFen: number;
      items: { reversesId: string; amountFen: number }[];
    };
    expect(ledger.items).toEqual([expect.objectContaining({ reversesId: original!.id, amountFen: -original!.amountFen })]);
    expect(ledger.expenseFen).toBe(-original!.amountFen);
  });

  it('refuses to delete an import with published entries, and deletes a draft one', async () => {
    const batches = (await (await t.request(`${base}/imports`, { cookie })).json()) as { batches: { id: string; fileName: string }[] };
    const publishedBatch = batches.batches.find((b) => b.fileName === 'first.csv')!;
    await refused(() => t.request(`${base}/imports/${publishedBatch.id}`, { method: 'DELETE', cookie }), 409, 'published_immutable');

    const draft = await upload(csv(row({ date: '2025-03-05' })), 'draft.csv');
    const { batchId } = (await draft.json()) as { batchId: string };
    const before = await counts();
    const res = await t.request(`${base}/imports/${batchId}`, { method: 'DELETE', cookie });
    expect(await res.json()).toEqual({ deleted: 1 });
    expect((await counts()).entries).toBe(before.entries - 1);
    const audit = await t.database.db.select().from(auditLog).where(eq(auditLog.entityId, batchId));
    expect(audit.map((a) => a.action).sort()).toEqual(['import.delete', 'ledger.import']);
  });

  it('keeps the opening balance once a period is published', async () => {
    await refused(
      () => t.request(`${base}/opening-balance`, { method: 'PUT', json: { date: '2024-01-01', amountFen: 1 }, cookie }),
      409,
      'opening_balance_fixed',
    );
  });
});
