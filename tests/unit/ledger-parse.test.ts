import { describe, expect, it } from 'vitest';
import { findColumn, LEDGER_COLUMNS, mapHeader } from '../../db/ledger/columns.ts';
import {
  cellText,
  MAX_AMOUNT_FEN,
  parseAmountFen,
  parseDate,
  parsePaymentMethod,
  toHalfWidth,
  validateRow,
  type LedgerCells,
} from '../../db/ledger/parse.ts';

describe('parseAmountFen', () => {
  it.each([
    ['', 0],
    ['   ', 0],
    ['0', 0],
    ['0.00', 0],
    ['0.0', 0],
    ['1234.5', 123450],
    ['1,234.50', 123450],
    ['¥1234.5', 123450],
    ['￥1,234.50', 123450],
    ['1234.5元', 123450],
    ['¥ 1234.50 元', 123450],
    ['19.99', 1999],
    ['0.29', 29],
    ['0.3', 30],
    ['¥0.01', 1],
    ['1,234,567.89', 123456789],
    ['368.52', 36852],
    ['  71000.00 ', 7100000],
    ['007', 700],
    ['100000000000', MAX_AMOUNT_FEN],
    ['１２３４．５', 123450],
    ['１，２３４．５０元', 123450],
  ])('%j → %i fen', (text, fen) => {
    expect(parseAmountFen(text)).toEqual({ ok: true, fen });
  });

  it.each([
    ['1.005', 'amount_format', '最多两位小数'],
    ['12.345', 'amount_format', '"12.345" 最多两位小数'],
    ['0.001', 'amount_format', '最多两位小数'],
    ['12a', 'amount_format', '不是有效金额'],
    ['abc', 'amount_format', '不是有效金额'],
    ['1.2.3', 'amount_format', '不是有效金额'],
    ['12.', 'amount_format', '不是有效金额'],
    ['.5', 'amount_format', '不是有效金额'],
    ['+5', 'amount_format', '不是有效金额'],
    ['1e3', 'amount_format', '科学计数法'],
    ['1.5E+2', 'amount_format', '科学计数法'],
    ['1,23.00', 'amount_format', '千位分隔符'],
    ['12,34', 'amount_format', '千位分隔符'],
    ['1234,567.00', 'amount_format', '千位分隔符'],
    [',123', 'amount_format', '不是有效金额'],
    ['-5', 'amount_negative', '不能为负数'],
    ['-0.01', 'amount_negative', '不能为负数'],
    ['¥-5', 'amount_negative', '不能为负数'],
    ['－５', 'amount_negative', '不能为负数'],
    ['100000000000.01', 'amount_too_large', '上限'],
    ['99999999999999999999', 'amount_too_large', '上限'],
    ['¥', 'amount_format', '不是有效金额'],
  ])('refuses %j with %s', (text, code, message) => {
    const result = parseAmountFen(text);
    expect(result).toMatchObject({ ok: false, code });
    expect(result.ok || result.message).toContain(message);
  });

  it.each([
    [368.52, 36852],
    [19.99, 1999],
    [0.1 + 0.2, 30], // 0.30000000000000004: Excel shows 0.3
    [113.00000000000001, 11300],
    [71000, 7100000],
    [0, 0],
    [1234567.89, 123456789],
  ])('reads the spreadsheet number %d as %i fen', (value, fen) => {
    expect(parseAmountFen(value)).toEqual({ ok: true, fen });
  });

  it.each([
    [1.005, 'amount_format'],
    [0.125, 'amount_format'],
    [-3, 'amount_negative'],
    [Number.NaN, 'amount_format'],
    [Number.POSITIVE_INFINITY, 'amount_format'],
    [1e15, 'amount_too_large'],
    [1e21, 'amount_format'],
  ])('refuses the spreadsheet number %d', (value, code) => {
    expect(parseAmountFen(value)).toMatchObject({ ok: false, code });
  });
});

