// Sign-in, sessions and API tokens. Secrets are 256-bit random values; only their SHA-256
// is stored, so a copy of the database cannot be used to sign in.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { and, count, eq, gt, isNull, lt, or } from 'drizzle-orm';
import { writeAudit, type Actor, type Ctx } from './audit.ts';
import type { Db } from './client.ts';
import { DomainError } from './errors.ts';
import { decoyHash, verifyPassword } from './passwords.ts';
import { apiTokens, loginFailures, sessions, users } from './schema.ts';
import { actorOf, findUserByUsername } from './users.ts';

export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
export const TOKEN_PREFIX = 'ygcw_';
/** Name of the staff session cookie, shared by the API and the site's sign-in page. */
export const SESSION_COOKIE = 'ygcw_session';

/** Failed sign-ins allowed per window before answering 429: per username and per client address. */
export const THROTTLE = { windowMs: 15 * 60 * 1000, perUsername: 5, perAddress: 20 } as const;

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const newSecret = () => randomBytes(32).toString('base64url');

export interface LoginInput {
  username: string;
  password: string;
  /** The client's address, for throttling. */
  address: string;
  /** The session the browser still holds, if any: it is ended so the id rotates at sign-in. */
  previousToken?: string | undefined;
}

export interface LoginResult {
  token: string;
  expiresAt: Date;
  actor: Extract<Actor, { kind: 'user' }>;
}

const BAD_CREDENTIALS = () => new DomainError('unauthenticated', 'bad_credentials', '用户名或密码错误');

export async function login(ctx: Omit<Ctx, 'actor'> & { input: LoginInput }): Promise<LoginResult> {
  const { db, now, input } = ctx;
  const userKey = `user:${input.username.toLowerCase()}`;
  const addressKey = `addr:${input.address}`;
  const since = new Date(now.getTime() - THROTTLE.windowMs);
  const failures = await db
    .select({ key: loginFailures.key, n: count() })
    .from(loginFailures)
    .where(and(or(eq(loginFailures.key, userKey), eq(loginFailures.key, addressKey)), gt(loginFailures.at, since)))
    .groupBy(loginFailures.key);
  const countOf = (key: string) => failures.find((f) => f.key === key)?.n ?? 0;
  if (countOf(userKey) >= THROTTLE.perUsername || countOf(addressKey) >= THROTTLE.perAddress) {
    throw new DomainError('throttled', 'too_many_attempts', '登录失败次数过多，请 15 分钟后再试');
  }

  const user = await findUserByUsername(db, input.username);
  const ok = await verifyPassword(input.password, user?.passwordHash ?? (await decoyHash()));
  if (!user || !ok || user.disabled) {
    // Recorded on its own (not rolled back with the refusal), and old rows pruned on the way.
    await db.transaction(async (tx) => {
      await tx.delete(loginFailures).where(lt(loginFailures.at, since));
      await tx.insert(loginFailures).values([
        { key: userKey, at: now },
        { key: addressKey, at: now },
      ]);
    });
    throw BAD_CREDENTIALS();
  }

  const token = newSecret();
  const expiresAt = new Date(now.getTime() + SESSION_TTL_MS);
  const actor = actorOf(user);
  await db.transaction(async (tx) => {
    await tx.delete(loginFailures).where(eq(loginFailures.key, userKey));
    if (input.previousToken) await tx.delete(sessions).where(eq(sessions.idHash, sha256(input.previousToken)));
    await tx.insert(sessions).values({
      idHash: sha256(token),
      userId: user.id,
      createdAt: now,
      expiresAt,
      address: input.address,
    });
    await writeAudit(tx, { ...ctx, actor }, [
      { action: 'session.create', entity: 'user', entityId: user.id, before: null, after: { expiresAt } },
    ]);
  });
  return { token, expiresAt, actor };
}

/** Ends a session (sign-out). Unknown or expired tokens are ignored: signing out twice is fine. */
export async function logout(ctx: Ctx & { input: { token: string } }): Promise<void> {
  const { db, actor } = ctx;
  await db.transaction(async (tx) => {
    const removed = await tx
      .delete(sessions)
      .where(eq(sessions.idHash, sha256(ctx.input.token)))
      .returning({ userId: sessions.userId });
    if (removed.length && actor.kind === 'user') {
      await writeAudit(tx, ctx, [{ action: 'session.delete', entity: 'user', entityId: actor.id, before: null, after: null }]);
    }
  });
}

/** The signed-in staff member behind a session cookie, or null. */
export async function actorFromSession(db: Db, token: string, now: Date): Promise<Extract<Actor, { kind: 'user' }> | null> {
  const [row] = await db
    .select({ user: users })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(and(eq(sessions.idHash, sha256(token)), gt(sessions.expiresAt, now), eq(users.disabled, false)));
  return row ? actorOf(row.user) : null;
}

/** The staff member behind an API token (`Authorization: Bearer ygcw_…`), or null. */
export async function actorFromToken(db: Db, token: string, now: Date): Promise<Extract<Actor, { kind: 'user' }> | null> {
  if (!token.startsWith(TOKEN_PREFIX)) return null;
  const hash = sha256(token);
  const [row] = await db
    .select({ user: users, lastUsedAt: apiTokens.lastUsedAt })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(and(eq(apiTokens.tokenHash, hash), isNull(apiTokens.revokedAt), eq(users.disabled, false)));
  if (!row) return null;
  // Bookkeeping, not a change to audit; written at most once a minute per token.
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() > 60_000) {
    await db.update(apiTokens).set({ lastUsedAt: now }).where(eq(apiTokens.tokenHash, hash));
  }
  return actorOf(row.user);
}

/** POST /tokens: a signed-in user makes an API token for their accounting software. Shown once. */
export async function createApiToken(ctx: Ctx & { input: { name: string } }): Promise<{ id: string; token: string }> {
  const { db, actor, input } = ctx;
  if (actor.kind !== 'user') throw new DomainError('unauthenticated', 'not_signed_in', '请先登录');
  const name = input.name.trim();
  if (!name || name.length > 100) throw new DomainError('invalid', 'token_name_invalid', '令牌名称须为 1–100 个字符');
  const token = `${TOKEN_PREFIX}${newSecret()}`;
  const id = randomUUID();
  await db.transaction(async (tx) => {
    await tx.insert(apiTokens).values({ id, userId: actor.id, name, tokenHash: sha256(token), createdAt: ctx.now });
    await writeAudit(tx, ctx, [{ action: 'token.create', entity: 'api_token', entityId: id, before: null, after: { name } }]);
  });
  return { id, token };
}

/** Deletes expired sessions; run at start and from the scheduler. */
export async function pruneSessions(db: Db, now: Date): Promise<number> {
  const removed = await db.delete(sessions).where(lt(sessions.expiresAt, now)).returning({ id: sessions.idHash });
  return removed.length;
}

