// The columns of a ledger file (interchange.md, "Ledger file (记账数据导入)") and the matching
// of a file's header row to them: Chinese or English names, case-insensitive, blanks around
// them ignored. Unknown columns are warnings; a column given twice or a required one missing
// are errors on row 1.

export type CanonicalKey =
  | 'date'
  | 'voucherNo'
  | 'summary'
  | 'accountCode'
  | 'income'
  | 'expense'
  | 'counterparty'
  | 'paymentMethod'
  | 'invoiceNo'
  | 'handler'
  | 'decisionRef';

export interface ColumnSpec {
  readonly key: CanonicalKey;
  /** The Chinese name, used in messages when the file has no header text for the column. */
  readonly zh: string;
  readonly en: string;
  /** The column must be present in the header (income/expense: at least one of the two). */
  readonly required: boolean;
  /** Longest accepted value, in characters; null for values with their own format. */
  readonly maxLength: number | null;
}

export const LEDGER_COLUMNS: readonly ColumnSpec[] = [
  { key: 'date', zh: '日期', en: 'date', required: true, maxLength: null },
  { key: 'voucherNo', zh: '凭证号', en: 'voucher_no', required: true, maxLength: 32 },
  { key: 'summary', zh: '摘要', en: 'summary', required: true, maxLength: 200 },
  { key: 'accountCode', zh: '科目编码', en: 'account_code', required: true, maxLength: null },
  { key: 'income', zh: '收入', en: 'income', required: false, maxLength: null },
  { key: 'expense', zh: '支出', en: 'expense', required: false, maxLength: null },
  { key: 'counterparty', zh: '收付款方', en: 'counterparty', required: false, maxLength: 100 },
  { key: 'paymentMethod', zh: '结算方式', en: 'payment_method', required: false, maxLength: null },
  { key: 'invoiceNo', zh: '发票号码', en: 'invoice_no', required: false, maxLength: 40 },
  { key: 'handler', zh: '经办人', en: 'handler', required: false, maxLength: 50 },
  // Not limited by the contract; long enough for any real 决议 reference.
  { key: 'decisionRef', zh: '决议编号', en: 'decision_ref', required: false, maxLength: 64 },
];

export const COLUMN_BY_KEY = Object.fromEntries(LEDGER_COLUMNS.map((c) => [c.key, c])) as Record<
  CanonicalKey,
  ColumnSpec
>;

/** A problem with one cell, row or the header. `row` counts the header as row 1. */
export interface RowError {
  row: number;
  /** The header text as written in the file, else the column's Chinese name ('' for a whole row). */
  column: string;
  code: string;
  message: string;
}

/** Something the import tolerates but the uploader should know about (e.g. an unknown column). */
export interface LedgerWarning {
  code: string;
  column: string;
  message: string;
}

export interface HeaderColumn {
  key: CanonicalKey;
  /** 0-based position of the column in the row. */
  index: number;
  /** The header text as written (trimmed). */
  header: string;
}

export interface HeaderMapping {
  columns: HeaderColumn[];
  /** For messages: the header text of each present column. */
  labels: Partial<Record<CanonicalKey, string>>;
  warnings: LedgerWarning[];
  /** missing_column / duplicate_column on row 1; rows cannot be read when there are any. */
  errors: RowError[];
}

const HEADER_ROW = 1;

/** Trims blanks (including full-width spaces and a BOM) and folds full-width letters and case. */
export function normalizeHeaderName(text: string): string {
  return text.replace(/^\uFEFF/, '').normalize('NFKC').trim().toLowerCase();
}

const COLUMN_BY_NAME = new Map<string, ColumnSpec>(
  LEDGER_COLUMNS.flatMap((c) => [
    [normalizeHeaderName(c.zh), c],
    [normalizeHeaderName(c.en), c],
  ]),
);

export function findColumn(headerText: string): ColumnSpec | undefined {
  return COLUMN_BY_NAME.get(normalizeHeaderName(headerText));
}

/** Display form of a header cell: as written, without the BOM and surrounding blanks. */
export const headerLabel = (text: string): string => text.replace(/^\uFEFF/, '').trim();

export function mapHeader(cells: readonly string[]): HeaderMapping {
  const mapping: HeaderMapping = { columns: [], labels: {}, warnings: [], errors: [] };
  cells.forEach((cell, index) => addHeaderCell(mapping, cell, index));
  mapping.errors.push(...missingColumnErrors(mapping));
  return mapping;
}

function addHeaderCell(mapping: HeaderMapping, cell: string, index: number): void {
  const header = headerLabel(cell);
  if (header === '') return; // trailing empty columns of spreadsheet exports
  const spec = findColumn(header);
  if (!spec) {
    mapping.warnings.push({
      code: 'unknown_column',
      column: header,
      message: `第 ${index + 1} 列“${header}”不是账本的列，已忽略`,
    });
    return;
  }
  const earlier = mapping.labels[spec.key];
  if (earlier !== undefined) {
    mapping.errors.push({
      row: HEADER_ROW,
      column: header,
      code: 'duplicate_column',
      message: `列“${header}”与列“${earlier}”都是${spec.zh}（${spec.en}），只能出现一次`,
    });
    return;
  }
  mapping.labels[spec.key] = header;
  mapping.columns.push({ key: spec.key, index, header });
}

function missingColumnErrors(mapping: HeaderMapping): RowError[] {
  const missing = LEDGER_COLUMNS.filter((c) => c.required && mapping.labels[c.key] === undefined).map((c) =>
    missingColumn(c.zh, `缺少必填列“${c.zh}”（${c.en}）`),
  );
  if (mapping.labels.income === undefined && mapping.labels.expense === undefined) {
    missing.push(missingColumn('收入/支出', '缺少金额列：至少要有“收入”（income）或“支出”（expense）之一'));
  }
  return missing;
}

const missingColumn = (column: string, message: string): RowError => ({
  row: HEADER_ROW,
  column,
  code: 'missing_column',
  message,
});
