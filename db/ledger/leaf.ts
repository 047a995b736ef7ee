// What a published entry contributes to its village's log. The leaf is the canonical JSON
// (RFC 8785) of the entry's public fields plus a salted commitment to its free-text fields:
// summaries may carry personal numbers that public output masks, so the texts are committed to
// rather than published in the leaf, and masking rules can change without breaking the log.
// Editing any stored field, text included, changes the leaf the server reports, and the
// verifier then finds the tree no longer matches the signed checkpoint.
import { createHash } from 'node:crypto';
import { leafHash } from '../merkle.ts';

export interface LeafSource {
  id: string;
  villageCode: string;
  date: string;
  voucherNo: string;
  summary: string;
  accountCode: string;
  direction: 'income' | 'expense';
  amountFen: number;
  counterparty: string | null;
  paymentMethod: string;
  invoiceNo: string | null;
  handler: string | null;
  decisionRef: string | null;
  reversesId: string | null;
  salt: string;
  /** SHA-256 of each voucher page, in page order. */
  voucherHashes: string[];
}

export interface PublicLeaf {
  v: 1;
  id: string;
  village: string;
  date: string;
  voucherNo: string;
  account: string;
  direction: 'income' | 'expense';
  amountFen: number;
  paymentMethod: string;
  invoiceNo: string | null;
  decisionRef: string | null;
  reverses: string | null;
  vouchers: string[];
  /** SHA-256(salt ‖ canonical JSON of summary, counterparty, handler), hex. */
  texts: string;
}

/**
 * RFC 8785 (JCS) canonical JSON for what leaves hold: strings, safe integers, null, arrays and
 * plain objects. For those JCS is JSON.stringify with object keys sorted by UTF-16 code units
 * (which is what Array#sort does); floats, which need JCS's number rules, are refused.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new TypeError(`canonical JSON here takes integers only: ${value}`);
    return String(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  throw new TypeError(`cannot canonicalise a ${typeof value}`);
}
const canonical = canonicalJson;

export function textCommitment(e: Pick<LeafSource, 'salt' | 'summary' | 'counterparty' | 'handler'>): string {
  return createHash('sha256')
    .update(Buffer.from(e.salt, 'hex'))
    .update(canonical({ summary: e.summary, counterparty: e.counterparty, handler: e.handler }), 'utf8')
    .digest('hex');
}

export function publicLeaf(e: LeafSource): PublicLeaf {
  return {
    v: 1,
    id: e.id,
    village: e.villageCode,
    date: e.date,
    voucherNo: e.voucherNo,
    account: e.accountCode,
    direction: e.direction,
    amountFen: e.amountFen,
    paymentMethod: e.paymentMethod,
    invoiceNo: e.invoiceNo,
    decisionRef: e.decisionRef,
    reverses: e.reversesId,
    vouchers: e.voucherHashes,
    texts: textCommitment(e),
  };
}

/** The bytes hashed into the leaf: the canonical JSON of the public leaf. */
export const leafBytes = (leaf: PublicLeaf): Buffer => Buffer.from(canonical(leaf), 'utf8');

export const hashLeaf = (leaf: PublicLeaf): Buffer => leafHash(leafBytes(leaf));
