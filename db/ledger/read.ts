// Reading an uploaded ledger file from disk as a stream of validated rows. The kind of file is
// told by its content, never its name; CSV text may be UTF-8 (with or without BOM) or
// GB18030/GBK, told from its first 64 KiB. Memory stays flat however long the file is.
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import { posix } from 'node:path';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CsvError, parse as parseCsv } from 'csv-parse';
import ExcelJS from 'exceljs';
import { DomainError } from '../errors.ts';
import { mapHeader, type HeaderColumn, type HeaderMapping, type LedgerWarning, type RowError } from './columns.ts';
import { cellText, validateRow, type CellValue, type LedgerCells, type LedgerRow } from './parse.ts';
import { openXlsxParts, zipEntryNames } from './zip.ts';

export type FileKind = 'csv' | 'xlsx' | 'zip';
export type TextEncodingName = 'utf-8' | 'gb18030';

/** First item of readLedger. When `errors` is not empty no row items follow. */
export interface LedgerHeaderItem {
  type: 'header';
  columns: HeaderColumn[];
  warnings: LedgerWarning[];
  /** missing_column / duplicate_column on row 1 (answer 422 with them). */
  errors: RowError[];
}

/** One data row: `row` when valid, else every error of the row. */
export interface LedgerRowItem {
  type: 'row';
  /** Row of the file (header = row 1; blank lines keep their numbers). */
  rowNumber: number;
  row?: LedgerRow;
  errors: RowError[];
}

export type LedgerItem = LedgerHeaderItem | LedgerRowItem;

export interface ReadLedgerOptions {
  /** More data rows than this → DomainError('too_large', 'too_many_rows'). */
  maxRows?: number;
}

export const MAX_LEDGER_ROWS = 200_000;
const HEAD_BYTES = 64 * 1024;

// ---------------------------------------------------------------------------------------------
// Errors

const emptyFile = (message = '上传的文件是空的') => new DomainError('invalid', 'empty_file', message);
const unsupported = (message: string) => new DomainError('unsupported_type', 'unsupported_type', message);
const UNSUPPORTED_HINT = '请上传 CSV（UTF-8 或 GBK 编码）、XLSX 或 ZIP 文件';

// ---------------------------------------------------------------------------------------------
// Detection

async function readHead(path: string, bytes = HEAD_BYTES): Promise<{ head: Buffer; complete: boolean }> {
  const file = await fs.open(path, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await file.read(buffer, 0, bytes, 0);
    const { size } = await file.stat();
    return { head: buffer.subarray(0, bytesRead), complete: bytesRead >= size };
  } finally {
    await file.close();
  }
}

const startsWith = (head: Buffer, bytes: readonly number[]): boolean =>
  head.length >= bytes.length && bytes.every((b, i) => head[i] === b);

const isZipMagic = (head: Buffer): boolean =>
  startsWith(head, [0x50, 0x4b, 0x03, 0x04]) || startsWith(head, [0x50, 0x4b, 0x05, 0x06]);

/** Formats people upload by mistake, refused with a message saying what they are. */
const KNOWN_BINARIES: ReadonlyArray<{ magic: readonly number[]; what: string }> = [
  { magic: [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1], what: '旧版 Excel（.xls）文件，请另存为 .xlsx 或 CSV' },
  { magic: [0xff, 0xfe], what: 'UTF-16 编码的文本，请另存为 UTF-8 编码的 CSV' },
  { magic: [0xfe, 0xff], what: 'UTF-16 编码的文本，请另存为 UTF-8 编码的 CSV' },
  { magic: [0x25, 0x50, 0x44, 0x46, 0x2d], what: 'PDF 文件，凭证请与账本一起打包成 ZIP 上传' },
  { magic: [0x89, 0x50, 0x4e, 0x47], what: 'PNG 图片，凭证请与账本一起打包成 ZIP 上传' },
  { magic: [0xff, 0xd8, 0xff], what: 'JPEG 图片，凭证请与账本一起打包成 ZIP 上传' },
  { magic: [0x52, 0x61, 0x72, 0x21], what: 'RAR 压缩包，请改用 ZIP' },
  { magic: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], what: '7z 压缩包，请改用 ZIP' },
  { magic: [0x1f, 0x8b], what: 'gzip 压缩文件，请改用 ZIP' },
];

