import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError } from '../../db/errors.ts';
import type { LedgerRow } from '../../db/ledger/parse.ts';
import { detectFileKind, detectTextEncoding, readLedger, type LedgerHeaderItem, type LedgerItem } from '../../db/ledger/read.ts';
import { openUploadZip } from '../../db/ledger/zip.ts';
import { zipBytes } from '../support/zip.ts';

const VILLAGES = path.resolve(import.meta.dirname, '../../db/demo/qingshan/villages');
const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

let dir: string;
let counter = 0;
/** The CSV of each sample village ZIP, extracted as it is (mixed encodings). */
const sampleCsv = new Map<string, string>();

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ledger-read-'));
  for (const code of (await fs.readdir(VILLAGES)).sort()) {
    const zip = await openUploadZip(path.join(VILLAGES, code, 'ledger.zip'));
    try {
      const dest = path.join(dir, `${code}.csv`);
      await zip.extractTo(zip.ledger.name, dest);
      sampleCsv.set(code, dest);
    } finally {
      zip.close();
    }
  }
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function fixture(content: Buffer | string, ext = 'csv'): Promise<string> {
  const file = path.join(dir, `fixture-${++counter}.${ext}`);
  await fs.writeFile(file, content);
  return file;
}

interface ReadResult {
  header: LedgerHeaderItem;
  rows: LedgerRow[];
  items: Extract<LedgerItem, { type: 'row' }>[];
}

async function readAll(file: string, kind: 'csv' | 'xlsx' = 'csv', maxRows?: number): Promise<ReadResult> {
  let header: LedgerHeaderItem | undefined;
  const items: ReadResult['items'] = [];
  for await (const item of readLedger(file, kind, { maxRows })) {
    if (item.type === 'header') header = item;
    else items.push(item);
  }
  if (!header) throw new Error('no header item');
  return { header, items, rows: items.flatMap((i) => (i.row ? [i.row] : [])) };
}

const allErrors = (result: ReadResult) => [...result.header.errors, ...result.items.flatMap((i) => i.errors)];

async function refusal(promise: Promise<unknown>): Promise<DomainError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DomainError);
  return err as DomainError;
}

const HEADER = '日期,凭证号,摘要,科目编码,收入,支出,收付款方,结算方式,发票号码,经办人,决议编号';
const ROW_A = '2025-03-05,记-2025-03-015,办公用品,51302,,12.50,青山文具店,现金,,张三,';
const ROW_B = '2025/3/6,记-2025-03-016,上级补助,503,"1,000.00",,青山县财政局,转账,,张三,';

describe('sample village ledgers (UTF-8, UTF-8 with BOM and GB18030; Chinese and English headers)', () => {
  it('has 18 sample ZIPs in all three encodings', () => {
    expect(sampleCsv.size).toBe(18);
  });

  it('reads every one with zero errors and well-formed voucher numbers', async () => {
    const encodings = new Set<string>();
    for (const [code, file] of sampleCsv) {
      const head = await fs.readFile(file);
      encodings.add(head.subarray(0, 3).equals(UTF8_BOM) ? 'utf-8-bom' : (detectTextEncoding(head, true) ?? 'none'));
      expect(await detectFileKind(file)).toBe('csv');
      const result = await readAll(file);
      expect(allErrors(result), code).toEqual([]);
      expect(result.header.warnings, code).toEqual([]);
      expect(result.rows.length, code).toBeGreaterThan(250);
      expect(result.rows.length).toBe(result.items.length);
      for (const row of result.rows) {
        expect(row.voucherNo).toMatch(/^记-20(24|25)-\d\d-\d{3}$/);
        expect(row.voucherNo.slice(2, 9)).toBe(row.date.slice(0, 7));
        expect(Number.isSafeInteger(row.amountFen) && row.amountFen > 0).toBe(true);
      }
      expect(result.rows.map((r) => r.row)).toEqual(result.rows.map((_, i) => i + 2));
    }
    expect(encodings).toEqual(new Set(['utf-8', 'utf-8-bom', 'gb18030']));
  });

  it('reads a known row exactly', async () => {
    const { rows } = await readAll(sampleCsv.get('519901101201')!);
    expect(rows.find((r) => r.voucherNo === '记-2024-01-017')).toEqual({
      row: 2,
      date: '2024-01-06',
      voucherNo: '记-2024-01-017',
      summary: '村委会办公室维修',
      accountCode: '51306',
      direction: 'expense',
      amountFen: 36852,
      counterparty: '青山县底洞富兵电器维修部',
      paymentMethod: 'transfer',
      invoiceNo: '51223799601',
      handler: '毛红',
      decisionRef: null,
    });
    expect(rows.at(-1)?.voucherNo).toBe('记-2025-12-148');
  });
});

