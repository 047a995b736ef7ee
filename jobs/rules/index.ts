// The check rules, in the order of the product's table (spec: "Checks (the anomaly rules)").
import type { Rule } from './rule.ts';
import { rule as singleExpenseCap } from './single-expense-cap.ts';
import { rule as periodCap } from './period-cap.ts';
import { rule as largeExpenseNoDecision } from './large-expense-no-decision.ts';
import { rule as splitPayment } from './split-payment.ts';
import { rule as nearThreshold } from './near-threshold.ts';
import { rule as cashOverLimit } from './cash-over-limit.ts';
import { rule as missingVoucher } from './missing-voucher.ts';
import { rule as duplicateInvoice } from './duplicate-invoice.ts';
import { rule as duplicatePayment } from './duplicate-payment.ts';
import { rule as peerOutlier } from './peer-outlier.ts';
import { rule as historySpike } from './history-spike.ts';
import { rule as benford } from './benford.ts';
import { rule as roundAmounts } from './round-amounts.ts';
import { rule as relatedParty } from './related-party.ts';
import { rule as publicationOverdue } from './publication-overdue.ts';

export const rules: Rule[] = [
  singleExpenseCap,
  periodCap,
  largeExpenseNoDecision,
  splitPayment,
  nearThreshold,
  cashOverLimit,
  missingVoucher,
  duplicateInvoice,
  duplicatePayment,
  peerOutlier,
  historySpike,
  benford,
  roundAmounts,
  relatedParty,
  publicationOverdue,
];

/** A rule by id. */
export const ruleById = (id: string): Rule | undefined => rules.find((r) => r.id === id);
