// Regions: 12-digit 统计用区划代码, their levels, parents and the scope rule built on them.
import { asc, eq, inArray, sql } from 'drizzle-orm';
import { writeAudit, type Ctx } from './audit.ts';
import type { Executor } from './client.ts';
import { DomainError } from './errors.ts';
import { regions } from './schema.ts';

export type RegionLevel = 'province' | 'city' | 'county' | 'township' | 'village';
export type Region = typeof regions.$inferSelect;

/** The scope code that covers every region (the first administrator's). */
export const NATIONWIDE = '000000000000';

const CODE = /^[0-9]{12}$/;
const PREFIX_LENGTH: Record<RegionLevel, number> = { province: 2, city: 4, county: 6, township: 9, village: 12 };

export function isRegionCode(code: string): boolean {
  return CODE.test(code) && !code.startsWith('00');
}

/** The level a code denotes, from where its trailing zeros begin; null if it is not a region code. */
export function regionLevel(code: string): RegionLevel | null {
  if (!isRegionCode(code)) return null;
  if (/^\d{2}0{10}$/.test(code)) return 'province';
  if (/^\d{4}0{8}$/.test(code)) return 'city';
  if (/^\d{6}0{6}$/.test(code)) return 'county';
  if (/^\d{9}000$/.test(code)) return 'township';
  return 'village';
}

/** The code of the region directly above, derived from the code (null for a province). */
export function parentCode(code: string): string | null {
  switch (regionLevel(code)) {
    case 'village':
      return `${code.slice(0, 9)}000`;
    case 'township':
      return `${code.slice(0, 6)}000000`;
    case 'county':
      return `${code.slice(0, 4)}00000000`;
    case 'city':
      return `${code.slice(0, 2)}0000000000`;
    default:
      return null;
  }
}

/** The significant digits of a code: every region below it starts with them. */
export function codePrefix(code: string): string {
  if (code === NATIONWIDE) return '';
  const level = regionLevel(code);
  return level ? code.slice(0, PREFIX_LENGTH[level]) : code;
}

/** Whether `code` lies within (or is) the region `scope`. */
export function inScope(scope: string, code: string): boolean {
  return code.startsWith(codePrefix(scope));
}

/** Villages and townships must hang under a stored parent; a county or above may be a root. */
function needsParent(level: RegionLevel): boolean {
  return level === 'village' || level === 'township';
}

export interface RegionInput {
  code: string;
  name: string;
}

function listCodes(codes: string[]): string {
  const shown = codes.slice(0, 10).join('、');
  return codes.length > 10 ? `${shown} 等 ${codes.length} 个` : shown;
}

