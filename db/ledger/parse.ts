// Validation of one ledger row, pure: cells in (text from a CSV, or text/number/Date from an
// XLSX sheet), a LedgerRow or every error of the row out. Amounts become integer fen here and
// are never floating-point yuan: decimal text is split into digit strings.
import { COLUMN_BY_KEY, type CanonicalKey, type RowError } from './columns.ts';

export type CellValue = string | number | Date | boolean | null | undefined;
export type LedgerCells = Partial<Record<CanonicalKey, CellValue>>;
export type ColumnLabels = Partial<Record<CanonicalKey, string>>;

export type PaymentMethod = 'cash' | 'transfer' | 'card' | 'other';

export interface LedgerRow {
  /** Row of the file, the header being row 1. */
  row: number;
  /** YYYY-MM-DD */
  date: string;
  voucherNo: string;
  summary: string;
  accountCode: string;
  direction: 'income' | 'expense';
  /** Integer fen, > 0. */
  amountFen: number;
  counterparty: string | null;
  paymentMethod: PaymentMethod;
  invoiceNo: string | null;
  handler: string | null;
  decisionRef: string | null;
}

export interface RowValidation {
  row?: LedgerRow;
  errors: RowError[];
}

type Failure = { ok: false; code: string; message: string };
export type AmountResult = { ok: true; fen: number } | Failure;
export type DateResult = { ok: true; date: string } | Failure;
export type PaymentMethodResult = { ok: true; method: PaymentMethod } | Failure;

/** 10^11 yuan: more than any village will ever book in one line, and exact as a double. */
export const MAX_AMOUNT_FEN = 10 ** 13;

// ---------------------------------------------------------------------------------------------
// Text helpers

/** Full-width ASCII variants (Ａ, １, －, ．, ，…) and the ideographic space to ASCII. */
export function toHalfWidth(text: string): string {
  return text
    .replace(/[\uFF01-\uFF5E]/g, (ch) => String.fromCharCode(ch.charCodeAt(0) - 0xfee0))
    .replace(/\u3000/g, ' ');
}

const charCount = (text: string): number => [...text].length;

const excerpt = (text: string, max = 20): string =>
  charCount(text) > max ? `${[...text].slice(0, max).join('')}…` : text;

