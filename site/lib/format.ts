// Display formatting. Amounts arrive as integer fen and stay integers: no floats for money.

/** `123456` fen → `¥1,234.56`; negative amounts (reversals) keep their sign. */
export function yuan(fen: number): string {
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(fen);
  const whole = Math.floor(abs / 100)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${sign}¥${whole}.${String(abs % 100).padStart(2, '0')}`;
}

/** Fen as a plain decimal yuan string for CSV/JSON downloads (`-1234.50`), exact. */
export function yuanPlain(fen: number): string {
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(fen);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}
