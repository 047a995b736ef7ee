// Reading an uploaded ZIP (one ledger file plus voucher files) without trusting it: bounded
// entry count and sizes, a compression-ratio guard counted on the bytes actually inflated,
// no nested archives, no path tricks. Entry names written by Chinese Windows zippers are
// GBK/GB18030 without the UTF-8 flag and are decoded as such.
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import { PassThrough, Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32 } from 'node:zlib';
import yauzl, { type Entry, type ExtraField, type ZipFile } from 'yauzl';
import { DomainError, type ErrorKind } from '../errors.ts';
import { toHalfWidth } from './parse.ts';

export interface ZipLimits {
  readonly maxEntries: number;
  /** Inflated bytes of all entries together. */
  readonly maxTotalBytes: number;
  readonly maxEntryBytes: number;
  /** Inflated : compressed, per entry. */
  readonly maxRatio: number;
  /** Entries up to this size are exempt from the ratio (a blank page compresses very well). */
  readonly ratioGraceBytes: number;
}

const MiB = 1024 * 1024;

export const ZIP_LIMITS: ZipLimits = {
  maxEntries: 5_000,
  maxTotalBytes: 500 * MiB,
  maxEntryBytes: 100 * MiB,
  maxRatio: 100,
  ratioGraceBytes: 64 * 1024,
};

export interface ZipEntryInfo {
  /** Path inside the ZIP, decoded, with `/` separators. */
  name: string;
  /** Declared inflated size (checked against the real one while streaming). */
  size: number;
  compressedSize: number;
}

export interface LedgerEntry extends ZipEntryInfo {
  /** From the name; run detectFileKind on the extracted file before trusting it. */
  kind: 'csv' | 'xlsx';
}

export type VoucherExtension = 'jpg' | 'jpeg' | 'png' | 'pdf';

export interface VoucherCandidate {
  voucherNo: string;
  page: number;
}

export interface VoucherEntry extends ZipEntryInfo {
  /** File name without folders and extension. */
  baseName: string;
  extension: VoucherExtension;
  /**
   * What the name may mean, in order of preference: the whole base name as page 1, then, when
   * it ends in `-N`, the rest as page N. `记-2025-03-015.jpg` cannot be told from page 15 of
   * `记-2025-03` without the ledger, so the caller picks the first candidate whose voucher
   * number is in the ledger (see matchVoucher).
   */
  candidates: VoucherCandidate[];
}

export interface UploadZip {
  ledger: LedgerEntry;
  vouchers: VoucherEntry[];
  /** The inflated bytes of an entry, guarded: a stream error is a DomainError. */
  openStream(name: string): Promise<Readable>;
  /** Writes an entry to destPath (removed again on failure); returns the bytes written. */
  extractTo(name: string, destPath: string): Promise<number>;
  /** Inflates every ledger and voucher entry once, discarding the bytes, so that lying sizes,
   * bombs and nested archives are refused before anything is processed. */
  verifyContents(): Promise<void>;
  close(): void;
}

// ---------------------------------------------------------------------------------------------
// Errors

function zipError(kind: ErrorKind, code: string, message: string, entry?: string): DomainError {
  return new DomainError(kind, code, message, entry === undefined ? undefined : { entry });
}

const tooLarge = (code: string, message: string, entry?: string) => zipError('too_large', code, message, entry);
const invalid = (code: string, message: string, entry?: string) => zipError('invalid', code, message, entry);

const formatBytes = (bytes: number): string =>
  bytes >= MiB ? `${Math.round(bytes / MiB)} MiB` : `${Math.ceil(bytes / 1024)} KiB`;

/** yauzl and zlib errors, which are plain Errors, as DomainErrors naming the entry. */
function fromReadError(err: unknown, name?: string): DomainError {
  if (err instanceof DomainError) return err;
  const detail = err instanceof Error ? err.message : String(err);
  const where = name === undefined ? 'ZIP 文件' : `ZIP 中的“${name}”`;
  if (/too many bytes|not enough bytes|size mismatch/.test(detail)) {
    return invalid('zip_size_mismatch', `${where}声明的大小与实际内容不符，文件可能被篡改`, name);
  }
  return invalid('zip_corrupt', `${where}已损坏，无法读取（${detail}）`, name);
}

