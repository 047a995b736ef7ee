import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buffer as readAll } from 'node:stream/consumers';
import zlib from 'node:zlib';
import { fileTypeFromBuffer } from 'file-type';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError } from '../../db/errors.ts';
import { processVoucher, sniffVoucher, VOUCHER_LIMITS } from '../../db/vouchers/process.ts';
import { createFileStore } from '../../db/vouchers/storage.ts';

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vouchers-test-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const writeTemp = async (name: string, bytes: Buffer): Promise<string> => {
  const file = path.join(await fs.mkdtemp(path.join(dir, 'upload-')), name);
  await fs.writeFile(file, bytes);
  return file;
};

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

const PHONE = '13800138000';
const GPS_DATUM = 'WGS-84';
const XMP_CREATOR = 'xmp-creator-wang';
const JPEG_COMMENT = 'jpeg-comment-secret';
const SECRETS = [PHONE, GPS_DATUM, XMP_CREATOR, JPEG_COMMENT];

const photo = (width: number, height: number) =>
  sharp({
    create: { width, height, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 40 } },
  });

const pngChunk = (type: string, data: Buffer): Buffer => {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(body));
  return Buffer.concat([length, body, crc]);
};
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const IHDR_END = PNG_SIGNATURE.length + 25;

/** A PNG whose header claims width × height RGB pixels, with a token IDAT. */
const pngHeaderOnly = (width: number, height: number): Buffer => {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // truecolour
  return Buffer.concat([
    PNG_SIGNATURE,
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', zlib.deflateSync(Buffer.alloc(4096))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
};

/** Inserts a COM segment right after the JPEG SOI marker. */
const withJpegComment = (jpeg: Buffer, comment: string): Buffer => {
  const text = Buffer.from(comment, 'latin1');
  const header = Buffer.from([0xff, 0xfe, 0, 0]);
  header.writeUInt16BE(text.length + 2, 2);
  return Buffer.concat([jpeg.subarray(0, 2), header, text, jpeg.subarray(2)]);
};

const MINIMAL_PDF = Buffer.from(
  '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n' +
    'trailer<</Root 1 0 R>>\n%%EOF\n',
);

const expectNoMetadata = async (image: Buffer) => {
  const meta = await sharp(image).metadata();
  expect(meta.exif).toBeUndefined();
  expect(meta.xmp).toBeUndefined();
  expect(meta.iptc).toBeUndefined();
  expect(meta.icc).toBeUndefined();
  expect(meta.hasProfile).toBe(false);
  expect(meta.comments).toBeUndefined();
  expect(meta.orientation).toBeUndefined();
  expect(image.includes('Exif\0\0')).toBe(false);
  for (const secret of SECRETS) expect(image.includes(secret)).toBe(false);
};

const refusal = async (promise: Promise<unknown>): Promise<DomainError> => {
  const error = await promise.then(
    () => expect.fail('expected a refusal'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainError);
  return error as DomainError;
};

describe('processVoucher: images', () => {
  it('re-encodes a JPEG without EXIF, GPS, XMP, ICC or comments, fitted to 2000 px, with a WebP thumbnail', async () => {
    const original = withJpegComment(
      await photo(2400, 1600)
        .jpeg()
        .withExif({
          IFD0: { ImageDescription: `Tel ${PHONE}`, Make: 'PhoneMaker' },
          IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '39/1 54/1 2685/100', GPSMapDatum: GPS_DATUM },
        })
        .withXmp(
          `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">` +
            `<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:creator="${XMP_CREATOR}"/></rdf:RDF></x:xmpmeta>`,
        )
        .withIccProfile('p3')
        .toBuffer(),
      JPEG_COMMENT,
    );
    const before = await sharp(original).metadata();
    expect(before.exif?.includes(PHONE)).toBe(true);
    expect(before.exif?.includes(GPS_DATUM)).toBe(true);
    expect(before.xmpAsString).toContain(XMP_CREATOR);
    expect(before.hasProfile).toBe(true);
    expect(original.includes(JPEG_COMMENT)).toBe(true);

    const result = await processVoucher({ buffer: original });
    expect(result).toMatchObject({
      mime: 'image/jpeg',
      publicMime: 'image/jpeg',
      size: original.length,
      width: 2400,
      height: 1600,
    });
    expect(result.sha256).toBe(sha256(original));

    const publicCopy = result.publicCopy!;
    expect(await sharp(publicCopy).metadata()).toMatchObject({ format: 'jpeg', width: 2000, height: 1333 });
    await expectNoMetadata(publicCopy);

    const thumbnail = result.thumbnail!;
    expect((await fileTypeFromBuffer(thumbnail))?.mime).toBe('image/webp');
    expect(await sharp(thumbnail).metadata()).toMatchObject({ format: 'webp', width: 320, height: 213 });
    await expectNoMetadata(thumbnail);
  });

  it('applies the EXIF orientation to the public copy', async () => {
    const original = await photo(300, 100).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    expect(await sharp(original).metadata()).toMatchObject({ width: 300, height: 100, orientation: 6 });

    const result = await processVoucher({ buffer: original });
    expect(result).toMatchObject({ width: 100, height: 300 });
    expect(await sharp(result.publicCopy!).metadata()).toMatchObject({ width: 100, height: 300 });
    await expectNoMetadata(result.publicCopy!);
    expect(await sharp(result.thumbnail!).metadata()).toMatchObject({ width: 100, height: 300 });
  });

  it('keeps a PNG a PNG, dropping its text chunks (read from a file path)', async () => {
    const plain = await sharp({ create: { width: 640, height: 480, channels: 4, background: '#c03030' } })
      .png()
      .toBuffer();
    const comment = pngChunk('tEXt', Buffer.from(`Comment\0Tel ${PHONE}`, 'latin1'));
    const original = Buffer.concat([plain.subarray(0, IHDR_END), comment, plain.subarray(IHDR_END)]);
    expect((await sharp(original).metadata()).comments).toEqual([{ keyword: 'Comment', text: `Tel ${PHONE}` }]);

    const result = await processVoucher({ path: await writeTemp('scan.png', original) });
    expect(result).toMatchObject({
      mime: 'image/png',
      publicMime: 'image/png',
      width: 640,
      height: 480,
      size: original.length,
    });
    expect(result.sha256).toBe(sha256(original));
    expect(await sharp(result.publicCopy!).metadata()).toMatchObject({
      format: 'png',
      width: 640,
      height: 480,
      hasAlpha: true,
    });
    await expectNoMetadata(result.publicCopy!);
    expect(await sharp(result.thumbnail!).metadata()).toMatchObject({ format: 'webp', width: 320, height: 240 });
  });

  it('reads a reused temp path afresh (no stale libvips file cache)', async () => {
    const file = await writeTemp('upload.tmp', await photo(120, 80).jpeg().toBuffer());
    const first = await processVoucher({ path: file });
    expect(await sharp(first.publicCopy!).metadata()).toMatchObject({ width: 120, height: 80 });
    await fs.writeFile(file, await photo(90, 60).jpeg().toBuffer());
    const second = await processVoucher({ path: file });
    expect(await sharp(second.publicCopy!).metadata()).toMatchObject({ width: 90, height: 60 });
  });

  it('refuses pixel counts and dimensions over the (overridable) limits', async () => {
    const image = await photo(300, 200).jpeg().toBuffer();
    expect((await refusal(processVoucher({ buffer: image }, { maxPixels: 50_000 }))).code).toBe('voucher_pixels');
    expect((await refusal(processVoucher({ buffer: image }, { maxDimension: 250 }))).code).toBe('voucher_pixels');
    expect((await processVoucher({ buffer: image }, { maxPixels: 60_000, maxDimension: 300 })).width).toBe(300);
  });

  it('refuses files over maxBytes before looking at them', async () => {
    const image = await photo(300, 200).jpeg().toBuffer();
    const error = await refusal(processVoucher({ path: await writeTemp('big.jpg', image) }, { maxBytes: 1000 }));
    expect(error).toMatchObject({ kind: 'too_large', code: 'voucher_too_large' });
    expect(VOUCHER_LIMITS).toEqual({ maxBytes: 20 * 1024 * 1024, maxPixels: 40_000_000, maxDimension: 12_000 });
  });
});

describe('processVoucher: PDF', () => {
  it('accepts a PDF by content, with no public copy or thumbnail', async () => {
    const result = await processVoucher({ path: await writeTemp('合同.bin', MINIMAL_PDF) });
    expect(result).toEqual({
      sha256: sha256(MINIMAL_PDF),
      mime: 'application/pdf',
      size: MINIMAL_PDF.length,
      width: null,
      height: null,
      publicCopy: null,
      publicMime: null,
      thumbnail: null,
    });
  });
});

describe('sniffVoucher', () => {
  it('goes by content, not by name', async () => {
    const jpeg = await photo(20, 20).jpeg().toBuffer();
    expect(await sniffVoucher(await writeTemp('looks-like.png', jpeg))).toEqual({ mime: 'image/jpeg', ext: 'jpg' });
    expect(await sniffVoucher(MINIMAL_PDF)).toEqual({ mime: 'application/pdf', ext: 'pdf' });
  });
});

describe('processVoucher refusals', async () => {
  const jpeg = await photo(400, 300).jpeg().toBuffer();
  const junk = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 251));
  const cases: [string, string, Buffer, string, string?][] = [
    [
      'HTML saved as a JPEG',
      'voucher.jpg',
      Buffer.from('<!doctype html><html><body><script>alert(1)</script></body></html>'),
      'voucher_type',
    ],
    [
      'SVG',
      'voucher.jpg',
      Buffer.from(
        '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>',
      ),
      'voucher_type',
      'XML',
    ],
    [
      'an ELF binary named .pdf',
      'voucher.pdf',
      Buffer.concat([Buffer.from('\x7fELF\x02\x01\x01\0', 'latin1'), Buffer.alloc(120)]),
      'voucher_type',
      'ELF',
    ],
    [
      'a Windows executable named .pdf',
      'voucher.pdf',
      Buffer.concat([Buffer.from('MZ'), Buffer.alloc(200)]),
      'voucher_type',
      'EXE',
    ],
    [
      'a Mach-O binary named .pdf',
      'voucher.pdf',
      Buffer.concat([Buffer.from([0xcf, 0xfa, 0xed, 0xfe, 7, 0, 0, 1]), Buffer.alloc(200)]),
      'voucher_type',
      'MACHO',
    ],
    [
      'a PDF signature without the %PDF- header',
      'voucher.pdf',
      Buffer.from('%PDF\n1 0 obj<<>>endobj\n%%EOF\n'),
      'voucher_type',
    ],
    ['GIF', 'voucher.jpg', await photo(20, 20).gif().toBuffer(), 'voucher_type', 'GIF'],
    ['WebP', 'voucher.jpg', await photo(20, 20).webp().toBuffer(), 'voucher_type', 'WEBP'],
    [
      'HEIC',
      'voucher.jpg',
      Buffer.concat([Buffer.from('000000186674797068656963000000006d69663168656963', 'hex'), Buffer.alloc(200)]),
      'voucher_type',
      'HEIC',
    ],
    ['random bytes', 'voucher.jpg', junk, 'voucher_type'],
    ['an empty file', 'voucher.jpg', Buffer.alloc(0), 'voucher_empty'],
    ['a PNG header declaring 50000×50000 pixels', 'voucher.png', pngHeaderOnly(50_000, 50_000), 'voucher_pixels'],
    ['a PNG header declaring 8000×8000 pixels', 'voucher.png', pngHeaderOnly(8000, 8000), 'voucher_pixels'],
    ['a truncated JPEG', 'voucher.jpg', jpeg.subarray(0, Math.floor(jpeg.length * 0.6)), 'voucher_corrupt'],
    [
      'a JPEG signature followed by garbage',
      'voucher.jpg',
      Buffer.concat([jpeg.subarray(0, 4), junk]),
      'voucher_corrupt',
    ],
  ];

  it.each(cases)('refuses %s', async (_label, name, bytes, code, detected) => {
    for (const input of [{ buffer: bytes }, { path: await writeTemp(name, bytes) }]) {
      const error = await refusal(processVoucher(input));
      expect(error.code).toBe(code);
      expect(error.kind).toBe(code === 'voucher_type' ? 'unsupported_type' : 'invalid');
      expect(error.message).toMatch(/[\u4e00-\u9fff]/);
      if (detected) expect(error.message).toContain(detected);
    }
  });
});