describe('parseDate', () => {
  it.each([
    ['2025-03-05', '2025-03-05'],
    ['2025-3-5', '2025-03-05'],
    ['2025/3/5', '2025-03-05'],
    ['2025/03/05', '2025-03-05'],
    ['2025年3月5日', '2025-03-05'],
    ['2025 年 12 月 31 日', '2025-12-31'],
    [' 2024-02-29 ', '2024-02-29'],
    ['２０２５－０３－０５', '2025-03-05'],
    ['2000-02-29', '2000-02-29'],
  ])('%j → %s', (text, date) => {
    expect(parseDate(text)).toEqual({ ok: true, date });
  });

  it.each([
    '2025-02-29',
    '2025-02-30',
    '2025-04-31',
    '2025-13-01',
    '2025-00-10',
    '2025-01-00',
    '1900-02-29',
    '2025.03.05',
    '05/03/2025',
    '20250305',
    '2025-03',
    '2025-03-05 10:00',
    'yesterday',
    '1800-01-01',
    '2025-3-5日',
  ])('refuses %j', (text) => {
    expect(parseDate(text)).toMatchObject({ ok: false, code: 'date_invalid' });
  });

  it('reads a Date by its calendar (UTC) fields, whatever the time of day', () => {
    expect(parseDate(new Date(Date.UTC(2024, 0, 6)))).toEqual({ ok: true, date: '2024-01-06' });
    expect(parseDate(new Date(Date.UTC(2024, 0, 6, 23, 59, 59)))).toEqual({ ok: true, date: '2024-01-06' });
    expect(parseDate(new Date(Number.NaN))).toMatchObject({ ok: false, code: 'date_invalid' });
  });

  it('reads an Excel serial day number (a date cell whose format was not recognised)', () => {
    expect(parseDate(45292)).toEqual({ ok: true, date: '2024-01-01' });
    expect(parseDate(45292.75)).toEqual({ ok: true, date: '2024-01-01' });
    expect(parseDate(45716)).toEqual({ ok: true, date: '2025-02-28' });
    expect(parseDate(12)).toMatchObject({ ok: false, code: 'date_invalid' });
  });
});

describe('parsePaymentMethod', () => {
  it.each([
    ['现金', 'cash'],
    ['cash', 'cash'],
    ['CASH', 'cash'],
    ['转账', 'transfer'],
    ['Transfer', 'transfer'],
    ['村务卡', 'card'],
    ['card', 'card'],
    ['其他', 'other'],
    ['OTHER', 'other'],
    ['', 'transfer'],
    ['  ', 'transfer'],
    [' 现金 ', 'cash'],
    ['ｃａｓｈ', 'cash'],
  ])('%j → %s', (text, method) => {
    expect(parsePaymentMethod(text)).toEqual({ ok: true, method });
  });

  it.each(['支票', 'wechat', '现 金'])('refuses %j', (text) => {
    expect(parsePaymentMethod(text)).toMatchObject({ ok: false, code: 'payment_method_unknown' });
  });
});

describe('helpers', () => {
  it('toHalfWidth folds full-width ASCII and the ideographic space only', () => {
    expect(toHalfWidth('ＡＢｃ１２３－．，\u3000记')).toBe('ABc123-., 记');
  });

  it('cellText trims, and shows Dates by their calendar date', () => {
    expect(cellText('  a \u3000')).toBe('a');
    expect(cellText(undefined)).toBe('');
    expect(cellText(51306)).toBe('51306');
    expect(cellText(new Date(Date.UTC(2025, 2, 5)))).toBe('2025-03-05');
  });
});

describe('header mapping', () => {
  it('knows the eleven columns of the contract', () => {
    expect(LEDGER_COLUMNS.map((c) => `${c.zh}/${c.en}`)).toEqual([
      '日期/date',
      '凭证号/voucher_no',
      '摘要/summary',
      '科目编码/account_code',
      '收入/income',
      '支出/expense',
      '收付款方/counterparty',
      '结算方式/payment_method',
      '发票号码/invoice_no',
      '经办人/handler',
      '决议编号/decision_ref',
    ]);
  });

  it.each([
    ['日期', 'date'],
    [' 日期 ', 'date'],
    ['\uFEFF日期', 'date'],
    ['\u3000凭证号\u3000', 'voucherNo'],
    ['VOUCHER_NO', 'voucherNo'],
    ['  Account_Code ', 'accountCode'],
    ['ｉｎｃｏｍｅ', 'income'],
    ['决议编号', 'decisionRef'],
  ])('%j is %s', (header, key) => {
    expect(findColumn(header)?.key).toBe(key);
  });

  it('maps columns in any order, warns about unknown ones and ignores blank headers', () => {
    const mapping = mapHeader(['summary', '备注', '凭证号', '', 'DATE', 'account_code', '支出', 'Remark']);
    expect(mapping.errors).toEqual([]);
    expect(mapping.columns.map((c) => [c.key, c.index, c.header])).toEqual([
      ['summary', 0, 'summary'],
      ['voucherNo', 2, '凭证号'],
      ['date', 4, 'DATE'],
      ['accountCode', 5, 'account_code'],
      ['expense', 6, '支出'],
    ]);
    expect(mapping.warnings.map((w) => [w.code, w.column])).toEqual([
      ['unknown_column', '备注'],
      ['unknown_column', 'Remark'],
    ]);
  });

  it('reports missing required columns and a column given twice on row 1', () => {
    const mapping = mapHeader(['日期', 'date', '摘要', '收入']);
    expect(mapping.errors).toEqual([
      expect.objectContaining({ row: 1, column: 'date', code: 'duplicate_column' }),
      expect.objectContaining({ row: 1, column: '凭证号', code: 'missing_column' }),
      expect.objectContaining({ row: 1, column: '科目编码', code: 'missing_column' }),
    ]);
  });

  it('needs at least one amount column', () => {
    const mapping = mapHeader(['日期', '凭证号', '摘要', '科目编码']);
    expect(mapping.errors).toEqual([expect.objectContaining({ row: 1, column: '收入/支出', code: 'missing_column' })]);
  });
});

