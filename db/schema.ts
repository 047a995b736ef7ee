// Drizzle schema: the tables of the foundation (regions, staff, sessions, tokens, audit).
// Migrations in db/migrations are generated from this file by drizzle-kit (npm run db:generate).
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  date,
  foreignKey,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
  type AnyPgColumn,
} from 'drizzle-orm/pg-core';

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();

/** Regions by 统计用区划代码 (12 digits: 2 province, 4 city, 6 county, 9 township, 12 village). */
export const regions = pgTable(
  'regions',
  {
    code: text('code').primaryKey(),
    name: text('name').notNull(),
    level: text('level', { enum: ['province', 'city', 'county', 'township', 'village'] }).notNull(),
    /** Derived from the code (see db/regions.ts); null for a province. Not a foreign key: a county may be stored without its city. */
    parentCode: text('parent_code'),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('regions_code_format', sql`${t.code} ~ '^[0-9]{12}$'`),
    check('regions_level', sql`${t.level} in ('province','city','county','township','village')`),
    index('regions_parent_idx').on(t.parentCode),
  ],
);

export const roles = ['accountant', 'inspector', 'admin'] as const;
export type Role = (typeof roles)[number];

export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey(),
    username: text('username').notNull(),
    displayName: text('display_name').notNull(),
    role: text('role', { enum: roles }).notNull(),
    /** One region code; the user sees and changes nothing outside it. 000000000000 = the whole country. */
    scope: text('scope').notNull(),
    passwordHash: text('password_hash').notNull(),
    /** Where notifications go (inspectors: new high-severity alerts, the daily digest); optional. */
    email: text('email'),
    disabled: boolean('disabled').notNull().default(false),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('users_username_key').on(sql`lower(${t.username})`),
    check('users_role', sql`${t.role} in ('accountant','inspector','admin')`),
    check('users_scope_format', sql`${t.scope} ~ '^[0-9]{12}$'`),
  ],
);

/** Browser sessions. The cookie holds a random secret; only its SHA-256 is stored. */
export const sessions = pgTable(
  'sessions',
  {
    idHash: text('id_hash').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: createdAt(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    address: text('address'),
  },
  (t) => [index('sessions_user_idx').on(t.userId)],
);

/** API tokens for accounting software; stored hashed (SHA-256 of a 256-bit random secret). */
export const apiTokens = pgTable(
  'api_tokens',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    tokenHash: text('token_hash').notNull().unique(),
    createdAt: createdAt(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [index('api_tokens_user_idx').on(t.userId)],
);

/** Failed sign-ins, one row each, counted in a sliding window per username and per address. */
export const loginFailures = pgTable(
  'login_failures',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    key: text('key').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull(),
  },
  (t) => [index('login_failures_key_at_idx').on(t.key, t.at)],
);

/** Every change, with who, what, when, the row before and after, and the request that made it. */
export const auditLog = pgTable(
  'audit_log',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    at: timestamp('at', { withTimezone: true }).notNull(),
    actorId: uuid('actor_id'),
    /** Username, or 'system' for start-up work (migrations, demo load, first admin). */
    actorName: text('actor_name').notNull(),
    action: text('action').notNull(),
    entity: text('entity').notNull(),
    entityId: text('entity_id'),
    before: jsonb('before'),
    after: jsonb('after'),
    requestId: text('request_id'),
  },
  (t) => [index('audit_log_entity_idx').on(t.entity, t.entityId), index('audit_log_at_idx').on(t.at)],
);

// ---------------------------------------------------------------------------------------------
// Ledgers (村级账目): chart of accounts, entries, imports, vouchers, publications and the log.

