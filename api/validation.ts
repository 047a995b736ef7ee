// Request validation failures → 400 with a Chinese message naming each field.
import type { Hook } from '@hono/zod-openapi';
import type { AppEnv } from './env.ts';
import { DomainError } from '../db/errors.ts';

type Issue = { path: PropertyKey[]; message: string; code: string; keys?: string[] };

function describe(issue: Issue): string {
  const where = issue.path.length ? issue.path.map(String).join('.') : '请求内容';
  if (issue.code === 'unrecognized_keys') return `${where}：不认识的字段 ${(issue.keys ?? []).join('、')}`;
  if (issue.code === 'invalid_type') return `${where}：缺少或类型不对（${issue.message}）`;
  return `${where}：${issue.message}`;
}

export const validationHook: Hook<unknown, AppEnv, string, unknown> = (result) => {
  if (!result.success) {
    const issues = (result.error.issues as Issue[]).map((i) => ({ path: i.path.map(String).join('.'), message: describe(i) }));
    throw new DomainError(
      'invalid',
      issues.some((i) => i.message.includes('不认识的字段')) ? 'unknown_field' : 'invalid_body',
      `请求内容有误：${issues.map((i) => i.message).join('；')}`,
      { issues },
    );
  }
};
