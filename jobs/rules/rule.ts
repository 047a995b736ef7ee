// What a check rule is. Each rule lives in jobs/rules/<rule-id>.ts: its identity, its
// parameters (a zod schema whose defaults are the product's), one set-based SQL query that
// gathers its input (`query`, read together with the other rules' queries in one statement per
// county: lib.ts queryRules), an optional `gather` that looks up what a few of the query's rows
// point to, and a pure `evaluate` that turns the input into findings. Keeping them apart lets the
// evaluation be tested from tables of cases without a database.
import type { SQL } from 'drizzle-orm';
import type { z } from 'zod';
import type { Executor } from '../../db/client.ts';

export type Severity = 'high' | 'medium' | 'low';

/** An entry cited as evidence (its voucher number is what an inspector looks up). */
export interface EvidenceEntry {
  id: string;
  villageCode: string;
  voucherNo: string;
  date: string;
  amountFen: number;
}

export interface Finding {
  /** What the finding is about: the same rule and subject is the same alert (e.g. an entry id,
   * or `${village}:${account}:${period}`). Stable across runs. */
  subject: string;
  /** The village, or null for a finding about a township or county (e.g. benford). */
  villageCode: string | null;
  /** The village, or the township/county a regional finding is about. */
  regionCode: string;
  /** YYYY-MM, YYYY for a year, or null. */
  period: string | null;
  severity: Severity;
  /** Short Chinese title, e.g. "招待费单笔超限". */
  title: string;
  /** A sentence a person can read, e.g. "招待费单笔 ¥1,260.00，超过限额 ¥500.00". Amounts in yuan for people. */
  summary: string;
  entries: EvidenceEntry[];
  /** The figures that crossed the line (integers in fen for money; ratios as numbers). */
  figures: Record<string, number | string>;
}

/** Which data a run looks at. */
export interface RuleScope {
  /** The region whose villages are checked (county, township or village code). */
  region: string;
  /** The villages in the run (all villages below `region` for a full run, fewer for an incremental one). */
  villages: string[];
  /** Entries dated on or before this day count (YYYY-MM-DD); publication-overdue judges deadlines at it. */
  asOf: string;
  /** The villages are every village of their counties (a full run, or a run that lists them all): a rule's peers are all in scope. */
  wholeCounties?: boolean;
}

/** Effective parameters of every village, township and county in scope (inheritance already applied). */
export type ParamsByRegion<T> = ReadonlyMap<string, T>;

export interface Rule<P extends z.ZodType = z.ZodType, I = unknown> {
  id: string;
  version: number;
  title: { zh: string; en: string };
  description: { zh: string; en: string };
  /** The legal or audit basis, in Chinese. */
  basis: string;
  severity: Severity;
  /** Parameters; `params.parse({})` gives the defaults. */
  params: P;
  /**
   * The rule's input as one set-based SELECT. It may read the CTEs of lib.ts spendingCtes —
   * `county_spend`, the published spending of every village of the counties of the scope's
   * villages as of asOf (`in_scope` marks the scope's own), `spend`, the scope's part of it, and
   * the aggregates over it — and any table.
   * Its rows reach `gather` as JSON objects named by the columns (quote camelCase aliases).
   * Select little: what evaluate needs of the candidates, not the ledger. Null: nothing to look
   * for (e.g. no cap set anywhere in scope).
   */
  query(scope: RuleScope, params: ParamsByRegion<z.infer<P>>): SQL | null;
  /**
   * The query's rows → evaluate's input, looking up by key what a few rows point to (the entries
   * behind a month that stands out). Without it the rows are the input.
   */
  gather?(db: Executor, rows: Record<string, unknown>[], scope: RuleScope, params: ParamsByRegion<z.infer<P>>): Promise<I>;
  /** Pure: the gathered input and the parameters → findings. */
  evaluate(input: I, params: ParamsByRegion<z.infer<P>>, scope: RuleScope): Finding[];
}

/** Helps TypeScript infer a rule's parameter and input types where it is defined. */
export const defineRule = <P extends z.ZodType, I>(rule: Rule<P, I>): Rule<P, I> => rule;