/** Chart of accounts as (standard version, code); 3-digit accounts of the standard and 5-digit sub-accounts. */
export const accounts = pgTable(
  'accounts',
  {
    standard: text('standard').notNull(),
    code: text('code').notNull(),
    name: text('name').notNull(),
    /** 资产 asset · 负债 liability · 所有者权益 equity · 成本 cost · 收入 income · 费用 expense */
    kind: text('kind', { enum: ['asset', 'liability', 'equity', 'cost', 'income', 'expense'] }).notNull(),
    /** 非生产性开支 (hospitality, travel, meetings…), shown and checked separately. */
    nonProductive: boolean('non_productive').notNull().default(false),
  },
  (t) => [
    primaryKey({ columns: [t.standard, t.code] }),
    check('accounts_code_format', sql`${t.code} ~ '^[0-9]{3}([0-9]{2})?$'`),
  ],
);

export const importBatches = pgTable(
  'import_batches',
  {
    id: uuid('id').primaryKey(),
    villageCode: text('village_code')
      .notNull()
      .references(() => regions.code),
    fileSha256: text('file_sha256').notNull(),
    fileName: text('file_name').notNull(),
    fileKind: text('file_kind', { enum: ['csv', 'xlsx', 'zip'] }).notNull(),
    fileSize: bigint('file_size', { mode: 'number' }).notNull(),
    uploadedBy: uuid('uploaded_by'),
    uploadedAt: timestamp('uploaded_at', { withTimezone: true }).notNull(),
    entryCount: integer('entry_count').notNull(),
    voucherCount: integer('voucher_count').notNull(),
    warnings: jsonb('warnings').$type<string[]>().notNull().default([]),
  },
  (t) => [uniqueIndex('import_batches_file_key').on(t.villageCode, t.fileSha256)],
);

/** One line of a village's ledger. Published entries are never changed: a mistake is corrected
 * by a reversal entry (红字冲销, negative amount) that points at the entry it reverses. */