// ---------------------------------------------------------------------------------------------
// Entry names

const UNICODE_PATH_FIELD = 0x7075;
const UTF8_FLAG = 0x800;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const lenientUtf8 = new TextDecoder('utf-8');
const gb18030 = new TextDecoder('gb18030');

/** Info-ZIP Unicode Path field, valid only while its CRC matches the raw name it replaces. */
function unicodePath(extraFields: readonly ExtraField[], raw: Buffer): string | null {
  const field = extraFields.find((f) => f.id === UNICODE_PATH_FIELD && f.data.length >= 6 && f.data[0] === 1);
  if (!field || field.data.readUInt32LE(1) !== crc32(raw)) return null;
  return lenientUtf8.decode(field.data.subarray(5));
}

/** UTF-8 when flagged or when the bytes are valid UTF-8 (macOS, Linux), else GB18030. */
export function decodeEntryName(
  raw: Buffer,
  generalPurposeBitFlag: number,
  extraFields: readonly ExtraField[] = [],
): string {
  const fromField = unicodePath(extraFields, raw);
  if (fromField !== null) return fromField;
  if ((generalPurposeBitFlag & UTF8_FLAG) !== 0) return lenientUtf8.decode(raw);
  try {
    return strictUtf8.decode(raw);
  } catch {
    return gb18030.decode(raw);
  }
}

const nameOf = (entry: Entry): string =>
  decodeEntryName(entry.fileNameRaw, entry.generalPurposeBitFlag, entry.extraFields).replaceAll('\\', '/');

/** Refuses names that could escape a folder when extracted. */
function checkEntryPath(name: string): void {
  if (name.includes('\0')) throw invalid('zip_entry_path', `ZIP 中的文件名“${name}”含有非法字符`, name);
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) {
    throw invalid('zip_entry_path', `ZIP 中的“${name}”是绝对路径，不允许`, name);
  }
  if (name.split('/').includes('..')) {
    throw invalid('zip_entry_path', `ZIP 中的“${name}”含有“..”路径，不允许`, name);
  }
}

const baseNameOf = (name: string): string => name.slice(name.lastIndexOf('/') + 1);

const IGNORED_FILES = new Set(['.ds_store', 'thumbs.db', 'desktop.ini']);

/** Folders and the litter of macOS Finder, Windows Explorer and Office lock files. */
function isIgnored(name: string): boolean {
  if (name.endsWith('/')) return true;
  if (name.split('/').includes('__MACOSX')) return true;
  const base = baseNameOf(name);
  return IGNORED_FILES.has(base.toLowerCase()) || base.startsWith('._') || base.startsWith('~$');
}

const extensionOf = (name: string): string => {
  const base = baseNameOf(name);
  const dot = base.lastIndexOf('.');
  return dot <= 0 ? '' : base.slice(dot + 1).toLowerCase();
};

const ARCHIVE_EXTENSIONS = new Set(['zip', 'rar', '7z', 'gz', 'tgz', 'tar', 'bz2', 'xz']);
const VOUCHER_EXTENSIONS = new Set<string>(['jpg', 'jpeg', 'png', 'pdf']);
const LEDGER_EXTENSIONS = new Set<string>(['csv', 'xlsx']);

// ---------------------------------------------------------------------------------------------
// Voucher file names

const PAGE_SUFFIX = /^(.+)-(\d{1,4})$/;

/** `记-2025-03-015-2` → [{记-2025-03-015-2, 1}, {记-2025-03-015, 2}]; see VoucherEntry.candidates. */
export function voucherCandidates(baseName: string): VoucherCandidate[] {
  const whole = toHalfWidth(baseName).trim();
  const candidates: VoucherCandidate[] = [{ voucherNo: whole, page: 1 }];
  const paged = PAGE_SUFFIX.exec(whole);
  const page = Number(paged?.[2]);
  if (paged?.[1] && page >= 1) candidates.push({ voucherNo: paged[1], page });
  return candidates;
}

