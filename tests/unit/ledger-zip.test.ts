import fs from 'node:fs/promises';
import { crc32, deflateRawSync } from 'node:zlib';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError } from '../../db/errors.ts';
import {
  decodeEntryName,
  matchVoucher,
  openUploadZip,
  voucherCandidates,
  ZIP_LIMITS,
  type UploadZip,
  type ZipLimits,
} from '../../db/ledger/zip.ts';
import { zipBytes, type ZipEntrySpec } from '../support/zip.ts';

/** GBK bytes of a text, from a reverse table of the two-byte GB18030 range. */
const gbkTable = (() => {
  const decoder = new TextDecoder('gb18030');
  const table = new Map<string, Buffer>();
  for (let lead = 0x81; lead <= 0xfe; lead++) {
    for (let trail = 0x40; trail <= 0xfe; trail++) {
      if (trail === 0x7f) continue;
      const bytes = Buffer.from([lead, trail]);
      const ch = decoder.decode(bytes);
      if (ch.length === 1 && ch !== '\uFFFD' && !table.has(ch)) table.set(ch, bytes);
    }
  }
  return table;
})();

function gbk(text: string): Buffer {
  return Buffer.concat(
    [...text].map((ch) => (ch.charCodeAt(0) < 0x80 ? Buffer.from(ch, 'latin1') : (gbkTable.get(ch) ?? Buffer.alloc(0)))),
  );
}

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
const CSV = '日期,凭证号,摘要,科目编码,收入,支出,收付款方\n2025-03-05,记-2025-03-015,办公用品,51302,,12.50,文具店\n';

let dir: string;
let counter = 0;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ledger-zip-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function writeZip(entries: ZipEntrySpec[] | Buffer): Promise<string> {
  const file = path.join(dir, `upload-${++counter}.zip`);
  await fs.writeFile(file, Buffer.isBuffer(entries) ? entries : zipBytes(entries));
  return file;
}

async function withZip<T>(entries: ZipEntrySpec[], use: (zip: UploadZip) => Promise<T>, limits?: ZipLimits): Promise<T> {
  const zip = await openUploadZip(await writeZip(entries), limits);
  try {
    return await use(zip);
  } finally {
    zip.close();
  }
}

async function refusal(promise: Promise<unknown>): Promise<DomainError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DomainError);
  return err as DomainError;
}

const openRefusal = async (entries: ZipEntrySpec[], limits?: ZipLimits) =>
  refusal(openUploadZip(await writeZip(entries), limits));

const verifyRefusal = async (entries: ZipEntrySpec[], limits?: ZipLimits) =>
  refusal(withZip(entries, (zip) => zip.verifyContents(), limits));

// ---------------------------------------------------------------------------------------------

describe('voucher file names', () => {
  it.each([
    ['记-2025-03-015', [{ voucherNo: '记-2025-03-015', page: 1 }, { voucherNo: '记-2025-03', page: 15 }]],
    [
      '记-2025-03-015-2',
      [
        { voucherNo: '记-2025-03-015-2', page: 1 },
        { voucherNo: '记-2025-03-015', page: 2 },
      ],
    ],
    ['收据', [{ voucherNo: '收据', page: 1 }]],
    ['记-0', [{ voucherNo: '记-0', page: 1 }]],
    ['记-5-02', [{ voucherNo: '记-5-02', page: 1 }, { voucherNo: '记-5', page: 2 }]],
    ['记-5-12345', [{ voucherNo: '记-5-12345', page: 1 }]],
    ['记－１２－２', [{ voucherNo: '记-12-2', page: 1 }, { voucherNo: '记-12', page: 2 }]],
  ])('%s may mean %j', (baseName, candidates) => {
    expect(voucherCandidates(baseName)).toEqual(candidates);
  });

  it('matches a file to the ledger’s voucher numbers, the whole name first', () => {
    const ledger = new Set(['记-2025-03-015', '记-2025-03-016']);
    const match = (base: string) => matchVoucher({ candidates: voucherCandidates(base) }, ledger);
    expect(match('记-2025-03-015')).toEqual({ voucherNo: '记-2025-03-015', page: 1 });
    expect(match('记-2025-03-015-2')).toEqual({ voucherNo: '记-2025-03-015', page: 2 });
    expect(match('记-2025-03-016-10')).toEqual({ voucherNo: '记-2025-03-016', page: 10 });
    expect(match('记-2025-03-017')).toBeNull();
    expect(match('记-2025-03-015-0')).toBeNull();
  });
});