export const ledgerEntries = pgTable(
  'ledger_entries',
  {
    id: uuid('id').primaryKey(),
    villageCode: text('village_code')
      .notNull()
      .references(() => regions.code),
    date: date('date', { mode: 'string' }).notNull(),
    /** YYYY-MM of the date: the publication period. */
    period: text('period').notNull(),
    year: integer('year').notNull(),
    voucherNo: text('voucher_no').notNull(),
    /** 摘要 */
    summary: text('summary').notNull(),
    accountStandard: text('account_standard').notNull(),
    accountCode: text('account_code').notNull(),
    direction: text('direction', { enum: ['income', 'expense'] }).notNull(),
    /** Integer fen; negative only on a reversal entry. */
    amountFen: bigint('amount_fen', { mode: 'number' }).notNull(),
    /** 收付款方 */
    counterparty: text('counterparty'),
    paymentMethod: text('payment_method', { enum: ['cash', 'transfer', 'card', 'other'] }).notNull(),
    invoiceNo: text('invoice_no'),
    /** 经办人 */
    handler: text('handler'),
    /** 决议编号: the ref of a decision of the same village. */
    decisionRef: text('decision_ref'),
    batchId: uuid('batch_id').references(() => importBatches.id),
    /** Row of the uploaded spreadsheet (header = row 1), for pointing accountants at it. */
    sourceRow: integer('source_row'),
    status: text('status', { enum: ['draft', 'published'] }).notNull().default('draft'),
    reversesId: uuid('reverses_id').references((): AnyPgColumn => ledgerEntries.id),
    /** Secret per-entry salt of the log's commitment to the free-text fields (never public). */
    salt: text('salt').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    createdBy: uuid('created_by'),
    publicationId: uuid('publication_id'),
    /** Position in the village's log once published, and the leaf hash (hex) written there. */
    leafIndex: integer('leaf_index'),
    leafHash: text('leaf_hash'),
    /** How many voucher pages (entry_vouchers rows) the entry has: kept by a statement trigger on
     * entry_vouchers (migration 0009), so the missing-voucher check and the pages read a column
     * instead of probing the links of every entry. */
    voucherPages: integer('voucher_pages').notNull().default(0),
    // Keys the checks compare, computed once when the row is written (migration 0008's SQL
    // functions, the same as jobs/rules/lib.ts normalizeRef and partyKey) instead of by a regular
    // expression over the whole ledger on every run.
    /** invoice_no normalised: full-width → ASCII, no spaces or dashes, upper case ('' if none). */
    invoiceKey: text('invoice_key').generatedAlwaysAs(sql`ref_key(invoice_no)`),
    /** decision_ref normalised like invoice_key. */
    decisionKey: text('decision_key').generatedAlwaysAs(sql`ref_key(decision_ref)`),
    /** counterparty compared as a name: full-width → ASCII, no white space ('' if none). */
    partyKey: text('party_key').generatedAlwaysAs(sql`party_key(counterparty)`),
  },
  (t) => [
    uniqueIndex('ledger_entries_voucher_key').on(t.villageCode, t.year, t.voucherNo),
    uniqueIndex('ledger_entries_leaf_key').on(t.villageCode, t.leafIndex),
    uniqueIndex('ledger_entries_reverses_key').on(t.reversesId),
    index('ledger_entries_village_period_idx').on(t.villageCode, t.period),
    index('ledger_entries_batch_idx').on(t.batchId),
    // Who else holds an invoice number (shared_keys' trigger, duplicate-invoice).
    index('ledger_entries_invoice_key_idx').on(t.invoiceKey).where(sql`${t.invoiceKey} <> ''`),
    // related-party reads who handles a village's entries (经办人) from here.
    index('ledger_entries_village_handler_idx').on(t.villageCode, t.handler).where(sql`${t.status} = 'published' and ${t.handler} is not null`),
    // A village's unpublished entries (publication-overdue cites them): drafts are few and pass.
    index('ledger_entries_village_draft_idx').on(t.villageCode).where(sql`${t.status} = 'draft'`),
    foreignKey({ columns: [t.accountStandard, t.accountCode], foreignColumns: [accounts.standard, accounts.code] }),
    check('ledger_entries_amount', sql`${t.amountFen} > 0 or (${t.reversesId} is not null and ${t.amountFen} < 0)`),
    check('ledger_entries_period', sql`${t.period} = to_char(${t.date}, 'YYYY-MM')`),
    check('ledger_entries_published', sql`(${t.status} = 'published') = (${t.leafIndex} is not null)`),
  ],
);

/** A voucher file (receipt, invoice, contract), stored once by the SHA-256 of its bytes. */
export const vouchers = pgTable('vouchers', {
  sha256: text('sha256').primaryKey(),
  mime: text('mime', { enum: ['image/jpeg', 'image/png', 'application/pdf'] }).notNull(),
  size: bigint('size', { mode: 'number' }).notNull(),
  width: integer('width'),
  height: integer('height'),
  /** The re-encoded copy without metadata (images only); the original is staff-only. */
  publicMime: text('public_mime'),
  hasThumbnail: boolean('has_thumbnail').notNull().default(false),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
});

export const entryVouchers = pgTable(
  'entry_vouchers',
  {
    entryId: uuid('entry_id')
      .notNull()
      .references(() => ledgerEntries.id),
    page: integer('page').notNull(),
    voucherSha256: text('voucher_sha256')
      .notNull()
      .references(() => vouchers.sha256),
    fileName: text('file_name'),
  },
  (t) => [primaryKey({ columns: [t.entryId, t.page] }), index('entry_vouchers_sha_idx').on(t.voucherSha256)],
);

/**
 * Invoice numbers (ledger_entries.invoice_key) and voucher images (SHA-256) that two or more
 * entries hold, drafts included: the candidates of the duplicate-invoice check, which then needs
 * to look at a county's own keys only, not at the whole ledger. Kept by statement triggers on
 * ledger_entries and entry_vouchers (migration 0008), so every way in (imports, COPY) counts. A
 * superset: a key stays after its drafts are discarded; the check counts published spending.
 */