/** PUT /regions: insert or rename regions, all or nothing. */
export async function upsertRegions(ctx: Ctx & { input: RegionInput[] }): Promise<{ upserted: number }> {
  const { db, actor, input } = ctx;
  const bad = input.filter((r) => !isRegionCode(r.code)).map((r) => r.code);
  if (bad.length) {
    throw new DomainError('invalid', 'region_code_invalid', `区划代码不是有效的 12 位统计用区划代码：${listCodes(bad)}`);
  }
  const seen = new Set<string>();
  const dup = input.filter((r) => (seen.has(r.code) ? true : (seen.add(r.code), false))).map((r) => r.code);
  if (dup.length) throw new DomainError('invalid', 'region_code_duplicate', `区划代码重复：${listCodes(dup)}`);
  const blank = input.filter((r) => !r.name.trim()).map((r) => r.code);
  if (blank.length) throw new DomainError('invalid', 'region_name_blank', `区划名称不能为空：${listCodes(blank)}`);
  if (actor.kind === 'user') {
    const outside = input.filter((r) => !inScope(actor.scope, r.code)).map((r) => r.code);
    if (outside.length) throw new DomainError('forbidden', 'out_of_scope', `无权修改本辖区以外的区划：${listCodes(outside)}`);
  }

  return db.transaction(async (tx) => {
    const codes = input.map((r) => r.code);
    const parents = [...new Set(input.map((r) => parentCode(r.code)).filter((p): p is string => p !== null))];
    const existingParents = new Set(
      parents.length
        ? (await tx.select({ code: regions.code }).from(regions).where(inArray(regions.code, parents))).map((r) => r.code)
        : [],
    );
    const orphans = input
      .filter((r) => {
        const p = parentCode(r.code);
        return needsParent(regionLevel(r.code)!) && p !== null && !seen.has(p) && !existingParents.has(p);
      })
      .map((r) => `${r.code}（上级 ${parentCode(r.code)}）`);
    if (orphans.length) {
      throw new DomainError('invalid', 'region_parent_missing', `上级区划不存在：${listCodes(orphans)}`);
    }

    const before = new Map(
      codes.length ? (await tx.select().from(regions).where(inArray(regions.code, codes))).map((r) => [r.code, r]) : [],
    );
    const changed = input.filter((r) => before.get(r.code)?.name !== r.name.trim());
    if (changed.length === 0) return { upserted: 0 };
    const rows = changed.map((r) => ({
      code: r.code,
      name: r.name.trim(),
      level: regionLevel(r.code)!,
      parentCode: parentCode(r.code),
      updatedAt: ctx.now,
    }));
    for (let i = 0; i < rows.length; i += 1000) {
      await tx
        .insert(regions)
        .values(rows.slice(i, i + 1000))
        .onConflictDoUpdate({ target: regions.code, set: { name: sql`excluded.name`, updatedAt: sql`excluded.updated_at` } });
    }
    await writeAudit(
      tx,
      ctx,
      rows.map((r) => {
        const old = before.get(r.code);
        return {
          action: old ? 'region.rename' : 'region.create',
          entity: 'region',
          entityId: r.code,
          before: old ? { name: old.name } : null,
          after: { name: r.name, level: r.level },
        };
      }),
    );
    return { upserted: rows.length };
  });
}

export async function getRegion(db: Executor, code: string): Promise<Region | null> {
  const [row] = await db.select().from(regions).where(eq(regions.code, code));
  return row ?? null;
}

export async function listChildren(db: Executor, code: string): Promise<Region[]> {
  return db.select().from(regions).where(eq(regions.parentCode, code)).orderBy(asc(regions.code));
}

/** Regions whose parent is not stored: the tops of what this portal serves (usually one county). */
export async function listRootRegions(db: Executor): Promise<Region[]> {
  return db
    .select()
    .from(regions)
    .where(sql`not exists (select 1 from ${regions} p where p.code = ${regions.parentCode})`)
    .orderBy(asc(regions.code));
}

/** A region and its ancestors that are stored, top first (for breadcrumbs). */
export async function listAncestors(db: Executor, code: string): Promise<Region[]> {
  const codes: string[] = [];
  for (let p = parentCode(code); p; p = parentCode(p)) codes.push(p);
  if (!codes.length) return [];
  const rows = await db.select().from(regions).where(inArray(regions.code, codes));
  return rows.sort((a, b) => codePrefix(a.code).length - codePrefix(b.code).length);
}

/** Every stored region within `code` (itself included), in code order. */
export async function listSubtree(db: Executor, code: string): Promise<Region[]> {
  const prefix = codePrefix(code);
  return db
    .select()
    .from(regions)
    .where(sql`${regions.code} like ${`${prefix}%`}`)
    .orderBy(asc(regions.code));
}

export async function countRegions(db: Executor): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(regions);
  return row?.n ?? 0;
}

/** The villages a scope covers, with their township, in code order. */
export async function villagesInScope(db: Executor, scope: string): Promise<Region[]> {
  return db
    .select()
    .from(regions)
    .where(sql`${regions.level} = 'village' and ${regions.code} like ${`${codePrefix(scope)}%`}`)
    .orderBy(asc(regions.code));
}
