// One place maps domain errors (and Hono's own) to the interchange.md envelope:
// {"error":{"code","message"}} with the fitting status.
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { DomainError, type ErrorKind } from '../db/errors.ts';

export const statusOf: Record<ErrorKind, ContentfulStatusCode> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unsupported_type: 415,
  invalid_rows: 422,
  throttled: 429,
};

export function errorBody(code: string, message: string, extra?: Record<string, unknown>) {
  return { error: { code, message }, ...extra };
}

export function errorResponse(c: Context, err: unknown): Response {
  if (err instanceof DomainError) {
    return c.json(errorBody(err.code, err.message, err.extra), statusOf[err.kind]);
  }
  if (err instanceof HTTPException) {
    // Hono raises these for a malformed JSON body and the like.
    const status = err.status;
    const [code, message] =
      status === 400
        ? ['malformed_body', `请求内容无法解析：${err.message}`]
        : status === 413
          ? ['too_large', '请求内容超过大小限制']
          : status === 415
            ? ['unsupported_type', `不支持的请求内容类型：${c.req.header('content-type') ?? '（未指明）'}`]
            : ['http_error', err.message || '请求无法处理'];
    return c.json(errorBody(code, message), status as ContentfulStatusCode);
  }
  const requestId = (c.get('requestId' as never) as string | undefined) ?? '';
  console.error(`[${requestId}] ${c.req.method} ${c.req.path}:`, err);
  return c.json(errorBody('internal', `服务器内部错误（请求编号 ${requestId}）`), 500);
}
