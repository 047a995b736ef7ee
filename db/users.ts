// Staff accounts: accountants, inspectors, administrators, each with one scope region.
import { randomUUID } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { systemActor, writeAudit, type Actor, type Ctx } from './audit.ts';
import type { Db } from './client.ts';
import { DomainError } from './errors.ts';
import { hashPassword } from './passwords.ts';
import { getRegion, inScope, NATIONWIDE } from './regions.ts';
import { users, type Role } from './schema.ts';

export type User = typeof users.$inferSelect;

export interface NewUserInput {
  username: string;
  password: string;
  role: Role;
  scope: string;
  displayName: string;
  /** Where notifications go (optional); stored lower-cased. */
  email?: string | null | undefined;
}

export const USERNAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{2,39}$/;
export const MIN_PASSWORD_LENGTH = 10;
/** A plain address (the API validates with zod's e-mail check first). */
const EMAIL = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;

/** The public view of a user: never the password hash. */
export function actorOf(user: User): Extract<Actor, { kind: 'user' }> {
  return {
    kind: 'user',
    id: user.id,
    username: user.username,
    displayName: user.displayName,
    role: user.role,
    scope: user.scope,
  };
}

export async function findUserByUsername(db: Db, username: string): Promise<User | null> {
  const [row] = await db.select().from(users).where(sql`lower(${users.username}) = ${username.toLowerCase()}`);
  return row ?? null;
}

/** POST /users: an administrator creates a staff account inside their own scope. */
export async function createUser(ctx: Ctx & { input: NewUserInput }): Promise<{ id: string }> {
  const { db, actor, input } = ctx;
  if (!USERNAME.test(input.username)) {
    throw new DomainError('invalid', 'username_invalid', '用户名须为 3–40 个字母、数字或 _ . -，以字母或数字开头');
  }
  if ([...input.password].length < MIN_PASSWORD_LENGTH) {
    throw new DomainError('invalid', 'password_too_short', `密码至少 ${MIN_PASSWORD_LENGTH} 个字符`);
  }
  const email = input.email?.trim().toLowerCase() || null;
  if (email !== null && !EMAIL.test(email)) throw new DomainError('invalid', 'email_invalid', `电子邮件地址无效：${email}`);
  if (actor.kind === 'user' && !inScope(actor.scope, input.scope)) {
    throw new DomainError('forbidden', 'out_of_scope', `无权在本辖区以外创建用户：${input.scope}`);
  }
  const passwordHash = await hashPassword(input.password);
  return db.transaction(async (tx) => {
    if (input.scope !== NATIONWIDE && !(await getRegion(tx, input.scope))) {
      throw new DomainError('invalid', 'scope_unknown', `管辖范围的区划代码不存在：${input.scope}`);
    }
    const [taken] = await tx
      .select({ id: users.id })
      .from(users)
      .where(sql`lower(${users.username}) = ${input.username.toLowerCase()}`);
    if (taken) throw new DomainError('conflict', 'username_taken', `用户名已被使用：${input.username}`);
    const id = randomUUID();
    const row = {
      id,
      username: input.username,
      displayName: input.displayName.trim() || input.username,
      role: input.role,
      scope: input.scope,
      email,
      passwordHash,
      createdAt: ctx.now,
      updatedAt: ctx.now,
    };
    await tx.insert(users).values(row);
    const { passwordHash: _omit, ...after } = row;
    await writeAudit(tx, ctx, [{ action: 'user.create', entity: 'user', entityId: id, before: null, after }]);
    return { id };
  });
}

/** At start: when no administrator exists and a password is configured, create `admin` (scope: everything). */
export async function ensureFirstAdmin(input: { db: Db; now: Date; password: string | undefined }): Promise<boolean> {
  const { db, now, password } = input;
  if (!password) return false;
  const [existing] = await db.select({ id: users.id }).from(users).where(and(eq(users.role, 'admin')));
  if (existing) return false;
  await createUser({
    db,
    now,
    actor: systemActor('bootstrap'),
    input: { username: 'admin', password, role: 'admin', scope: NATIONWIDE, displayName: '系统管理员' },
  });
  return true;
}