const UTF8_BOM = [0xef, 0xbb, 0xbf];

function decodes(encoding: TextEncodingName, head: Uint8Array, complete: boolean): boolean {
  try {
    // stream: a multibyte character cut at the end of the window is not an error.
    new TextDecoder(encoding, { fatal: true }).decode(head, { stream: !complete });
    return true;
  } catch {
    return false;
  }
}

/** The encoding of text starting with `head`; null when it is not text (NUL bytes, undecodable). */
export function detectTextEncoding(head: Uint8Array, complete = false): TextEncodingName | null {
  if (head.includes(0)) return null;
  if (startsWith(Buffer.from(head.buffer, head.byteOffset, head.byteLength), UTF8_BOM)) return 'utf-8';
  if (decodes('utf-8', head, complete)) return 'utf-8';
  if (decodes('gb18030', head, complete)) return 'gb18030';
  return null;
}

async function isXlsxPackage(path: string): Promise<boolean> {
  const names = new Set(await zipEntryNames(path));
  return names.has('[Content_Types].xml') && names.has('xl/workbook.xml');
}

/** csv, xlsx or zip, by content. Empty → invalid/empty_file; other binaries → unsupported_type. */
export async function detectFileKind(path: string): Promise<FileKind> {
  const { head, complete } = await readHead(path);
  if (head.length === 0) throw emptyFile();
  if (isZipMagic(head)) return (await isXlsxPackage(path)) ? 'xlsx' : 'zip';
  const known = KNOWN_BINARIES.find((b) => startsWith(head, b.magic));
  if (known) throw unsupported(`上传的是${known.what}`);
  if (detectTextEncoding(head, complete) === null) {
    throw unsupported(`上传的文件既不是文本（CSV），也不是 XLSX 或 ZIP。${UNSUPPORTED_HINT}`);
  }
  return 'csv';
}

// ---------------------------------------------------------------------------------------------
// Rows of a file, before validation

interface RawRow {
  line: number;
  cells: CellValue[];
}

/** A CSV syntax error, reported as an error of the row where parsing stopped. */
interface BrokenRow {
  line: number;
  syntaxError: string;
}

type SourceRow = RawRow | BrokenRow;

/** Bytes → text in the detected encoding, characters split across chunks kept whole. */
function textDecoding(encoding: TextEncodingName): Transform {
  const decoder = new TextDecoder(encoding, { fatal: true });
  const undecodable = () =>
    new DomainError(
      'invalid',
      'encoding_invalid',
      `文件中有无法按 ${encoding === 'utf-8' ? 'UTF-8' : 'GBK/GB18030'} 解码的内容，请统一保存为 UTF-8 编码的 CSV`,
    );
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      try {
        callback(null, decoder.decode(chunk, { stream: true }));
      } catch {
        callback(undecodable());
      }
    },
    flush(callback: TransformCallback) {
      try {
        callback(null, decoder.decode());
      } catch {
        callback(undecodable());
      }
    },
  });
}

const countNewlines = (cells: readonly string[]): number =>
  cells.reduce((n, cell) => n + (cell.match(/\n/g)?.length ?? 0), 0);

/** No real ledger row comes near this; an unclosed quote would otherwise swallow the file. */
const MAX_RECORD_CHARS = 1_000_000;

function csvSyntaxMessage(err: CsvError): string {
  if (err.code === 'CSV_QUOTE_NOT_CLOSED') return 'CSV 格式错误：从这一行起引号没有闭合，请检查双引号';
  if (err.code === 'CSV_MAX_RECORD_SIZE') return 'CSV 格式错误：从这一行起的内容过长，可能有没有闭合的双引号';
  if (err.code === 'INVALID_OPENING_QUOTE' || err.code === 'CSV_INVALID_CLOSING_QUOTE') {
    return 'CSV 格式错误：双引号位置不对，单元格内的双引号要写成两个（""）';
  }
  return `CSV 格式错误：${err.message}`;
}

