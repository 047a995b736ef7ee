// CSV downloads that open in Excel: UTF-8 with a BOM, CRLF line ends (csv-stringify quotes as needed).
import { stringify } from 'csv-stringify/sync';

export function toCsv(rows: string[][]): string {
  return stringify(rows, { bom: true, record_delimiter: 'windows' });
}