/** The voucher and page a file belongs to, given the ledger's voucher numbers; null if none. */
export function matchVoucher(
  file: Pick<VoucherEntry, 'candidates'>,
  voucherNos: ReadonlySet<string>,
): VoucherCandidate | null {
  return file.candidates.find((c) => voucherNos.has(c.voucherNo)) ?? null;
}

// ---------------------------------------------------------------------------------------------
// Listing (central directory only: declared sizes and names)

async function openZip(path: string): Promise<ZipFile> {
  try {
    return await yauzl.openPromise(path, { autoClose: false, lazyEntries: true, decodeStrings: false });
  } catch (err) {
    throw invalid('zip_invalid', `不是有效的 ZIP 文件（${err instanceof Error ? err.message : String(err)}）`);
  }
}

/** Decoded names of the first `max` entries; for telling an XLSX from a ZIP upload. */
export async function zipEntryNames(path: string, max = ZIP_LIMITS.maxEntries): Promise<string[]> {
  const zip = await openZip(path);
  const names: string[] = [];
  try {
    for await (const entry of zip.eachEntry()) {
      names.push(nameOf(entry));
      if (names.length >= max) break;
    }
  } catch (err) {
    throw fromReadError(err);
  } finally {
    zip.close();
  }
  return names;
}

function checkDeclaredSize(entry: Entry, name: string, limits: ZipLimits): void {
  if ((entry.generalPurposeBitFlag & 1) !== 0) {
    throw zipError('unsupported_type', 'zip_encrypted', `ZIP 中的“${name}”已加密，请去掉密码后重新打包`, name);
  }
  if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
    throw zipError(
      'unsupported_type',
      'zip_unsupported_compression',
      `ZIP 中的“${name}”使用了不支持的压缩方式（${entry.compressionMethod}），请用普通的 ZIP 压缩`,
      name,
    );
  }
  checkEntryBytes(name, entry.uncompressedSize, entry.compressedSize, limits);
}

/** Per-entry limits, for declared sizes and for the bytes inflated so far alike. */
function checkEntryBytes(name: string, inflated: number, compressed: number, limits: ZipLimits): void {
  if (inflated > limits.maxEntryBytes) {
    throw tooLarge(
      'zip_entry_too_large',
      `ZIP 中的“${name}”解压后超过 ${formatBytes(limits.maxEntryBytes)}`,
      name,
    );
  }
  if (inflated > limits.ratioGraceBytes && inflated > compressed * limits.maxRatio) {
    throw tooLarge(
      'zip_ratio',
      `ZIP 中的“${name}”压缩比超过 ${limits.maxRatio}:1，疑似压缩炸弹，已拒绝`,
      name,
    );
  }
}

const totalTooLarge = (limits: ZipLimits) =>
  tooLarge('zip_too_large', `ZIP 解压后的总大小超过 ${formatBytes(limits.maxTotalBytes)}`);

interface Listing {
  entries: Map<string, Entry>;
  ledgers: LedgerEntry[];
  vouchers: VoucherEntry[];
}

function checkEntryCount(zip: ZipFile, limits: ZipLimits): void {
  if (zip.entryCount > limits.maxEntries) {
    throw tooLarge('zip_too_many_entries', `ZIP 中有 ${zip.entryCount} 个文件，最多 ${limits.maxEntries} 个`);
  }
}

/** An XLSX is a ZIP of XML, which compresses better than a voucher scan. */
export const XLSX_LIMITS: ZipLimits = { ...ZIP_LIMITS, maxRatio: 250 };

/** The parts of an XLSX package, opened by name through the ZIP's central directory. */
export interface XlsxParts {
  /** The part's inflated content, or null when the package has no such part (names are case-insensitive). */
  open(name: string): Promise<Readable | null>;
  close(): void;
}

/**
 * Opens an XLSX for reading its parts in any order, with every declared size checked against
 * `limits` first; yauzl then refuses a part whose content is longer than declared. Reading by the
 * central directory rather than by local headers in stored order is what lets the ledger reader
 * take the workbook, shared strings and styles before the sheet, whatever order the writer chose.
 */