async function* csvRows(path: string): AsyncGenerator<SourceRow> {
  const { head, complete } = await readHead(path);
  const encoding = detectTextEncoding(head, complete);
  if (encoding === null) throw unsupported(`文件不是可识别的文本。${UNSUPPORTED_HINT}`);
  const parser = parseCsv({
    info: true,
    relax_quotes: true,
    relax_column_count: true,
    skip_empty_lines: true,
    max_record_size: MAX_RECORD_CHARS,
  });
  const feeding = pipeline(createReadStream(path), textDecoding(encoding), parser);
  feeding.catch(() => {}); // its error also ends the iteration below, which reports it
  let lastLine = 0;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      yield { line: info.lines - countNewlines(record), cells: record };
      lastLine = info.lines;
    }
  } catch (err) {
    if (err instanceof DomainError || !isCsvError(err)) throw err;
    // The broken record starts after the last good one (blank lines between are not counted).
    yield { line: lastLine + 1, syntaxError: csvSyntaxMessage(err) };
  } finally {
    parser.destroy();
  }
}

const isCsvError = (err: unknown): err is CsvError => err instanceof CsvError;

/** An exceljs cell value as text, number or Date (rich text, formulas, links unwrapped). */
function excelCellValue(value: unknown): CellValue {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (value instanceof Date) return value;
  if (typeof value !== 'object') return String(value);
  const v = value as Record<string, unknown>;
  if (Array.isArray(v.richText)) return v.richText.map((part: { text?: string }) => part.text ?? '').join('');
  if ('formula' in v || 'sharedFormula' in v) return excelCellValue(v.result);
  if ('text' in v) return excelCellValue(v.text);
  if ('error' in v) return String(v.error);
  return String(value);
}

/**
 * The steps of exceljs's streaming WorkbookReader that each read one part of the package. Its own
 * `parse()` reads the ZIP in one pass by local headers and pauses the unzip stream between
 * entries, which drops entries now and then (exceljs#3064: most often `xl/workbook.xml`, stored
 * last, and the read fails with "reading 'sheets'"). Fed parts opened through the central
 * directory, the same steps read in a fixed order and the sheet still streams row by row.
 */
interface WorkbookReaderSteps {
  workbookRels?: Array<{ Id?: string; Target?: string }>;
  model?: { sheets?: Array<{ rId?: string }> };
  _parseRels(part: Readable): Promise<void>;
  _parseWorkbook(part: Readable): Promise<void>;
  _parseSharedStrings(part: Readable): AsyncIterable<unknown>;
  _parseStyles(part: Readable): Promise<void>;
  _parseWorksheet(part: Readable, sheetNo: string): Iterable<{ value: AsyncIterable<ExcelJS.Row> }>;
}

const xlsxInvalid = (detail: string) => new DomainError('invalid', 'xlsx_invalid', `XLSX 文件无法读取（${detail}）`);

/** The package path of the workbook's first sheet, from its relationship (relative to `xl/`). */
function firstSheetPath(steps: WorkbookReaderSteps): string | null {
  const rId = steps.model?.sheets?.[0]?.rId;
  const target = steps.workbookRels?.find((rel) => rel.Id === rId)?.Target;
  if (rId === undefined || target === undefined) return null;
  return target.startsWith('/') ? target.slice(1) : posix.normalize(`xl/${target}`);
}