describe('file blob store', () => {
  const newStore = async () => {
    const root = await fs.mkdtemp(path.join(dir, 'store-'));
    return { root, store: createFileStore(root) };
  };
  const KEY = 'originals/ab/cdef0123';

  it('puts, reports, streams, sizes and deletes', async () => {
    const { store } = await newStore();
    expect(await store.has(KEY)).toBe(false);
    expect(await store.open(KEY)).toBeNull();
    expect(await store.size(KEY)).toBeNull();

    await store.put(KEY, Buffer.from('凭证内容'));
    expect(await store.has(KEY)).toBe(true);
    expect(await store.size(KEY)).toBe(Buffer.byteLength('凭证内容'));
    expect((await readAll((await store.open(KEY))!)).toString()).toBe('凭证内容');

    await store.delete(KEY);
    expect(await store.has(KEY)).toBe(false);
    await store.delete(KEY);
  });

  it('copies a file in from a path, leaving the source in place', async () => {
    const { store } = await newStore();
    const source = await writeTemp('upload.tmp', Buffer.from('from a temp file'));
    await store.put(KEY, source);
    expect((await readAll((await store.open(KEY))!)).toString()).toBe('from a temp file');
    expect(await fs.readFile(source, 'utf8')).toBe('from a temp file');
  });

  it('leaves an existing key as it is', async () => {
    const { store } = await newStore();
    await store.put(KEY, Buffer.from('first'));
    await store.put(KEY, Buffer.from('second'));
    expect((await readAll((await store.open(KEY))!)).toString()).toBe('first');
  });

  it('never shows a partial file under the key and leaves no temp files', async () => {
    const { root, store } = await newStore();
    const big = Buffer.alloc(16 * 1024 * 1024, 7);
    const sizes = new Set<number | null>();
    let done = false;
    const writing = Promise.all([store.put(KEY, big), store.put(KEY, big)]).finally(() => {
      done = true;
    });
    while (!done) sizes.add(await store.size(KEY));
    await writing;
    for (const size of sizes) expect([null, big.length]).toContain(size);
    expect(await store.size(KEY)).toBe(big.length);
    expect(await fs.readdir(path.join(root, 'originals', 'ab'))).toEqual(['cdef0123']);
  });

  it('cleans up after a failed put', async () => {
    const { root, store } = await newStore();
    await expect(store.put(KEY, path.join(dir, 'no-such-file'))).rejects.toThrow();
    expect(await store.has(KEY)).toBe(false);
    expect(await fs.readdir(path.join(root, 'originals', 'ab'))).toEqual([]);
  });

  it.each([
    '',
    '../escape',
    'originals/../../escape',
    '/etc/passwd',
    'originals//ab',
    'originals/ab/',
    'a\\b',
    '.hidden',
    'originals/.x.tmp',
  ])('refuses the key %j', async (key) => {
    const { store } = await newStore();
    for (const call of [
      store.put(key, Buffer.from('x')),
      store.has(key),
      store.open(key),
      store.size(key),
      store.delete(key),
    ]) {
      expect((await refusal(call)).code).toBe('blob_key');
    }
  });
});