export const sharedKeys = pgTable(
  'shared_keys',
  {
    kind: text('kind', { enum: ['invoice', 'image'] }).notNull(),
    key: text('key').notNull(),
  },
  (t) => [primaryKey({ columns: [t.kind, t.key] })],
);

export const openingBalances = pgTable('opening_balances', {
  villageCode: text('village_code')
    .primaryKey()
    .references(() => regions.code),
  date: date('date', { mode: 'string' }).notNull(),
  amountFen: bigint('amount_fen', { mode: 'number' }).notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
});

/** 两委 members and the village's accountant, with their duty lists. */
export const officials = pgTable(
  'officials',
  {
    id: uuid('id').primaryKey(),
    villageCode: text('village_code')
      .notNull()
      .references(() => regions.code),
    position: integer('position').notNull(),
    name: text('name').notNull(),
    /** 职务 */
    post: text('post').notNull(),
    /** 职责 */
    duties: text('duties').notNull().default(''),
  },
  (t) => [uniqueIndex('officials_position_key').on(t.villageCode, t.position)],
);

/** 决议 made under 四议两公开. */
export const decisions = pgTable(
  'decisions',
  {
    id: uuid('id').primaryKey(),
    villageCode: text('village_code')
      .notNull()
      .references(() => regions.code),
    ref: text('ref').notNull(),
    title: text('title').notNull(),
    decidedOn: date('decided_on', { mode: 'string' }).notNull(),
    amountFen: bigint('amount_fen', { mode: 'number' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    /** ref normalised like ledger_entries.decision_key (what an entry's decision_ref is matched on). */
    refKey: text('ref_key').generatedAlwaysAs(sql`ref_key(ref)`),
  },
  (t) => [uniqueIndex('decisions_ref_key').on(t.villageCode, t.ref), index('decisions_village_ref_key_idx').on(t.villageCode, t.refKey)],
);

export const decisionStepKinds = [
  'proposal', // 党组织提议
  'consultation', // 两委会议商议
  'review', // 党员大会审议
  'resolution', // 村民（代表）会议决议
  'resolution_published', // 决议公开
  'result_published', // 实施结果公开
] as const;

export const decisionSteps = pgTable(
  'decision_steps',
  {
    decisionId: uuid('decision_id')
      .notNull()
      .references(() => decisions.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: decisionStepKinds }).notNull(),
    date: date('date', { mode: 'string' }).notNull(),
    attendance: integer('attendance'),
    votesFor: integer('votes_for'),
    votesAgainst: integer('votes_against'),
    votesAbstain: integer('votes_abstain'),
    note: text('note'),
  },
  (t) => [primaryKey({ columns: [t.decisionId, t.kind] })],
);

/** 小微权力清单: a power of the village (or of every village below a region). */
export const microPowers = pgTable(
  'micro_powers',
  {
    id: uuid('id').primaryKey(),
    regionCode: text('region_code')
      .notNull()
      .references(() => regions.code),
    category: text('category').notNull(),
    name: text('name').notNull(),
    legalBasis: text('legal_basis').notNull().default(''),
    responsiblePost: text('responsible_post').notNull().default(''),
    /** Ordered steps ("一事一流程"): who does what, what comes out, within how long. */
    steps: jsonb('steps').$type<{ actor: string; action: string; output: string; timeLimit: string }[]>().notNull(),
    riskPoints: jsonb('risk_points').$type<string[]>().notNull(),
    position: integer('position').notNull().default(0),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('micro_powers_region_idx').on(t.regionCode)],
);

/** 惠民政策 published for a region and every village below it. */
export const policies = pgTable(
  'policies',
  {
    id: uuid('id').primaryKey(),
    regionCode: text('region_code')
      .notNull()
      .references(() => regions.code),
    title: text('title').notNull(),
    conditions: text('conditions').notNull(),
    procedure: text('procedure').notNull(),
    documents: text('documents').notNull(),
    contact: text('contact').notNull(),
    validFrom: date('valid_from', { mode: 'string' }),
    validTo: date('valid_to', { mode: 'string' }),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('policies_region_idx').on(t.regionCode)],
);

/** A published period of a village and the signed checkpoint of the village's log after it. */
export const publications = pgTable(
  'publications',
  {
    id: uuid('id').primaryKey(),
    villageCode: text('village_code')
      .notNull()
      .references(() => regions.code),
    period: text('period').notNull(),
    entryCount: integer('entry_count').notNull(),
    incomeFen: bigint('income_fen', { mode: 'number' }).notNull(),
    expenseFen: bigint('expense_fen', { mode: 'number' }).notNull(),
    openingFen: bigint('opening_fen', { mode: 'number' }).notNull(),
    closingFen: bigint('closing_fen', { mode: 'number' }).notNull(),
    treeSize: integer('tree_size').notNull(),
    rootHash: text('root_hash').notNull(),
    /** The signed checkpoint text (C2SP tlog-checkpoint signed note). */
    checkpoint: text('checkpoint').notNull(),
    publishedAt: timestamp('published_at', { withTimezone: true }).notNull(),
    publishedBy: uuid('published_by'),
  },
  (t) => [
    uniqueIndex('publications_period_key').on(t.villageCode, t.period),
    index('publications_tree_idx').on(t.villageCode, t.treeSize),
  ],
);

// ---------------------------------------------------------------------------------------------
// Checks (the anomaly rules): thresholds per region, runs, alerts and their lifecycle.

/** A rule's parameters set for a region, inherited downward (county → township → village).
 * Every change is a new row with the next version; the latest version of a region applies. */
export const ruleParameters = pgTable(
  'rule_parameters',
  {
    id: uuid('id').primaryKey(),
    ruleId: text('rule_id').notNull(),
    regionCode: text('region_code')
      .notNull()
      .references(() => regions.code),
    version: integer('version').notNull(),
    /** Only the parameters set here; the rest come from above or from the rule's defaults. */
    params: jsonb('params').$type<Record<string, unknown>>().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    createdBy: uuid('created_by'),
    note: text('note'),
  },
  (t) => [uniqueIndex('rule_parameters_version_key').on(t.ruleId, t.regionCode, t.version)],
);

export const checkRuns = pgTable('check_runs', {
  id: uuid('id').primaryKey(),
  kind: text('kind', { enum: ['full', 'incremental'] }).notNull(),
  /** What asked for it: a person through the API, the nightly schedule, or a publication. */
  trigger: text('trigger', { enum: ['api', 'schedule', 'publication'] }).notNull().default('api'),
  status: text('status', { enum: ['queued', 'running', 'done', 'failed'] }).notNull(),
  regionCode: text('region_code').notNull(),
  /** Villages of an incremental run (null: every village of the region). */
  villages: jsonb('villages').$type<string[] | null>(),
  asOf: date('as_of', { mode: 'string' }).notNull(),
  requestedBy: uuid('requested_by'),
  queuedAt: timestamp('queued_at', { withTimezone: true }).notNull(),
  startedAt: timestamp('started_at', { withTimezone: true }),
  finishedAt: timestamp('finished_at', { withTimezone: true }),
  alertsOpened: integer('alerts_opened').notNull().default(0),
  alertsUpdated: integer('alerts_updated').notNull().default(0),
  durationMs: integer('duration_ms'),
  /** Rules that threw: [{ rule, message }]; the other rules carried on. */
  failures: jsonb('failures').$type<{ rule: string; message: string }[]>().notNull().default([]),
});

export const alertStatuses = ['open', 'acknowledged', 'investigating', 'resolved', 'dismissed'] as const;

export const alerts = pgTable(
  'alerts',
  {
    id: uuid('id').primaryKey(),
    /** SHA-256 of rule id and subject: the same rule about the same subject is the same alert. */
    fingerprint: text('fingerprint').notNull().unique(),
    ruleId: text('rule_id').notNull(),
    ruleVersion: integer('rule_version').notNull(),
    /** The parameter versions that raised it, e.g. "519901000000@2,519901101000@1" (or "default"). */
    paramsVersion: text('params_version').notNull(),
    villageCode: text('village_code').references(() => regions.code),
    regionCode: text('region_code')
      .notNull()
      .references(() => regions.code),
    period: text('period'),
    severity: text('severity', { enum: ['high', 'medium', 'low'] }).notNull(),
    status: text('status', { enum: alertStatuses }).notNull().default('open'),
    title: text('title').notNull(),
    summary: text('summary').notNull(),
    figures: jsonb('figures').$type<Record<string, unknown>>().notNull(),
    entries: jsonb('entries').$type<{ id: string; voucherNo: string; date: string; amountFen: number }[]>().notNull(),
    firstSeenAt: timestamp('first_seen_at', { withTimezone: true }).notNull(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull(),
    lastRunId: uuid('last_run_id'),
    /** SHA-256 of what the last run reported of it (rule and parameter versions, severity, title,
     * summary, figures, entries): a run finding it unchanged only marks it seen (db/alerts.ts). */
    contentHash: text('content_hash'),
    /** Set when a later run no longer finds it (history is kept). */
    goneAt: timestamp('gone_at', { withTimezone: true }),
    /** Set once the people to tell of it (new high-severity alerts) or its digest have been handled. */
    notifiedAt: timestamp('notified_at', { withTimezone: true }),
  },
  (t) => [
    index('alerts_region_status_idx').on(t.regionCode, t.status),
    index('alerts_village_idx').on(t.villageCode),
    index('alerts_rule_idx').on(t.ruleId),
  ],
);

export const dismissalReasons = ['false_positive', 'explained', 'duplicate', 'below_materiality', 'other'] as const;

export const alertEvents = pgTable(
  'alert_events',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    alertId: uuid('alert_id')
      .notNull()
      .references(() => alerts.id),
    at: timestamp('at', { withTimezone: true }).notNull(),
    actorId: uuid('actor_id'),
    fromStatus: text('from_status'),
    toStatus: text('to_status').notNull(),
    reason: text('reason', { enum: dismissalReasons }),
    note: text('note'),
  },
  (t) => [index('alert_events_alert_idx').on(t.alertId)],
);

/**
 * Notifications sent (or being sent) to inspectors: one row per alert or daily digest, channel and
 * recipient. The unique keys make the row the claim — two server processes never send one twice.
 */
export const notifications = pgTable(
  'notifications',
  {
    id: uuid('id').primaryKey(),
    kind: text('kind', { enum: ['alert', 'digest'] }).notNull(),
    channel: text('channel', { enum: ['email', 'webhook'] }).notNull(),
    /** An e-mail address or the webhook URL. */
    recipient: text('recipient').notNull(),
    userId: uuid('user_id').references(() => users.id),
    alertId: uuid('alert_id').references(() => alerts.id),
    /** The day a digest covers (YYYY-MM-DD, Asia/Shanghai). */
    digestDay: date('digest_day', { mode: 'string' }),
    createdAt: createdAt(),
    sentAt: timestamp('sent_at', { withTimezone: true }),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    /** When the latest attempt was claimed (database clock): an attempt neither sent nor failed
     * after ATTEMPT_LEASE (its process died) may be claimed again (db/notifications.ts). */
    attemptStartedAt: timestamp('attempt_started_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('notifications_alert_key').on(t.channel, t.recipient, t.alertId).where(sql`${t.kind} = 'alert'`),
    uniqueIndex('notifications_digest_key').on(t.channel, t.recipient, t.digestDay).where(sql`${t.kind} = 'digest'`),
    index('notifications_unsent_idx').on(t.createdAt).where(sql`${t.sentAt} is null`),
  ],
);