async function* xlsxRows(file: string): AsyncGenerator<SourceRow> {
  const parts = await openXlsxParts(file);
  const opened: Readable[] = [];
  const open = async (name: string) => {
    const part = await parts.open(name);
    if (part) opened.push(part);
    return part;
  };
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(file, {
    worksheets: 'emit',
    sharedStrings: 'cache',
    styles: 'cache', // needed to tell date cells from numbers
    hyperlinks: 'ignore',
    entries: 'ignore',
  });
  const steps = reader as unknown as WorkbookReaderSteps;
  try {
    const rels = await open('xl/_rels/workbook.xml.rels');
    const workbook = await open('xl/workbook.xml');
    if (!rels || !workbook) throw xlsxInvalid('缺少 xl/workbook.xml 或它的关系文件');
    await steps._parseRels(rels);
    await steps._parseWorkbook(workbook);
    const sharedStrings = await open('xl/sharedStrings.xml');
    if (sharedStrings) for await (const _ of steps._parseSharedStrings(sharedStrings));
    const styles = await open('xl/styles.xml');
    if (styles) await steps._parseStyles(styles);

    const sheetPath = firstSheetPath(steps);
    const sheet = sheetPath === null ? null : await open(sheetPath);
    if (!sheet) throw xlsxInvalid('找不到第一张工作表');
    const sheetNo = /sheet(\d+)\.xml$/i.exec(sheetPath!)?.[1] ?? '1';
    for (const { value: worksheet } of steps._parseWorksheet(sheet, sheetNo)) {
      for await (const row of worksheet) {
        const values = Array.isArray(row.values) ? row.values : [];
        yield { line: row.number, cells: values.slice(1).map(excelCellValue) };
      }
    }
  } catch (err) {
    if (err instanceof DomainError) throw err;
    throw xlsxInvalid(err instanceof Error ? err.message : String(err));
  } finally {
    for (const part of opened) part.destroy();
    parts.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Validation

const isBlankRow = (cells: readonly CellValue[]): boolean => cells.every((c) => cellText(c) === '');

function cellsByKey(mapping: HeaderMapping, cells: readonly CellValue[]): LedgerCells {
  const byKey: LedgerCells = {};
  for (const column of mapping.columns) byKey[column.key] = cells[column.index];
  return byKey;
}

/**
 * More cells than the header: in a CSV, an unquoted `1,234.50` shifts the rest of the row. Blank
 * extra cells (a trailing comma) only count when the row has other errors, which they explain.
 */
function overflowError(
  line: number,
  cells: readonly CellValue[],
  width: number,
  rowHasErrors: boolean,
): RowError | null {
  if (cells.length <= width) return null;
  const extraFilled = cells.slice(width).some((c) => cellText(c) !== '');
  if (!extraFilled && !rowHasErrors) return null;
  return {
    row: line,
    column: '',
    code: 'column_count',
    message: `该行有 ${cells.length} 个单元格，比表头的 ${width} 列多（含逗号的金额或文字要加双引号，如 "1,234.50"）`,
  };
}

function rowItem(mapping: HeaderMapping, raw: RawRow, width: number | null): LedgerRowItem {
  const { row, errors } = validateRow(cellsByKey(mapping, raw.cells), raw.line, mapping.labels);
  const overflow = width === null ? null : overflowError(raw.line, raw.cells, width, errors.length > 0);
  if (overflow) return { type: 'row', rowNumber: raw.line, errors: [overflow, ...errors] };
  return row ? { type: 'row', rowNumber: raw.line, row, errors } : { type: 'row', rowNumber: raw.line, errors };
}

async function* ledgerItems(
  source: AsyncIterable<SourceRow>,
  strictWidth: boolean,
  maxRows: number,
): AsyncGenerator<LedgerItem, void, undefined> {
  let mapping: HeaderMapping | null = null;
  let width: number | null = null;
  let rows = 0;
  for await (const raw of source) {
    if ('syntaxError' in raw) {
      if (!mapping) throw new DomainError('invalid', 'csv_syntax', `第 ${raw.line} 行：${raw.syntaxError}`);
      const error: RowError = { row: raw.line, column: '', code: 'csv_syntax', message: raw.syntaxError };
      yield { type: 'row', rowNumber: raw.line, errors: [error] };
      return;
    }
    if (isBlankRow(raw.cells)) continue;
    if (!mapping) {
      mapping = mapHeader(raw.cells.map(cellText));
      width = strictWidth ? raw.cells.length : null;
      yield { type: 'header', columns: mapping.columns, warnings: mapping.warnings, errors: mapping.errors };
      if (mapping.errors.length > 0) return;
      continue;
    }
    if (++rows > maxRows) {
      throw new DomainError('too_large', 'too_many_rows', `账本最多 ${maxRows} 行，请分批上传`);
    }
    yield rowItem(mapping, raw, width);
  }
  if (!mapping) throw emptyFile('账本文件没有内容');
  if (rows === 0) throw emptyFile('账本文件只有表头，没有数据行');
}

/**
 * The header, then each data row validated, in file order. Blank rows are skipped. A CSV
 * syntax error is the last row item. Header-only or blank files → DomainError('invalid',
 * 'empty_file'); an undecodable CSV → 'encoding_invalid'; a broken XLSX → 'xlsx_invalid'.
 */
export function readLedger(
  path: string,
  kind: 'csv' | 'xlsx',
  options: ReadLedgerOptions = {},
): AsyncGenerator<LedgerItem, void, undefined> {
  const source = kind === 'csv' ? csvRows(path) : xlsxRows(path);
  return ledgerItems(source, kind === 'csv', options.maxRows ?? MAX_LEDGER_ROWS);
}