describe('the same ledger in every encoding', () => {
  // Village 519901101205 is stored as GB18030; repeated eight times it is bigger than the
  // 64 KiB detection window and than a read chunk, so multibyte characters get split.
  let gbBytes: Buffer;
  let expected: LedgerRow[];

  beforeAll(async () => {
    const original = await fs.readFile(sampleCsv.get('519901101205')!);
    expect(detectTextEncoding(original, true)).toBe('gb18030');
    const headerEnd = original.indexOf(0x0a) + 1;
    const body = original.subarray(headerEnd);
    gbBytes = Buffer.concat([original.subarray(0, headerEnd), ...Array.from({ length: 8 }, () => body)]);
    expect(gbBytes.length).toBeGreaterThan(3 * 64 * 1024);
    expected = (await readAll(sampleCsv.get('519901101205')!)).rows;
  });

  it.each(['gb18030', 'utf-8', 'utf-8-bom'] as const)('%s gives identical rows', async (encoding) => {
    const text = new TextDecoder('gb18030').decode(gbBytes);
    const utf8 = Buffer.from(new TextEncoder().encode(text));
    const bytes = encoding === 'gb18030' ? gbBytes : encoding === 'utf-8' ? utf8 : Buffer.concat([UTF8_BOM, utf8]);
    const file = await fixture(bytes);
    expect(await detectFileKind(file)).toBe('csv');
    const result = await readAll(file);
    expect(allErrors(result)).toEqual([]);
    expect(result.rows).toHaveLength(expected.length * 8);
    const withoutRowNumbers = (rows: LedgerRow[]) => rows.map(({ row: _row, ...rest }) => rest);
    expect(withoutRowNumbers(result.rows.slice(0, expected.length))).toEqual(withoutRowNumbers(expected));
    expect(withoutRowNumbers(result.rows.slice(-expected.length))).toEqual(withoutRowNumbers(expected));
    expect(result.rows.map((r) => r.row)).toEqual(result.rows.map((_, i) => i + 2));
  });
});