const isoDate = (year: number, month: number, day: number): string =>
  `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;

/** The text of a cell as the uploader sees it; Date cells by their calendar date (UTC fields). */
export function cellText(value: CellValue): string {
  if (value === undefined || value === null) return '';
  if (value instanceof Date) {
    return Number.isNaN(value.getTime())
      ? ''
      : isoDate(value.getUTCFullYear(), value.getUTCMonth() + 1, value.getUTCDate());
  }
  return String(value).trim();
}

const fail = (code: string, message: string): Failure => ({ ok: false, code, message });

// ---------------------------------------------------------------------------------------------
// Amounts

const CURRENCY_PREFIX = /^[¥￥]\s*/;
const YUAN_SUFFIX = /\s*元$/;
const PLAIN_AMOUNT = /^(\d[\d,]*)(?:\.(\d*))?$/;
const GROUPED_DIGITS = /^\d{1,3}(?:,\d{3})+$/;

/**
 * Yuan text with at most two decimals → integer fen. Accepts `1234.5`, `1,234.50`, `¥1234.5`,
 * `￥1,234.50`, `1234.5元`; blank, `0` and `0.00` are zero. A number (an XLSX cell) is read
 * through its 15-significant-digit decimal form, which is what Excel shows.
 */
export function parseAmountFen(input: string | number): AmountResult {
  const text = typeof input === 'number' ? numberToAmountText(input) : toHalfWidth(input).trim();
  if (text === '') return { ok: true, fen: 0 };
  const body = text.replace(CURRENCY_PREFIX, '').replace(YUAN_SUFFIX, '');
  const quoted = `"${excerpt(text)}"`;
  if (/^[-−]/.test(body)) return fail('amount_negative', `${quoted} 不能为负数`);
  const match = PLAIN_AMOUNT.exec(body);
  if (!match) return unreadableAmount(body, quoted);
  const [, integerPart = '', fraction] = match;
  if (integerPart.includes(',') && !GROUPED_DIGITS.test(integerPart)) {
    return fail('amount_format', `${quoted} 的千位分隔符位置不对`);
  }
  if (fraction !== undefined && fraction.length > 2) return fail('amount_format', `${quoted} 最多两位小数`);
  if (fraction === '') return fail('amount_format', `${quoted} 不是有效金额`);
  const fen = BigInt(integerPart.replaceAll(',', '')) * 100n + BigInt((fraction ?? '').padEnd(2, '0'));
  if (fen > BigInt(MAX_AMOUNT_FEN)) return fail('amount_too_large', `${quoted} 超过金额上限 1000 亿元`);
  return { ok: true, fen: Number(fen) };
}

function unreadableAmount(body: string, quoted: string): Failure {
  if (/^\d+(?:\.\d+)?e[-+]?\d+$/i.test(body)) return fail('amount_format', `${quoted} 不能用科学计数法`);
  return fail('amount_format', `${quoted} 不是有效金额（应为元，最多两位小数，如 1234.50）`);
}

/** A spreadsheet number as Excel displays it: 15 significant digits, trailing zeros dropped. */
function numberToAmountText(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const text = value.toPrecision(15);
  if (text.includes('e')) return String(value);
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}

// ---------------------------------------------------------------------------------------------
// Dates

const DATE_FORMATS = [
  /^(\d{4})-(\d{1,2})-(\d{1,2})$/,
  /^(\d{4})\/(\d{1,2})\/(\d{1,2})$/,
  /^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日$/,
];
const MIN_YEAR = 1900;
const MAX_YEAR = 2100;
const DAY_MS = 86_400_000;
/** Day 0 of Excel's 1900 date system (serial 1 is 1900-01-01; serials from 61 are exact). */
const EXCEL_EPOCH_MS = Date.UTC(1899, 11, 30);
const FIRST_EXACT_SERIAL = 61;

const daysInMonth = (year: number, month: number): number => new Date(Date.UTC(year, month, 0)).getUTCDate();

/**
 * `2025-03-05`, `2025/3/5`, `2025年3月5日`, a Date (an XLSX date cell, read by its UTC fields
 * because the spreadsheet date carries no zone) or an Excel serial day number → `YYYY-MM-DD`.
 */
export function parseDate(input: string | Date | number): DateResult {
  if (input instanceof Date) return dateFromUtcFields(input);
  if (typeof input === 'number') return dateFromExcelSerial(input);
  const text = toHalfWidth(input).trim();
  const match = DATE_FORMATS.map((re) => re.exec(text)).find((m) => m !== null);
  if (!match) {
    return fail('date_invalid', `"${excerpt(text)}" 不是日期，应写作 2025-03-05、2025/3/5 或 2025年3月5日`);
  }
  return calendarDate(Number(match[1]), Number(match[2]), Number(match[3]), text);
}

function calendarDate(year: number, month: number, day: number, shown: string): DateResult {
  if (year < MIN_YEAR || year > MAX_YEAR) {
    return fail('date_invalid', `"${shown}" 的年份应在 ${MIN_YEAR}—${MAX_YEAR} 之间`);
  }
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    return fail('date_invalid', `"${shown}" 不是日历上存在的日期`);
  }
  return { ok: true, date: isoDate(year, month, day) };
}

function dateFromUtcFields(value: Date): DateResult {
  if (Number.isNaN(value.getTime())) return fail('date_invalid', '日期单元格无效');
  const year = value.getUTCFullYear();
  const month = value.getUTCMonth() + 1;
  const day = value.getUTCDate();
  return calendarDate(year, month, day, isoDate(year, month, day));
}

function dateFromExcelSerial(serial: number): DateResult {
  if (!Number.isFinite(serial) || serial < FIRST_EXACT_SERIAL) {
    return fail('date_invalid', `"${serial}" 不是日期`);
  }
  return dateFromUtcFields(new Date(EXCEL_EPOCH_MS + Math.floor(serial) * DAY_MS));
}

// ---------------------------------------------------------------------------------------------
// Payment methods

const PAYMENT_METHODS = new Map<string, PaymentMethod>([
  ['现金', 'cash'],
  ['cash', 'cash'],
  ['转账', 'transfer'],
  ['transfer', 'transfer'],
  ['村务卡', 'card'],
  ['card', 'card'],
  ['其他', 'other'],
  ['other', 'other'],
]);

/** 现金/cash, 转账/transfer, 村务卡/card, 其他/other (any case); blank is transfer. */
export function parsePaymentMethod(text: string): PaymentMethodResult {
  const key = toHalfWidth(text).trim().toLowerCase();
  if (key === '') return { ok: true, method: 'transfer' };
  const method = PAYMENT_METHODS.get(key);
  if (method) return { ok: true, method };
  return fail('payment_method_unknown', `"${excerpt(text)}" 不是已知的结算方式（现金、转账、村务卡、其他）`);
}

// ---------------------------------------------------------------------------------------------
// Rows

const ACCOUNT_CODE = /^\d{3}(?:\d{2})?$/;

/** Collects the errors of one row; every check reports and carries on. */
class RowChecker {
  readonly errors: RowError[] = [];
  private readonly rowNumber: number;
  private readonly labels: ColumnLabels;

  constructor(rowNumber: number, labels: ColumnLabels) {
    this.rowNumber = rowNumber;
    this.labels = labels;
  }

  label(key: CanonicalKey): string {
    return this.labels[key] ?? COLUMN_BY_KEY[key].zh;
  }

  /** Where an error about both amounts goes: 支出, unless the file only has 收入. */
  amountColumn(): CanonicalKey {
    return this.labels.expense === undefined && this.labels.income !== undefined ? 'income' : 'expense';
  }

  report(key: CanonicalKey, code: string, message: string): void {
    this.errors.push({ row: this.rowNumber, column: this.label(key), code, message });
  }

  /** A failure message starts with the quoted value; the column's name goes in front. */
  reportFailure(key: CanonicalKey, failure: Failure): void {
    this.report(key, failure.code, `${this.label(key)} ${failure.message}`);
  }

  required(key: CanonicalKey, text: string): string {
    if (text === '') this.report(key, 'required', `${this.label(key)}不能为空`);
    return text;
  }

  /** Optional text, limited to the column's length; null when blank. */
  limited(key: CanonicalKey, text: string): string | null {
    const max = COLUMN_BY_KEY[key].maxLength;
    if (max !== null && charCount(text) > max) {
      this.report(
        key,
        'too_long',
        `${this.label(key)} "${excerpt(text)}" 超过 ${max} 个字（共 ${charCount(text)} 个）`,
      );
    }
    return text === '' ? null : text;
  }
}

export function validateRow(cells: LedgerCells, rowNumber: number, labels: ColumnLabels = {}): RowValidation {
  const check = new RowChecker(rowNumber, labels);
  const text = (key: CanonicalKey): string => cellText(cells[key]);
  const code = (key: CanonicalKey): string => toHalfWidth(text(key)).trim();

  const date = checkDate(check, cells.date);
  const voucherNo = check.limited('voucherNo', check.required('voucherNo', code('voucherNo')));
  const summary = check.limited('summary', check.required('summary', text('summary')));
  const accountCode = checkAccountCode(check, code('accountCode'));
  const amount = checkAmounts(check, cells.income, cells.expense);
  const counterparty = check.limited('counterparty', text('counterparty'));
  if (counterparty === null && amount.expenseIntended) {
    check.report('counterparty', 'required', `支出必须填写${check.label('counterparty')}`);
  }
  const paymentMethod = checkPaymentMethod(check, text('paymentMethod'));
  const invoiceNo = check.limited('invoiceNo', code('invoiceNo'));
  const handler = check.limited('handler', text('handler'));
  const decisionRef = check.limited('decisionRef', code('decisionRef'));

  if (check.errors.length > 0 || !date || !voucherNo || !summary || !accountCode || !amount.value) {
    return { errors: check.errors };
  }
  return {
    row: {
      row: rowNumber,
      date,
      voucherNo,
      summary,
      accountCode,
      direction: amount.value.direction,
      amountFen: amount.value.fen,
      counterparty,
      paymentMethod: paymentMethod ?? 'transfer',
      invoiceNo,
      handler,
      decisionRef,
    },
    errors: [],
  };
}

function checkDate(check: RowChecker, value: CellValue): string | null {
  if (cellText(value) === '') {
    check.required('date', '');
    return null;
  }
  const result = parseDate(typeof value === 'number' || value instanceof Date ? value : cellText(value));
  if (!result.ok) {
    check.reportFailure('date', result);
    return null;
  }
  return result.date;
}

function checkAccountCode(check: RowChecker, text: string): string | null {
  if (check.required('accountCode', text) === '') return null;
  if (ACCOUNT_CODE.test(text)) return text;
  check.report(
    'accountCode',
    'account_code_format',
    `${check.label('accountCode')} "${excerpt(text)}" 应为 3 位科目或 5 位明细科目编码`,
  );
  return null;
}

function checkPaymentMethod(check: RowChecker, text: string): PaymentMethod | null {
  const result = parsePaymentMethod(text);
  if (result.ok) return result.method;
  check.reportFailure('paymentMethod', result);
  return null;
}

interface AmountCheck {
  value: { direction: 'income' | 'expense'; fen: number } | null;
  /** The row means an expense (or may: an unreadable expense amount counts). */
  expenseIntended: boolean;
}

function checkAmounts(check: RowChecker, incomeCell: CellValue, expenseCell: CellValue): AmountCheck {
  const income = amountOf(incomeCell);
  const expense = amountOf(expenseCell);
  if (!income.ok) check.reportFailure('income', income);
  if (!expense.ok) check.reportFailure('expense', expense);
  const expenseIntended = expense.ok ? expense.fen > 0 : true;
  if (!income.ok || !expense.ok) return { value: null, expenseIntended };

  const amountColumn = check.amountColumn();
  if (income.fen > 0 && expense.fen > 0) {
    check.report(
      amountColumn,
      'amount_both',
      `${check.label('income')} "${cellText(incomeCell)}" 和${check.label('expense')} "${cellText(expenseCell)}" 只能填写一个`,
    );
    return { value: null, expenseIntended };
  }
  if (income.fen === 0 && expense.fen === 0) {
    check.report(
      amountColumn,
      'amount_missing',
      `${check.label('income')}和${check.label('expense')}都为空或为 0，必须填写其中一个`,
    );
    return { value: null, expenseIntended };
  }
  return {
    value: income.fen > 0 ? { direction: 'income', fen: income.fen } : { direction: 'expense', fen: expense.fen },
    expenseIntended,
  };
}

function amountOf(value: CellValue): AmountResult {
  if (typeof value === 'number') return parseAmountFen(value);
  if (value instanceof Date) return fail('amount_format', `"${cellText(value)}" 是日期，不是金额`);
  return parseAmountFen(cellText(value));
}