describe('validateRow', () => {
  const expenseCells: LedgerCells = {
    date: '2024-01-06',
    voucherNo: '记-2024-01-017',
    summary: '村委会办公室维修',
    accountCode: '51306',
    income: '',
    expense: '368.52',
    counterparty: '青山县底洞富兵电器维修部',
    paymentMethod: '转账',
    invoiceNo: '51223799601',
    handler: '毛红',
    decisionRef: '',
  };

  it('turns a valid expense row into a LedgerRow', () => {
    expect(validateRow(expenseCells, 2)).toEqual({
      row: {
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
      },
      errors: [],
    });
  });

  it('turns an income row without counterparty, method or optional columns into a LedgerRow', () => {
    const { row, errors } = validateRow(
      { date: '2024/1/4', voucherNo: '记-2024-01-001', summary: '运转经费', accountCode: '503', income: '71,000.00' },
      5,
    );
    expect(errors).toEqual([]);
    expect(row).toMatchObject({
      row: 5,
      date: '2024-01-04',
      direction: 'income',
      amountFen: 7100000,
      counterparty: null,
      paymentMethod: 'transfer',
      invoiceNo: null,
      handler: null,
      decisionRef: null,
    });
  });

  it('trims cells and normalises full-width characters in codes, dates, amounts and invoice numbers', () => {
    const { row, errors } = validateRow(
      {
        ...expenseCells,
        date: ' ２０２４年１月６日 ',
        voucherNo: ' 记－２０２４－０１－０１７ ',
        accountCode: '５１３０６',
        expense: '￥３６８．５２',
        invoiceNo: '５１２２３７９９６０１',
        summary: '  村委会办公室维修\u3000',
        paymentMethod: 'ＣＡＳＨ',
        decisionRef: 'ＪＹ－２０２４－０１',
      },
      2,
    );
    expect(errors).toEqual([]);
    expect(row).toMatchObject({
      date: '2024-01-06',
      voucherNo: '记-2024-01-017',
      accountCode: '51306',
      amountFen: 36852,
      invoiceNo: '51223799601',
      summary: '村委会办公室维修',
      paymentMethod: 'cash',
      decisionRef: 'JY-2024-01',
    });
  });

  it('accepts spreadsheet values: Date, numbers for codes and amounts', () => {
    const { row, errors } = validateRow(
      { ...expenseCells, date: new Date(Date.UTC(2024, 0, 6)), accountCode: 51306, expense: 368.52, invoiceNo: 51223799601 },
      2,
    );
    expect(errors).toEqual([]);
    expect(row).toMatchObject({ date: '2024-01-06', accountCode: '51306', amountFen: 36852, invoiceNo: '51223799601' });
  });

  const oneError = (cells: Partial<LedgerCells>) => validateRow({ ...expenseCells, ...cells }, 7).errors;

  it.each([
    ['date=blank', { date: '' }, '日期', 'required'],
    ['date=2025-02-30', { date: '2025-02-30' }, '日期', 'date_invalid'],
    ['voucherNo=blank', { voucherNo: ' ' }, '凭证号', 'required'],
    ['voucherNo=x×33', { voucherNo: 'x'.repeat(33) }, '凭证号', 'too_long'],
    ['summary=undefined', { summary: undefined }, '摘要', 'required'],
    ['summary=摘×201', { summary: '摘'.repeat(201) }, '摘要', 'too_long'],
    ['accountCode=blank', { accountCode: '' }, '科目编码', 'required'],
    ['accountCode=5130', { accountCode: '5130' }, '科目编码', 'account_code_format'],
    ['accountCode=513066', { accountCode: '513066' }, '科目编码', 'account_code_format'],
    ['accountCode=51a', { accountCode: '51a' }, '科目编码', 'account_code_format'],
    ['expense=12.345', { expense: '12.345' }, '支出', 'amount_format'],
    ['expense=-12', { expense: '-12' }, '支出', 'amount_negative'],
    ['income=abc', { income: 'abc' }, '收入', 'amount_format'],
    ['income=10 expense=20', { income: '10', expense: '20' }, '支出', 'amount_both'],
    ['income=blank expense=blank', { income: '', expense: '' }, '支出', 'amount_missing'],
    ['income=0 expense=0.00', { income: '0', expense: '0.00' }, '支出', 'amount_missing'],
    ['counterparty=blank', { counterparty: '' }, '收付款方', 'required'],
    ['counterparty=方×101', { counterparty: '方'.repeat(101) }, '收付款方', 'too_long'],
    ['paymentMethod=支票', { paymentMethod: '支票' }, '结算方式', 'payment_method_unknown'],
    ['invoiceNo=1×41', { invoiceNo: '1'.repeat(41) }, '发票号码', 'too_long'],
    ['handler=人×51', { handler: '人'.repeat(51) }, '经办人', 'too_long'],
    ['decisionRef=r×65', { decisionRef: 'r'.repeat(65) }, '决议编号', 'too_long'],
  ] as const)('%s → %s %s', (_label, cells, column, code) => {
    expect(oneError(cells)).toEqual([{ row: 7, column, code, message: expect.any(String) }]);
  });

  it('accepts values exactly at their length limits (counted in characters)', () => {
    const { errors } = validateRow(
      {
        ...expenseCells,
        voucherNo: '记'.repeat(32),
        summary: '摘'.repeat(200),
        counterparty: '𠮷'.repeat(100),
        invoiceNo: '1'.repeat(40),
        handler: '人'.repeat(50),
      },
      2,
    );
    expect(errors).toEqual([]);
  });

  it('writes clear Chinese messages that name the column and the value', () => {
    expect(oneError({ expense: '12.345' })[0]?.message).toBe('支出 "12.345" 最多两位小数');
    expect(oneError({ date: '2025-02-30' })[0]?.message).toBe('日期 "2025-02-30" 不是日历上存在的日期');
    expect(oneError({ summary: '' })[0]?.message).toBe('摘要不能为空');
    expect(oneError({ income: '10', expense: '20' })[0]?.message).toBe('收入 "10" 和支出 "20" 只能填写一个');
  });

  it('names columns by the header as written in the file', () => {
    const labels = { expense: 'Expense', counterparty: 'counterparty' };
    const { errors } = validateRow({ ...expenseCells, expense: '1.005', counterparty: '' }, 3, labels);
    expect(errors.map((e) => [e.column, e.code])).toEqual([
      ['Expense', 'amount_format'],
      ['counterparty', 'required'],
    ]);
    expect(errors[0]?.message).toBe('Expense "1.005" 最多两位小数');
  });

  it('needs no counterparty for income', () => {
    expect(oneError({ income: '5', expense: '', counterparty: '' })).toEqual([]);
  });

  it('returns every error of a row, not only the first', () => {
    const { row, errors } = validateRow(
      {
        date: '2025-02-29',
        voucherNo: '',
        summary: '',
        accountCode: '12',
        income: '1.001',
        expense: 'abc',
        counterparty: '',
        paymentMethod: 'bitcoin',
        invoiceNo: '9'.repeat(41),
        handler: 'h'.repeat(51),
      },
      9,
    );
    expect(row).toBeUndefined();
    expect(errors.map((e) => [e.row, e.column, e.code])).toEqual([
      [9, '日期', 'date_invalid'],
      [9, '凭证号', 'required'],
      [9, '摘要', 'required'],
      [9, '科目编码', 'account_code_format'],
      [9, '收入', 'amount_format'],
      [9, '支出', 'amount_format'],
      [9, '收付款方', 'required'],
      [9, '结算方式', 'payment_method_unknown'],
      [9, '发票号码', 'too_long'],
      [9, '经办人', 'too_long'],
    ]);
  });

  it('reports a Date in an amount column as an amount_format error', () => {
    expect(oneError({ expense: new Date(Date.UTC(2025, 0, 1)) })).toEqual([
      expect.objectContaining({ column: '支出', code: 'amount_format' }),
    ]);
  });
});