export async function openXlsxParts(path: string, limits: ZipLimits = XLSX_LIMITS): Promise<XlsxParts> {
  const zip = await openZip(path);
  const parts = new Map<string, Entry>();
  try {
    checkEntryCount(zip, limits);
    let declaredTotal = 0;
    for await (const entry of zip.eachEntry()) {
      const name = nameOf(entry);
      checkDeclaredSize(entry, name, limits);
      declaredTotal += entry.uncompressedSize;
      if (declaredTotal > limits.maxTotalBytes) throw totalTooLarge(limits);
      parts.set(name.replace(/^\//, '').toLowerCase(), entry);
    }
  } catch (err) {
    zip.close();
    throw fromReadError(err);
  }
  return {
    async open(name) {
      const entry = parts.get(name.replace(/^\//, '').toLowerCase());
      if (!entry) return null;
      const source = await zip.openReadStreamPromise(entry).catch((err: unknown) => {
        throw fromReadError(err, name);
      });
      const content = new PassThrough();
      source.on('error', (err) => content.destroy(fromReadError(err, name)));
      content.on('close', () => source.destroy());
      return source.pipe(content);
    },
    close: () => zip.close(),
  };
}

async function listEntries(zip: ZipFile, limits: ZipLimits): Promise<Listing> {
  checkEntryCount(zip, limits);
  const listing: Listing = { entries: new Map(), ledgers: [], vouchers: [] };
  const seen = new Set<string>();
  let declaredTotal = 0;
  for await (const entry of zip.eachEntry()) {
    const name = nameOf(entry);
    checkEntryPath(name);
    if (isIgnored(name)) continue;
    if (seen.has(name.toLowerCase())) throw invalid('zip_duplicate_entry', `ZIP 中“${name}”出现了两次`, name);
    seen.add(name.toLowerCase());
    checkDeclaredSize(entry, name, limits);
    declaredTotal += entry.uncompressedSize;
    if (declaredTotal > limits.maxTotalBytes) throw totalTooLarge(limits);
    classify(listing, entry, name);
  }
  return listing;
}

function classify(listing: Listing, entry: Entry, name: string): void {
  const extension = extensionOf(name);
  const info: ZipEntryInfo = { name, size: entry.uncompressedSize, compressedSize: entry.compressedSize };
  if (ARCHIVE_EXTENSIONS.has(extension)) {
    throw invalid('zip_nested_archive', `ZIP 中不能再放压缩包（“${name}”），请解开后重新打包`, name);
  }
  if (LEDGER_EXTENSIONS.has(extension)) {
    listing.ledgers.push({ ...info, kind: extension as LedgerEntry['kind'] });
  } else if (VOUCHER_EXTENSIONS.has(extension)) {
    const base = baseNameOf(name);
    const baseName = base.slice(0, base.length - extension.length - 1);
    listing.vouchers.push({
      ...info,
      baseName,
      extension: extension as VoucherExtension,
      candidates: voucherCandidates(baseName),
    });
  } else {
    throw invalid(
      'zip_entry_unexpected',
      `ZIP 中的“${name}”既不是账本文件（.csv、.xlsx），也不是凭证（.jpg、.png、.pdf）`,
      name,
    );
  }
  listing.entries.set(name, entry);
}

function singleLedger(ledgers: LedgerEntry[]): LedgerEntry {
  const [ledger, ...others] = ledgers;
  if (!ledger) throw invalid('zip_no_ledger', 'ZIP 中没有账本文件（.csv 或 .xlsx）');
  if (others.length > 0) {
    const names = ledgers.map((l) => `“${l.name}”`).join('、');
    throw invalid('zip_multiple_ledgers', `ZIP 中只能有一个账本文件，现在有 ${ledgers.length} 个：${names}`);
  }
  return ledger;
}

// ---------------------------------------------------------------------------------------------
// Streaming with guards

const ARCHIVE_MAGICS = [
  Buffer.from('PK\x03\x04', 'latin1'),
  Buffer.from('PK\x05\x06', 'latin1'),
  Buffer.from('PK\x07\x08', 'latin1'),
  Buffer.from('Rar!\x1a\x07', 'latin1'),
  Buffer.from([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]),
  Buffer.from([0x1f, 0x8b]),
];
const MAGIC_WINDOW = 8;

const startsAsArchive = (head: Buffer): boolean =>
  ARCHIVE_MAGICS.some((magic) => head.subarray(0, magic.length).equals(magic));

/** Inflated bytes of the whole ZIP, each entry counted once however often it is read. */
class InflateBudget {
  private readonly byEntry = new Map<string, number>();
  private total = 0;

  record(name: string, bytes: number): number {
    const before = this.byEntry.get(name) ?? 0;
    if (bytes > before) {
      this.total += bytes - before;
      this.byEntry.set(name, bytes);
    }
    return this.total;
  }
}

interface GuardOptions {
  name: string;
  compressedSize: number;
  limits: ZipLimits;
  budget: InflateBudget;
  /** An XLSX ledger is itself a ZIP; everything else must not be an archive. */
  refuseArchives: boolean;
}

/** Counts what is actually inflated and stops at the first limit crossed. */
class EntryGuard extends Transform {
  private readonly options: GuardOptions;
  private inflated = 0;
  private head = Buffer.alloc(0);

  constructor(options: GuardOptions) {
    super();
    this.options = options;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.inflated += chunk.length;
      this.checkHead(chunk);
      this.checkBytes();
      callback(null, chunk);
    } catch (err) {
      callback(err as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      this.checkHead(Buffer.alloc(0), true);
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  private checkHead(chunk: Buffer, final = false): void {
    const { refuseArchives, name } = this.options;
    if (!refuseArchives || this.head.length >= MAGIC_WINDOW) return;
    this.head = Buffer.concat([this.head, chunk.subarray(0, MAGIC_WINDOW - this.head.length)]);
    if ((this.head.length >= MAGIC_WINDOW || final) && startsAsArchive(this.head)) {
      throw invalid('zip_nested_archive', `ZIP 中的“${name}”其实是一个压缩包，不能嵌套压缩包`, name);
    }
  }

  private checkBytes(): void {
    const { name, compressedSize, limits, budget } = this.options;
    checkEntryBytes(name, this.inflated, compressedSize, limits);
    if (budget.record(name, this.inflated) > limits.maxTotalBytes) throw totalTooLarge(limits);
  }
}

// ---------------------------------------------------------------------------------------------
// The upload

export async function openUploadZip(path: string, limits: ZipLimits = ZIP_LIMITS): Promise<UploadZip> {
  const zip = await openZip(path);
  try {
    const listing = await listEntries(zip, limits).catch((err: unknown) => {
      throw fromReadError(err);
    });
    const ledger = singleLedger(listing.ledgers);
    return uploadZip(zip, listing, ledger, limits);
  } catch (err) {
    zip.close();
    throw err;
  }
}

function uploadZip(zip: ZipFile, listing: Listing, ledger: LedgerEntry, limits: ZipLimits): UploadZip {
  const budget = new InflateBudget();

  async function openStream(name: string): Promise<Readable> {
    const entry = listing.entries.get(name);
    if (!entry) throw new DomainError('not_found', 'zip_entry_not_found', `ZIP 中没有“${name}”`, { entry: name });
    const source = await zip.openReadStreamPromise(entry).catch((err: unknown) => {
      throw fromReadError(err, name);
    });
    const refuseArchives = !(name === ledger.name && ledger.kind === 'xlsx');
    const guard = new EntryGuard({ name, compressedSize: entry.compressedSize, limits, budget, refuseArchives });
    source.on('error', (err) => guard.destroy(fromReadError(err, name)));
    guard.on('close', () => source.destroy());
    return source.pipe(guard);
  }

  async function extractTo(name: string, destPath: string): Promise<number> {
    try {
      await pipeline(await openStream(name), createWriteStream(destPath));
    } catch (err) {
      await fs.rm(destPath, { force: true });
      throw fromReadError(err, name);
    }
    return (await fs.stat(destPath)).size;
  }

  async function verifyContents(): Promise<void> {
    for (const name of listing.entries.keys()) {
      const stream = await openStream(name);
      try {
        for await (const _chunk of stream) {
          // discarded: only the guards matter here
        }
      } catch (err) {
        throw fromReadError(err, name);
      }
    }
  }

  return { ledger, vouchers: listing.vouchers, openStream, extractTo, verifyContents, close: () => zip.close() };
}
