// Uploads: a ledger file (CSV, XLSX, or ZIP with vouchers) and voucher files for one draft entry.
import { Readable } from 'node:stream';
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { DomainError } from '../../db/errors.ts';
import { villageVoucher } from '../../db/ledger/queries.ts';
import { voucherKeys } from '../../db/vouchers/keys.ts';
import { attachVouchers } from '../../db/ledger/attach.ts';
import { importLedger } from '../../db/ledger/import.ts';
import { VOUCHER_LIMITS } from '../../db/vouchers/process.ts';
import { access } from '../access.ts';
import type { AppEnv } from '../env.ts';
import { errors, json, RegionCode } from '../schemas.ts';
import { receiveFiles } from '../upload.ts';

const VillageParams = z.object({ code: RegionCode.openapi({ param: { name: 'code', in: 'path' } }) });
const staff = access({ who: ['accountant', 'admin'], scopeParam: 'code' });
// A plain OpenAPI schema, not a zod one: @hono/zod-openapi would otherwise parse the whole
// multipart body into memory to validate it; receiveFiles streams it to disk instead.
const multipart = (description: string) => ({
  required: true,
  content: {
    'multipart/form-data': {
      schema: {
        type: 'object' as const,
        properties: { file: { type: 'string' as const, format: 'binary', description } },
        required: ['file'],
      },
    },
  },
});

const RowErrorSchema = z.object({ row: z.number().int(), column: z.string(), code: z.string(), message: z.string() });
const InvalidRows = z
  .object({
    error: z.object({ code: z.literal('invalid_rows'), message: z.string() }),
    rows: z.array(RowErrorSchema),
    moreRows: z.number().int().optional(),
    files: z.array(z.object({ file: z.string(), code: z.string(), message: z.string() })).optional(),
  })
  .openapi('InvalidRows');

const postImport = createRoute({
  method: 'post',
  path: '/villages/{code}/imports',
  tags: ['villages'],
  summary: 'Import a ledger file: CSV (UTF-8/GB18030), XLSX, or ZIP with voucher images — all or nothing',
  middleware: [staff] as const,
  request: { params: VillageParams, body: multipart('the ledger file (field name: file)') },
  responses: {
    201: json(z.object({ batchId: z.string(), entries: z.number().int(), vouchers: z.number().int(), warnings: z.array(z.string()) }), 'Imported as drafts'),
    400: errors[400],
    401: errors[401],
    403: errors[403],
    404: errors[404],
    409: json(z.object({ error: z.object({ code: z.string(), message: z.string() }), batchId: z.string().optional() }), 'Same file already imported'),
    413: errors[413],
    415: errors[415],
    422: json(InvalidRows, 'Invalid rows: nothing stored'),
  },
});

const postVouchers = createRoute({
  method: 'post',
  path: '/villages/{code}/entries/{id}/vouchers',
  tags: ['villages'],
  summary: 'Attach voucher files (JPEG, PNG, PDF, decided by content) to a draft entry, as its next pages',
  middleware: [staff] as const,
  request: {
    params: VillageParams.extend({ id: z.uuid().openapi({ param: { name: 'id', in: 'path' } }) }),
    body: multipart('one or more voucher files (field name: file)'),
  },
  responses: {
    201: json(z.object({ pages: z.array(z.object({ page: z.number().int(), sha256: z.string(), mime: z.string() })) }), 'Attached'),
    400: errors[400],
    401: errors[401],
    403: errors[403],
    404: errors[404],
    409: errors[409],
    413: errors[413],
    415: errors[415],
  },
});

const getOriginal = createRoute({
  method: 'get',
  path: '/villages/{code}/vouchers/{sha256}/original',
  tags: ['villages'],
  summary: 'The original voucher file as uploaded (staff only; the public get a re-encoded copy)',
  middleware: [access({ who: ['accountant', 'inspector', 'admin'], scopeParam: 'code' })] as const,
  request: { params: VillageParams.extend({ sha256: z.string().regex(/^[0-9a-f]{64}$/).openapi({ param: { name: 'sha256', in: 'path' } }) }) },
  responses: {
    200: { description: 'The original file, as an attachment', content: { 'application/octet-stream': { schema: { type: 'string' as const, format: 'binary' } } } },
    401: errors[401],
    403: errors[403],
    404: errors[404],
  },
});

export function registerImports(app: OpenAPIHono<AppEnv>) {
  app.openapi(getOriginal, async (c) => {
    const { code, sha256 } = c.req.valid('param');
    const { deps } = c.var;
    const voucher = await villageVoucher(deps.database.db, code, sha256);
    const stream = voucher ? await deps.store.open(voucherKeys(sha256).original) : null;
    if (!voucher || !stream) throw new DomainError('not_found', 'voucher_unknown', '本村没有这张凭证');
    const ext = { 'image/jpeg': 'jpg', 'image/png': 'png', 'application/pdf': 'pdf' }[voucher.mime];
    c.header('Content-Type', voucher.mime);
    c.header('Content-Disposition', `attachment; filename="voucher-${sha256.slice(0, 12)}.${ext}"`);
    c.header('Content-Security-Policy', "sandbox; default-src 'none'");
    c.header('Cache-Control', 'private, no-store');
    return c.body(Readable.toWeb(stream) as ReadableStream, 200);
  });

  app.openapi(postImport, async (c) => {
    const { deps } = c.var;
    const upload = await receiveFiles(c, { field: 'file', maxFiles: 1, maxFileBytes: deps.config.bodyLimitUpload });
    try {
      const result = await importLedger({
        db: deps.database.db,
        now: deps.now(),
        actor: c.var.actor!,
        requestId: c.var.requestId,
        store: deps.store,
        input: { villageCode: c.req.valid('param').code, file: upload.files[0]! },
      });
      return c.json(result, 201);
    } finally {
      await upload.cleanup();
    }
  });

  app.openapi(postVouchers, async (c) => {
    const { deps } = c.var;
    const upload = await receiveFiles(c, { field: 'file', maxFiles: 20, maxFileBytes: VOUCHER_LIMITS.maxBytes });
    try {
      const { code, id } = c.req.valid('param');
      const result = await attachVouchers({
        db: deps.database.db,
        now: deps.now(),
        actor: c.var.actor!,
        requestId: c.var.requestId,
        store: deps.store,
        input: { villageCode: code, entryId: id, files: upload.files },
      });
      return c.json(result, 201);
    } finally {
      await upload.cleanup();
    }
  });
}
