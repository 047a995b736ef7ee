// Deciding whether an uploaded voucher file (a photographed receipt, invoice or contract)
// is acceptable, and making what the public may see of it: a re-encoded copy without any
// metadata (photos carry GPS positions, phone models, names) and a small WebP thumbnail.
// The type is decided by content, never by the file's name or the declared MIME type.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { fileTypeFromBuffer, fileTypeFromFile } from 'file-type';
import sharp, { type SharpOptions } from 'sharp';
import { DomainError } from '../errors.ts';

// Upload temp paths get reused. The libvips bundled now re-reads a changed file, but older
// ones served the cached pixels of the previous upload; no upload is processed twice, so
// the cache buys nothing here anyway.
sharp.cache(false);

export interface VoucherLimits {
  readonly maxBytes: number;
  /** width × height, refused from the header before any decoding (decompression bombs). */
  readonly maxPixels: number;
  readonly maxDimension: number;
}

export const VOUCHER_LIMITS: VoucherLimits = {
  maxBytes: 20 * 1024 * 1024,
  maxPixels: 40_000_000,
  maxDimension: 12_000,
};

export type VoucherMime = 'image/jpeg' | 'image/png' | 'application/pdf';
export type VoucherInput = { path: string } | { buffer: Buffer };

export interface ProcessedVoucher {
  /** Hex SHA-256 of the original bytes as uploaded. */
  sha256: string;
  mime: VoucherMime;
  size: number;
  /** Pixel size of the original after EXIF orientation; null for PDF. */
  width: number | null;
  height: number | null;
  /** Re-encoded, metadata-free image fitting 2000 px; null for PDF (served as an attachment). */
  publicCopy: Buffer | null;
  publicMime: 'image/jpeg' | 'image/png' | null;
  /** WebP fitting 320 px; null for PDF. */
  thumbnail: Buffer | null;
}

const EXTENSIONS: Record<VoucherMime, string> = { 'image/jpeg': 'jpg', 'image/png': 'png', 'application/pdf': 'pdf' };
const isVoucherMime = (mime: string): mime is VoucherMime => Object.hasOwn(EXTENSIONS, mime);

const PUBLIC_MAX_SIDE = 2000;
const THUMBNAIL_MAX_SIDE = 320;
const PDF_HEADER_WINDOW = 1024;

const unsupported = (message: string) => new DomainError('unsupported_type', 'voucher_type', message);

const readHead = async (input: Buffer | string, length: number): Promise<Buffer> => {
  if (typeof input !== 'string') return input.subarray(0, length);
  const handle = await fs.open(input, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(length), 0, length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
};

/** Decides the type from the bytes (a Buffer, or the path of a file): only JPEG, PNG and PDF pass. */
export async function sniffVoucher(input: Buffer | string): Promise<{ mime: VoucherMime; ext: string }> {
  const detected = typeof input === 'string' ? await fileTypeFromFile(input) : await fileTypeFromBuffer(input);
  if (!detected) throw unsupported('无法识别文件类型：凭证只接受 JPEG、PNG 图片或 PDF 文件');
  if (!isVoucherMime(detected.mime)) {
    throw unsupported(
      `文件内容是 ${detected.ext.toUpperCase()}（${detected.mime}），凭证只接受 JPEG、PNG 图片或 PDF 文件`,
    );
  }
  if (detected.mime === 'application/pdf' && !(await readHead(input, PDF_HEADER_WINDOW)).includes('%PDF-')) {
    throw unsupported('文件不是有效的 PDF：缺少 %PDF- 文件头');
  }
  return { mime: detected.mime, ext: EXTENSIONS[detected.mime] };
}

const sha256Of = async (input: Buffer | string): Promise<string> => {
  const hash = createHash('sha256');
  if (typeof input === 'string') await pipeline(createReadStream(input), hash);
  else hash.update(input);
  return hash.digest('hex');
};

const formatSize = (bytes: number): string =>
  bytes >= 1024 * 1024 ? `${Number((bytes / 1024 / 1024).toFixed(1))} MB` : `${Math.ceil(bytes / 1024)} KB`;

const tooManyPixels = (limits: VoucherLimits) =>
  new DomainError(
    'invalid',
    'voucher_pixels',
    `图片尺寸过大：像素总数不得超过 ${limits.maxPixels.toLocaleString('en-US')}，边长不得超过 ${limits.maxDimension} 像素`,
  );

const corrupt = () => new DomainError('invalid', 'voucher_corrupt', '图片文件已损坏或不完整，无法读取');

// sharp itself refuses over-limit headers (limitInputPixels) with this message; every other
// failure to read an image of an accepted type means the file is damaged.
const imageError = (e: unknown, limits: VoucherLimits): DomainError => {
  if (e instanceof DomainError) return e;
  if (e instanceof Error && /pixel limit/i.test(e.message)) return tooManyPixels(limits);
  return corrupt();
};

/**
 * Checks an uploaded voucher (a temp file path, or a buffer) and prepares its public renditions.
 * Files are read from the path by each step rather than loaded whole into memory.
 */
export async function processVoucher(
  input: VoucherInput,
  limits: Partial<VoucherLimits> = {},
): Promise<ProcessedVoucher> {
  const limit: VoucherLimits = { ...VOUCHER_LIMITS, ...limits };
  const source = 'path' in input ? input.path : input.buffer;

  const size = typeof source === 'string' ? (await fs.stat(source)).size : source.length;
  if (size > limit.maxBytes) {
    const message = `文件过大（${formatSize(size)}），上限为 ${formatSize(limit.maxBytes)}`;
    throw new DomainError('too_large', 'voucher_too_large', message, { maxBytes: limit.maxBytes });
  }
  if (size === 0) throw new DomainError('invalid', 'voucher_empty', '文件为空');

  const { mime } = await sniffVoucher(source);
  const sha256 = await sha256Of(source);
  if (mime === 'application/pdf') {
    return { sha256, mime, size, width: null, height: null, publicCopy: null, publicMime: null, thumbnail: null };
  }

  const options: SharpOptions = { limitInputPixels: limit.maxPixels, failOn: 'error' };
  try {
    // Header only: refuse bombs before a single pixel is decoded.
    const meta = await sharp(source, options).metadata();
    if (meta.format !== (mime === 'image/jpeg' ? 'jpeg' : 'png')) throw corrupt();
    if (
      meta.width > limit.maxDimension ||
      meta.height > limit.maxDimension ||
      meta.width * meta.height > limit.maxPixels
    ) {
      throw tooManyPixels(limit);
    }

    // sharp writes no metadata unless asked (keepExif/withMetadata/…), so none is called here.
    const resized = sharp(source, options)
      .rotate()
      .resize({ width: PUBLIC_MAX_SIDE, height: PUBLIC_MAX_SIDE, fit: 'inside', withoutEnlargement: true });
    const publicCopy = await (
      mime === 'image/jpeg' ? resized.jpeg({ quality: 82, mozjpeg: true }) : resized.png()
    ).toBuffer();
    const thumbnail = await sharp(publicCopy)
      .resize({ width: THUMBNAIL_MAX_SIDE, height: THUMBNAIL_MAX_SIDE, fit: 'inside', withoutEnlargement: true })
      .webp()
      .toBuffer();

    return {
      sha256,
      mime,
      size,
      width: meta.autoOrient.width,
      height: meta.autoOrient.height,
      publicCopy,
      publicMime: mime,
      thumbnail,
    };
  } catch (e) {
    throw imageError(e, limit);
  }
}
