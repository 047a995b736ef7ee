// Drizzle schema: the tables of the foundation (regions, staff, sessions, tokens, audit).
// Migrations in db/migrations are generated from this file by drizzle-kit (npm run db:generate).
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  index,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
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