describe('entry name decoding', () => {
  it('decodes UTF-8 with or without the flag, and GBK without it', () => {
    expect(decodeEntryName(Buffer.from('记-1.png'), 0x800)).toBe('记-1.png');
    expect(decodeEntryName(Buffer.from('记-1.png'), 0)).toBe('记-1.png');
    expect(decodeEntryName(gbk('凭证/记-1.png'), 0)).toBe('凭证/记-1.png');
  });

  it('prefers a valid Info-ZIP Unicode Path field, and ignores one whose CRC does not match', () => {
    const raw = gbk('账本.csv');
    const field = (crc: number) => {
      const data = Buffer.concat([Buffer.from([1, 0, 0, 0, 0]), Buffer.from('ledger-账本.csv')]);
      data.writeUInt32LE(crc, 1);
      return [{ id: 0x7075, data }];
    };
    expect(decodeEntryName(raw, 0, field(crc32(raw)))).toBe('ledger-账本.csv');
    expect(decodeEntryName(raw, 0, field(crc32(raw) ^ 1))).toBe('账本.csv');
  });
});

describe('openUploadZip', () => {
  it('reads every sample village ZIP: one ledger, vouchers all matched to its voucher numbers', async () => {
    const villages = path.resolve(import.meta.dirname, '../../db/demo/qingshan/villages');
    const codes = (await fs.readdir(villages)).sort();
    expect(codes).toHaveLength(18);
    for (const code of codes) {
      const zip = await openUploadZip(path.join(villages, code, 'ledger.zip'));
      try {
        expect(zip.ledger).toMatchObject({ name: 'ledger.csv', kind: 'csv' });
        expect(zip.vouchers.length).toBeGreaterThan(200);
        for (const voucher of zip.vouchers) {
          expect(voucher.extension).toBe('png');
          expect(voucher.baseName).toMatch(/^记-20\d\d-\d\d-\d{3}$/);
        }
        await zip.verifyContents();
      } finally {
        zip.close();
      }
    }
  });

  it('lists the ledger at any depth and the vouchers with their pages; ignores folders and litter', async () => {
    await withZip(
      [
        { name: '2025年3月/', data: '' },
        { name: '2025年3月/账本.csv', data: CSV, utf8Flag: true },
        { name: '2025年3月/凭证/记-2025-03-015.jpg', data: PNG, method: 0, utf8Flag: true },
        { name: '2025年3月/凭证/记-2025-03-015-2.JPEG', data: PNG, utf8Flag: true },
        { name: '2025年3月/凭证/记-2025-03-015-3.pdf', data: '%PDF-1.4', utf8Flag: true },
        { name: '__MACOSX/2025年3月/._账本.csv', data: 'x' },
        { name: '2025年3月/.DS_Store', data: 'x' },
        { name: '2025年3月/凭证/Thumbs.db', data: 'x' },
        { name: '2025年3月/~$账本.xlsx', data: 'x' },
      ],
      async (zip) => {
        expect(zip.ledger).toEqual({ name: '2025年3月/账本.csv', kind: 'csv', size: Buffer.byteLength(CSV), compressedSize: expect.any(Number) });
        expect(zip.vouchers.map((v) => [v.name, v.baseName, v.extension])).toEqual([
          ['2025年3月/凭证/记-2025-03-015.jpg', '记-2025-03-015', 'jpg'],
          ['2025年3月/凭证/记-2025-03-015-2.JPEG', '记-2025-03-015-2', 'jpeg'],
          ['2025年3月/凭证/记-2025-03-015-3.pdf', '记-2025-03-015-3', 'pdf'],
        ]);
        const ledgerNos = new Set(['记-2025-03-015']);
        expect(zip.vouchers.map((v) => matchVoucher(v, ledgerNos)?.page)).toEqual([1, 2, 3]);
      },
    );
  });

  it('decodes GBK names written without the UTF-8 flag (Windows zippers)', async () => {
    await withZip(
      [
        { name: gbk('青山村账本.csv'), data: CSV },
        { name: gbk('凭证\\记-2025-03-015-2.png'), data: PNG },
      ],
      async (zip) => {
        expect(zip.ledger.name).toBe('青山村账本.csv');
        expect(zip.vouchers[0]).toMatchObject({ name: '凭证/记-2025-03-015-2.png', baseName: '记-2025-03-015-2' });
      },
    );
  });

  it('extracts and streams entries', async () => {
    await withZip(
      [
        { name: 'ledger.csv', data: CSV },
        { name: '记-2025-03-015.png', data: PNG, method: 0 },
      ],
      async (zip) => {
        const dest = path.join(dir, 'extracted.csv');
        expect(await zip.extractTo('ledger.csv', dest)).toBe(Buffer.byteLength(CSV));
        expect(await fs.readFile(dest, 'utf8')).toBe(CSV);
        const chunks: Buffer[] = [];
        for await (const chunk of await zip.openStream('记-2025-03-015.png')) chunks.push(chunk as Buffer);
        expect(Buffer.concat(chunks)).toEqual(PNG);
        expect((await refusal(zip.openStream('nope.png'))).code).toBe('zip_entry_not_found');
      },
    );
  });

  it('accepts an XLSX ledger even though it is itself a ZIP', async () => {
    const xlsx = zipBytes([{ name: '[Content_Types].xml', data: '<Types/>' }]);
    await withZip(
      [
        { name: 'ledger.xlsx', data: xlsx },
        { name: '记-1.png', data: PNG },
      ],
      async (zip) => {
        expect(zip.ledger.kind).toBe('xlsx');
        await zip.verifyContents();
      },
    );
  });

  const small = (overrides: Partial<ZipLimits>): ZipLimits => ({ ...ZIP_LIMITS, ...overrides });
  const ledger: ZipEntrySpec = { name: 'ledger.csv', data: CSV };

  it.each<[string, ZipEntrySpec[], string, string]>([
    ['no ledger', [{ name: '记-1.png', data: PNG }], 'invalid', 'zip_no_ledger'],
    ['two ledgers', [ledger, { name: 'b/ledger.xlsx', data: 'x' }], 'invalid', 'zip_multiple_ledgers'],
    ['a stray .txt', [ledger, { name: '说明.txt', data: 'x', utf8Flag: true }], 'invalid', 'zip_entry_unexpected'],
    ['a file without extension', [ledger, { name: 'README', data: 'x' }], 'invalid', 'zip_entry_unexpected'],
    ['a nested .zip', [ledger, { name: 'more.zip', data: 'x' }], 'invalid', 'zip_nested_archive'],
    ['a nested .rar', [ledger, { name: 'a/more.RAR', data: 'x' }], 'invalid', 'zip_nested_archive'],
    ['a nested .7z', [ledger, { name: 'more.7z', data: 'x' }], 'invalid', 'zip_nested_archive'],
    ['a nested .tar.gz', [ledger, { name: 'more.tar.gz', data: 'x' }], 'invalid', 'zip_nested_archive'],
    ['a ../ name', [ledger, { name: '../evil.png', data: PNG }], 'invalid', 'zip_entry_path'],
    ['a nested ../ name', [ledger, { name: 'a/../../evil.png', data: PNG }], 'invalid', 'zip_entry_path'],
    ['a backslash ..\\ name', [ledger, { name: 'a\\..\\..\\evil.png', data: PNG }], 'invalid', 'zip_entry_path'],
    ['an absolute name', [ledger, { name: '/etc/evil.png', data: PNG }], 'invalid', 'zip_entry_path'],
    ['a drive name', [ledger, { name: 'C:\\Windows\\evil.png', data: PNG }], 'invalid', 'zip_entry_path'],
    ['a drive name with /', [ledger, { name: 'c:/evil.png', data: PNG }], 'invalid', 'zip_entry_path'],
    ['a NUL in a name', [ledger, { name: 'a\0.png', data: PNG }], 'invalid', 'zip_entry_path'],
    ['a name given twice', [ledger, { name: '记-1.png', data: PNG }, { name: '记-1.PNG', data: PNG }], 'invalid', 'zip_duplicate_entry'],
    ['an encrypted entry', [ledger, { name: '记-1.png', data: PNG, flags: 1 }], 'unsupported_type', 'zip_encrypted'],
    ['bzip2 compression', [ledger, { name: '记-1.png', data: PNG, method: 12 }], 'unsupported_type', 'zip_unsupported_compression'],
    [
      '1 MB of zeros compressed ~1000:1',
      [ledger, { name: '记-1.png', data: Buffer.alloc(1_000_000) }],
      'too_large',
      'zip_ratio',
    ],
    ['a stored entry with sizes that disagree', [ledger, { name: '记-1.png', data: PNG, method: 0, declaredSize: 3 }], 'invalid', 'zip_size_mismatch'],
  ])('refuses %s', async (_case, entries, kind, code) => {
    const err = await openRefusal(entries);
    expect([err.kind, err.code]).toEqual([kind, code]);
    expect(err.message).toMatch(/[\u4e00-\u9fff]/);
  });

  it('names the offending entry in the message and in extra.entry', async () => {
    const err = await openRefusal([ledger, { name: '凭证/说明.txt', data: 'x', utf8Flag: true }]);
    expect(err.message).toContain('凭证/说明.txt');
    expect(err.extra).toEqual({ entry: '凭证/说明.txt' });
  });

  it('refuses more than 5,000 entries', async () => {
    const entries: ZipEntrySpec[] = [ledger];
    for (let i = 0; i < 5_000; i++) entries.push({ name: `记-${i}.png`, data: '', method: 0 });
    const err = await openRefusal(entries);
    expect([err.kind, err.code]).toEqual(['too_large', 'zip_too_many_entries']);
  });

  it('refuses entries and totals above the limits', async () => {
    const kib = Buffer.alloc(1024, 'a');
    const tooBigEntry = await openRefusal([ledger, { name: '记-1.png', data: kib, method: 0 }], small({ maxEntryBytes: 1000 }));
    expect(tooBigEntry.code).toBe('zip_entry_too_large');
    const tooBigTotal = await openRefusal(
      [ledger, { name: '记-1.png', data: kib, method: 0 }, { name: '记-2.png', data: kib, method: 0 }],
      small({ maxTotalBytes: 2000 }),
    );
    expect(tooBigTotal.code).toBe('zip_too_large');
  });

  it('refuses declared sizes that lie, counting the bytes actually inflated', async () => {
    const bomb = Buffer.alloc(1_000_000);
    const err = await verifyRefusal([ledger, { name: '记-1.png', data: bomb, declaredSize: 1000 }]);
    expect(['zip_size_mismatch', 'zip_ratio']).toContain(err.code);
    const short = await verifyRefusal([ledger, { name: '记-1.png', data: PNG, declaredSize: 5000 }]);
    expect(short.code).toBe('zip_size_mismatch');
  });

  it('refuses a voucher whose content is a ZIP, whatever its name', async () => {
    const inner = zipBytes([{ name: 'x.csv', data: CSV }]);
    const err = await verifyRefusal([ledger, { name: '记-1.jpg', data: inner }]);
    expect([err.code, err.extra]).toEqual(['zip_nested_archive', { entry: '记-1.jpg' }]);
    const viaExtract = await refusal(
      withZip([ledger, { name: '记-1.pdf', data: inner, method: 0 }], (zip) => zip.extractTo('记-1.pdf', path.join(dir, 'x.pdf'))),
    );
    expect(viaExtract.code).toBe('zip_nested_archive');
    await expect(fs.access(path.join(dir, 'x.pdf'))).rejects.toThrow();
  });

  it('refuses a CSV ledger that is really a ZIP', async () => {
    const err = await verifyRefusal([{ name: 'ledger.csv', data: zipBytes([{ name: 'a.csv', data: CSV }]) }]);
    expect(err.code).toBe('zip_nested_archive');
  });

  it('refuses files that are not ZIPs, and corrupt entry data', async () => {
    const notZip = await refusal(openUploadZip(await writeZip(Buffer.from('日期,凭证号\n'))));
    expect([notZip.kind, notZip.code]).toEqual(['invalid', 'zip_invalid']);
    const good = zipBytes([ledger, { name: '记-1.png', data: Buffer.alloc(5000, 'x') }]);
    const corrupt = Buffer.from(good);
    const at = good.indexOf(deflateRawSync(Buffer.alloc(5000, 'x')));
    corrupt.fill(0xff, at, at + 4);
    const err = await refusal(
      (async () => {
        const zip = await openUploadZip(await writeZip(corrupt));
        try {
          await zip.verifyContents();
        } finally {
          zip.close();
        }
      })(),
    );
    expect(['zip_corrupt', 'zip_size_mismatch']).toContain(err.code);
  });
});