describe('XLSX', () => {
  async function writeXlsx(rows: LedgerRow[], file: string): Promise<void> {
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('账本');
    sheet.addRow(['Date', '凭证号', 'summary', '科目编码', 'income', '支出', '收付款方', 'payment_method', '发票号码', '经办人', '决议编号']);
    const methodText = { cash: '现金', transfer: '转账', card: '村务卡', other: '其他' } as const;
    rows.forEach((r, i) => {
      const [y, m, d] = r.date.split('-').map(Number) as [number, number, number];
      const amount = r.amountFen / 100; // what a spreadsheet stores: a double
      const added = sheet.addRow([
        new Date(Date.UTC(y, m - 1, d)),
        r.voucherNo,
        r.summary,
        Number(r.accountCode),
        r.direction === 'income' ? amount : null,
        r.direction === 'expense' ? (i === 0 ? { formula: `ROUND(${amount},2)`, result: amount } : amount) : null,
        r.counterparty,
        methodText[r.paymentMethod],
        r.invoiceNo,
        r.handler,
        r.decisionRef,
      ]);
      added.getCell(1).numFmt = i % 2 === 0 ? 'yyyy"年"m"月"d"日"' : 'yyyy-mm-dd';
      added.getCell(6).numFmt = '#,##0.00';
    });
    workbook.addWorksheet('说明').addRow(['这张表不是账本', 1, 2, 3]);
    await workbook.xlsx.writeFile(file);
  }

  it('reads date cells and numeric amounts to the same rows as the CSV', async () => {
    const { rows: expected } = await readAll(sampleCsv.get('519901101201')!);
    const file = path.join(dir, 'ledger.xlsx');
    await writeXlsx(expected, file);
    expect(await detectFileKind(file)).toBe('xlsx');
    const result = await readAll(file, 'xlsx');
    expect(allErrors(result)).toEqual([]);
    expect(result.rows).toEqual(expected);
  });

  it('reports amounts with more than two decimals and missing columns', async () => {
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('Sheet1');
    sheet.addRow(['日期', '凭证号', '摘要', '科目编码', '支出', '收付款方']);
    sheet.addRow([new Date(Date.UTC(2025, 0, 2)), '记-1', '修路', 514, 1.005, '某公司']);
    sheet.addRow([new Date(Date.UTC(2025, 0, 3)), '记-2', '修路', 514, 0.1 + 0.2, '某公司']);
    const file = path.join(dir, 'decimals.xlsx');
    await workbook.xlsx.writeFile(file);
    const result = await readAll(file, 'xlsx');
    expect(result.items[0]?.errors).toEqual([
      { row: 2, column: '支出', code: 'amount_format', message: '支出 "1.005" 最多两位小数' },
    ]);
    expect(result.rows).toEqual([expect.objectContaining({ row: 3, amountFen: 30 })]);

    const missing = new ExcelJS.Workbook();
    missing.addWorksheet('Sheet1').addRow(['日期', '摘要', '支出']);
    missing.getWorksheet('Sheet1')!.addRow(['2025-01-01', 'x', 1]);
    const missingFile = path.join(dir, 'missing.xlsx');
    await missing.xlsx.writeFile(missingFile);
    const missingResult = await readAll(missingFile, 'xlsx');
    expect(missingResult.header.errors.map((e) => [e.row, e.column, e.code])).toEqual([
      [1, '凭证号', 'missing_column'],
      [1, '科目编码', 'missing_column'],
    ]);
    expect(missingResult.items).toEqual([]);
  });

  it('reads the first sheet of the workbook whatever the order of the parts in the ZIP', async () => {
    // Written the way some tools store a package: the sheets before xl/workbook.xml, and the
    // workbook's first sheet (账本) in sheet2.xml. exceljs's one-pass reader failed on this with
    // "Cannot read properties of undefined (reading 'sheets')" (exceljs#3064).
    const main = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
    const rel = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
    const strings = ['日期', '凭证号', '摘要', '科目编码', '支出', '收付款方', '记-1', '修路', '某公司', '这张表不是账本'];
    const s = (ref: string, i: number) => `<c r="${ref}" t="s"><v>${i}</v></c>`;
    const parts: Array<[string, string]> = [
      ['[Content_Types].xml', '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'],
      ['_rels/.rels', `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>`],
      [
        'xl/_rels/workbook.xml.rels',
        `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
          `<Relationship Id="rId1" Type="${rel}/worksheet" Target="worksheets/sheet1.xml"/>` +
          `<Relationship Id="rId2" Type="${rel}/worksheet" Target="/xl/worksheets/sheet2.xml"/>` +
          `<Relationship Id="rId3" Type="${rel}/styles" Target="styles.xml"/>` +
          `<Relationship Id="rId4" Type="${rel}/sharedStrings" Target="sharedStrings.xml"/></Relationships>`,
      ],
      ['xl/sharedStrings.xml', `<?xml version="1.0"?><sst xmlns="${main}">${strings.map((t) => `<si><t>${t}</t></si>`).join('')}</sst>`],
      [
        'xl/styles.xml',
        `<?xml version="1.0"?><styleSheet xmlns="${main}"><fonts count="1"><font/></fonts><fills count="1"><fill/></fills>` +
          `<borders count="1"><border/></borders><cellStyleXfs count="1"><xf/></cellStyleXfs>` +
          `<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>`,
      ],
      ['xl/worksheets/sheet1.xml', `<?xml version="1.0"?><worksheet xmlns="${main}"><sheetData><row r="1">${s('A1', 9)}</row></sheetData></worksheet>`],
      [
        'xl/worksheets/sheet2.xml',
        `<?xml version="1.0"?><worksheet xmlns="${main}"><sheetData>` +
          `<row r="1">${['A', 'B', 'C', 'D', 'E', 'F'].map((col, i) => s(`${col}1`, i)).join('')}</row>` +
          `<row r="2"><c r="A2" s="1"><v>45659</v></c>${s('B2', 6)}${s('C2', 7)}<c r="D2"><v>514</v></c><c r="E2"><v>1234.56</v></c>${s('F2', 8)}</row>` +
          `</sheetData></worksheet>`,
      ],
      [
        'xl/workbook.xml',
        `<?xml version="1.0"?><workbook xmlns="${main}" xmlns:r="${rel}"><sheets>` +
          `<sheet name="账本" sheetId="2" r:id="rId2"/><sheet name="说明" sheetId="1" r:id="rId1"/></sheets></workbook>`,
      ],
    ];
    const file = await fixture(zipBytes(parts.map(([name, data]) => ({ name, data }))), 'xlsx');
    expect(await detectFileKind(file)).toBe('xlsx');
    const result = await readAll(file, 'xlsx');
    expect(allErrors(result)).toEqual([]);
    expect(result.rows.map((r) => [r.row, r.date, r.voucherNo, r.summary, r.amountFen, r.counterparty])).toEqual([
      [2, '2025-01-02', '记-1', '修路', 123456, '某公司'],
    ]);
  });

  it('refuses a package without a workbook or whose first sheet is missing with xlsx_invalid', async () => {
    const withoutSheet = await fixture(
      zipBytes([
        { name: '[Content_Types].xml', data: '<Types/>' },
        { name: 'xl/workbook.xml', data: '<workbook xmlns:r="r"><sheets><sheet name="a" sheetId="1" r:id="rId1"/></sheets></workbook>' },
        { name: 'xl/_rels/workbook.xml.rels', data: '<Relationships><Relationship Id="rId1" Target="worksheets/sheet1.xml"/></Relationships>' },
      ]),
      'xlsx',
    );
    const err = await refusal(readAll(withoutSheet, 'xlsx'));
    expect([err.kind, err.code]).toEqual(['invalid', 'xlsx_invalid']);
    expect(err.message).toMatch(/工作表/);
  });

  it('refuses an empty sheet and a header-only sheet with empty_file', async () => {
    for (const rows of [[], [HEADER.split(',')]]) {
      const workbook = new ExcelJS.Workbook();
      const sheet = workbook.addWorksheet('Sheet1');
      for (const row of rows) sheet.addRow(row);
      const file = path.join(dir, `empty-${++counter}.xlsx`);
      await workbook.xlsx.writeFile(file);
      const err = await refusal(readAll(file, 'xlsx'));
      expect([err.kind, err.code]).toEqual(['invalid', 'empty_file']);
    }
  });
});

describe('detectFileKind', () => {
  it('tells a ZIP upload from an XLSX by content, not by name', async () => {
    const zip = path.join(VILLAGES, '519901101201', 'ledger.zip');
    expect(await detectFileKind(zip)).toBe('zip');
    const renamed = await fixture(await fs.readFile(zip), 'csv');
    expect(await detectFileKind(renamed)).toBe('zip');
  });

  it('refuses an empty file', async () => {
    const err = await refusal(detectFileKind(await fixture('')));
    expect([err.kind, err.code]).toEqual(['invalid', 'empty_file']);
    expect(err.message).toMatch(/空/);
  });

  it.each([
    ['random bytes', randomBytes(4096)],
    ['high bytes without NUL', Buffer.from(Array.from({ length: 4096 }, (_, i) => 0x80 + (i % 128)))],
    ['a PNG', Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex')],
    ['a JPEG', Buffer.from('ffd8ffe000104a464946', 'hex')],
    ['an old .xls', Buffer.from('d0cf11e0a1b11ae10000000000000000', 'hex')],
    ['UTF-16 text', Buffer.from('\uFEFF日期,凭证号', 'utf16le')],
    ['a PDF', Buffer.from('%PDF-1.7\n%âãÏÓ\n')],
    ['text with NUL bytes', Buffer.from('日期,凭证号\n\0\0\0')],
  ])('refuses %s named .csv as unsupported_type', async (_what, bytes) => {
    const file = await fixture(bytes);
    const err = await refusal(detectFileKind(file));
    expect([err.kind, err.code]).toEqual(['unsupported_type', 'unsupported_type']);
    expect(err.message).toMatch(/[\u4e00-\u9fff]/);
  });

  it('refuses binary content handed to readLedger as CSV', async () => {
    const err = await refusal(readAll(await fixture(randomBytes(4096))));
    expect(err.code).toBe('unsupported_type');
  });
});

describe('CSV structure', () => {
  it('reports missing required columns on row 1 and yields no rows', async () => {
    const result = await readAll(await fixture('日期,凭证号,收入,支出\n2025-03-05,记-1,,12.50\n'));
    expect(result.header.errors).toEqual([
      { row: 1, column: '摘要', code: 'missing_column', message: '缺少必填列“摘要”（summary）' },
      { row: 1, column: '科目编码', code: 'missing_column', message: '缺少必填列“科目编码”（account_code）' },
    ]);
    expect(result.items).toEqual([]);
  });

  it('reports a column given twice', async () => {
    const result = await readAll(await fixture(`${HEADER},Voucher_No\n${ROW_A},x\n`));
    expect(result.header.errors).toEqual([expect.objectContaining({ row: 1, column: 'Voucher_No', code: 'duplicate_column' })]);
  });

  it('warns about unknown columns and still reads the rows', async () => {
    const result = await readAll(await fixture(`备注,${HEADER}\n一号,${ROW_A}\n`));
    expect(result.header.warnings).toEqual([expect.objectContaining({ code: 'unknown_column', column: '备注' })]);
    expect(result.header.errors).toEqual([]);
    expect(result.rows).toEqual([expect.objectContaining({ voucherNo: '记-2025-03-015', amountFen: 1250, paymentMethod: 'cash' })]);
  });

  it('matches English headers in any case with blanks around them, columns in any order', async () => {
    const header = ' EXPENSE , Date,voucher_no ,Summary,ACCOUNT_CODE,counterparty';
    const result = await readAll(await fixture(`${header}\r\n"1,234.50",2025年3月5日,记-9,修路,514,某公司\r\n`));
    expect(allErrors(result)).toEqual([]);
    expect(result.rows).toEqual([
      expect.objectContaining({ date: '2025-03-05', voucherNo: '记-9', amountFen: 123450, counterparty: '某公司', row: 2 }),
    ]);
    expect(result.header.columns.map((c) => c.header)).toEqual(['EXPENSE', 'Date', 'voucher_no', 'Summary', 'ACCOUNT_CODE', 'counterparty']);
  });

  it('skips blank lines, keeping the file’s row numbers; a quoted cell may span lines', async () => {
    const csv = `\n${HEADER}\n\n${ROW_A}\n,,,,,,,,,,\n   \n2025-03-07,记-2025-03-017,"两行\n摘要",51302,,1.00,某店,,,,\n${ROW_B}\n\n`;
    const result = await readAll(await fixture(csv));
    expect(allErrors(result)).toEqual([]);
    expect(result.rows.map((r) => [r.row, r.voucherNo])).toEqual([
      [4, '记-2025-03-015'],
      [7, '记-2025-03-017'],
      [9, '记-2025-03-016'],
    ]);
    expect(result.rows[1]?.summary).toBe('两行\n摘要');
  });

  it('reports every error of every row with the header text as the column', async () => {
    const csv = [
      'date,voucher_no,summary,account_code,income,expense,counterparty',
      '2025-02-30,记-1,修路,514,,12.345,',
      '2025-03-01,记-2,修路,5140,,1.00,某公司',
      '2025-03-01,记-3,补助,503,100,,',
    ].join('\n');
    const result = await readAll(await fixture(csv));
    expect(result.items.map((i) => i.errors.map((e) => [e.row, e.column, e.code]))).toEqual([
      [
        [2, 'date', 'date_invalid'],
        [2, 'expense', 'amount_format'],
        [2, 'counterparty', 'required'],
      ],
      [[3, 'account_code', 'account_code_format']],
      [],
    ]);
    expect(result.items[0]?.errors[1]?.message).toBe('expense "12.345" 最多两位小数');
  });

  it('reports a row with more cells than the header (an unquoted 1,234.50)', async () => {
    const shifted = '2025-03-05,记-1,修路,514,,1,234.50,某公司,,,,';
    const filled = '2025-03-05,记-1,修路,514,,1.00,某公司,现金,,张三,决-1,多余';
    const trailingComma = `${ROW_A},`;
    const result = await readAll(await fixture(`${HEADER}\n${shifted}\n${filled}\n${trailingComma}\n`));
    expect(result.items.map((i) => i.errors.map((e) => e.code))).toEqual([
      ['column_count', 'payment_method_unknown'],
      ['column_count'],
      [],
    ]);
    expect(result.items[0]?.errors[0]?.row).toBe(2);
  });

  it('reads a row with fewer cells than the header (trailing cells left out)', async () => {
    const result = await readAll(await fixture(`${HEADER}\n2025-03-05,记-1,修路,514,,1.00,某公司\n`));
    expect(allErrors(result)).toEqual([]);
    expect(result.rows).toHaveLength(1);
  });

  it('ends with a csv_syntax row error where a quote is never closed', async () => {
    const result = await readAll(await fixture(`${HEADER}\n${ROW_A}\n2025-03-06,记-2,"没有闭合,514,,1.00,x\n${ROW_A}\n`));
    expect(result.rows).toHaveLength(1);
    expect(result.items.at(-1)?.errors).toEqual([expect.objectContaining({ row: 3, code: 'csv_syntax', column: '' })]);
  });

  it('stops a runaway quoted cell instead of buffering the rest of the file', async () => {
    const csv = `${HEADER}\n2025-03-06,记-2,"没有闭合,514,,1.00,x\n${`${ROW_A}\n`.repeat(20_000)}`;
    const result = await readAll(await fixture(csv));
    expect(result.items).toHaveLength(1);
    expect(result.items[0]?.errors).toEqual([expect.objectContaining({ row: 2, code: 'csv_syntax' })]);
  });

  it('refuses bytes that are not valid in the detected encoding past the detection window', async () => {
    const filler = `${HEADER}\n${`${ROW_A}\n`.repeat(1000)}`;
    expect(Buffer.byteLength(filler)).toBeGreaterThan(64 * 1024);
    const file = await fixture(Buffer.concat([Buffer.from(filler), Buffer.from([0xff, 0xfe, 0x0a])]));
    const err = await refusal(readAll(file));
    expect([err.kind, err.code]).toEqual(['invalid', 'encoding_invalid']);
  });

  it('refuses an empty or header-only CSV with empty_file', async () => {
    for (const csv of ['\n\n', `${HEADER}\n`, `${HEADER}\n,,,\n\n`]) {
      const err = await refusal(readAll(await fixture(csv)));
      expect([err.kind, err.code]).toEqual(['invalid', 'empty_file']);
    }
  });

  it('refuses more rows than maxRows', async () => {
    const err = await refusal(readAll(await fixture(`${HEADER}\n${ROW_A}\n${ROW_B}\n${ROW_A}\n`), 'csv', 2));
    expect([err.kind, err.code]).toEqual(['too_large', 'too_many_rows']);
  });

  it('lets the caller stop early', async () => {
    const file = await fixture(`${HEADER}\n${`${ROW_A}\n`.repeat(5000)}`);
    for await (const item of readLedger(file, 'csv')) {
      expect(item.type).toBe('header');
      break;
    }
  });
});

describe('a CSV of 100,000 rows', () => {
  it('is read row by row with flat memory', async () => {
    const file = path.join(dir, 'big.csv');
    const out = createWriteStream(file);
    out.write(`${HEADER}\n`);
    for (let i = 0; i < 100_000; i++) {
      const day = String((i % 28) + 1).padStart(2, '0');
      const line = `2025-03-${day},记-2025-03-${String(i).padStart(6, '0')},第${i}笔办公用品采购,51302,,${(i % 9999) + 1}.${String(i % 100).padStart(2, '0')},青山县文具店${i % 50},现金,,张三,\n`;
      if (!out.write(line)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
    const { size } = await fs.stat(file);

    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    let rows = 0;
    let errors = 0;
    let sumFen = 0;
    for await (const item of readLedger(file, 'csv')) {
      if (item.type !== 'row') continue;
      rows++;
      errors += item.errors.length;
      sumFen += item.row?.amountFen ?? 0;
      if (rows % 1000 === 0) peak = Math.max(peak, process.memoryUsage().rss);
    }
    const deltaMiB = (peak - baseline) / 1024 / 1024;
    console.log(
      `100,000-row CSV (${(size / 1024 / 1024).toFixed(1)} MiB): peak RSS +${deltaMiB.toFixed(1)} MiB over ${(baseline / 1024 / 1024).toFixed(0)} MiB`,
    );
    expect(rows).toBe(100_000);
    expect(errors).toBe(0);
    expect(Number.isSafeInteger(sumFen)).toBe(true);
  }, 120_000);
});
