// A village's books, for its accountants (and administrators): registers, publication,
// corrections. Imports and voucher uploads are in imports.ts.
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { createReversal, deleteDraftBatch } from '../../db/ledger/entries.ts';
import { publish } from '../../db/ledger/publish.ts';
import { draftPeriods, listImportBatches } from '../../db/ledger/queries.ts';
import { decisionStepKinds } from '../../db/schema.ts';
import { createDecision, replaceOfficials, requireVillage, setOpeningBalance } from '../../db/villages.ts';
import { access } from '../access.ts';
import type { AppEnv } from '../env.ts';
import { errors, json, RegionCode } from '../schemas.ts';

const Date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, '日期格式应为 YYYY-MM-DD').openapi({ example: '2025-03-05' });
const Period = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, '账期格式应为 YYYY-MM').openapi({ example: '2025-03' });
const Fen = z.number().int().safe().openapi({ description: 'integer fen (分)', example: 123450 });
const VillageParams = z.object({ code: RegionCode.openapi({ param: { name: 'code', in: 'path' } }) });
const staff = access({ who: ['accountant', 'admin'], scopeParam: 'code' });
const bookkeeping = ['villages'];

const putOfficials = createRoute({
  method: 'put',
  path: '/villages/{code}/officials',
  tags: bookkeeping,
  summary: 'Replace the village’s officials and their duty lists',
  middleware: [staff] as const,
  request: {
    params: VillageParams,
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z
            .array(z.strictObject({ name: z.string().trim().min(1).max(50), post: z.string().trim().min(1).max(100), duties: z.string().max(2000) }))
            .max(100),
        },
      },
    },
  },
  responses: { 200: json(z.object({ officials: z.number().int() }), 'Stored'), 400: errors[400], 401: errors[401], 403: errors[403], 404: errors[404] },
});

const putOpeningBalance = createRoute({
  method: 'put',
  path: '/villages/{code}/opening-balance',
  tags: bookkeeping,
  summary: 'Set the opening balance (fixed once a period is published)',
  middleware: [staff] as const,
  request: {
    params: VillageParams,
    body: { required: true, content: { 'application/json': { schema: z.strictObject({ date: Date, amountFen: Fen }) } } },
  },
  responses: {
    200: json(z.object({ date: Date, amountFen: Fen }), 'Stored'),
    400: errors[400],
    401: errors[401],
    403: errors[403],
    404: errors[404],
    409: errors[409],
  },
});

const StepSchema = z.strictObject({
  kind: z.enum(decisionStepKinds).openapi({
    description: '四议两公开: proposal 提议 · consultation 商议 · review 审议 · resolution 决议 · resolution_published 决议公开 · result_published 结果公开',
  }),
  date: Date,
  attendance: z.number().int().min(0).optional(),
  votesFor: z.number().int().min(0).optional(),
  votesAgainst: z.number().int().min(0).optional(),
  votesAbstain: z.number().int().min(0).optional(),
  note: z.string().max(500).optional(),
});

const postDecision = createRoute({
  method: 'post',
  path: '/villages/{code}/decisions',
  tags: bookkeeping,
  summary: 'Register a decision (决议) made under 四议两公开, with its steps',
  middleware: [staff] as const,
  request: {
    params: VillageParams,
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z.strictObject({
            ref: z.string().trim().min(1).max(40),
            title: z.string().trim().min(1).max(200),
            decidedOn: Date,
            amountFen: Fen.positive().optional(),
            steps: z.array(StepSchema).max(6).optional(),
          }),
        },
      },
    },
  },
  responses: {
    201: json(z.object({ id: z.string() }), 'Registered'),
    400: errors[400],
    401: errors[401],
    403: errors[403],
    404: errors[404],
    409: errors[409],
  },
});

const postPublication = createRoute({
  method: 'post',
  path: '/villages/{code}/publications',
  tags: bookkeeping,
  summary: 'Publish a draft period, or every draft period through one; each gets a signed log checkpoint',
  middleware: [staff] as const,
  request: {
    params: VillageParams,
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z.union([z.strictObject({ period: Period }), z.strictObject({ through: Period })]),
        },
      },
    },
  },
  responses: {
    200: json(z.object({ periods: z.array(z.object({ period: Period, entries: z.number().int(), root: z.string() })) }), 'Published'),
    400: errors[400],
    401: errors[401],
    403: errors[403],
    404: errors[404],
    409: errors[409],
  },
});

const postReversal = createRoute({
  method: 'post',
  path: '/villages/{code}/entries/{id}/reversal',
  tags: bookkeeping,
  summary: 'Post a reversal entry (红字冲销) for a published entry, in an open period',
  middleware: [staff] as const,
  request: {
    params: VillageParams.extend({ id: z.uuid().openapi({ param: { name: 'id', in: 'path' } }) }),
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z.strictObject({ date: Date, voucherNo: z.string().trim().min(1).max(32), reason: z.string().max(100).optional() }),
        },
      },
    },
  },
  responses: {
    201: json(z.object({ id: z.string() }), 'Reversal entry (draft)'),
    400: errors[400],
    401: errors[401],
    403: errors[403],
    404: errors[404],
    409: errors[409],
  },
});

const getImports = createRoute({
  method: 'get',
  path: '/villages/{code}/imports',
  tags: bookkeeping,
  summary: 'Import batches and draft periods of the village',
  middleware: [staff] as const,
  request: { params: VillageParams },
  responses: {
    200: json(
      z.object({
        batches: z.array(
          z.object({
            id: z.string(),
            fileName: z.string(),
            fileSha256: z.string(),
            uploadedAt: z.string(),
            entries: z.number().int(),
            vouchers: z.number().int(),
            warnings: z.array(z.string()),
          }),
        ),
        draftPeriods: z.array(z.object({ period: Period, entries: z.number().int(), incomeFen: Fen, expenseFen: Fen })),
      }),
      'Batches',
    ),
    401: errors[401],
    403: errors[403],
    404: errors[404],
  },
});

const deleteImport = createRoute({
  method: 'delete',
  path: '/villages/{code}/imports/{batchId}',
  tags: bookkeeping,
  summary: 'Delete an import whose entries are all drafts',
  middleware: [staff] as const,
  request: { params: VillageParams.extend({ batchId: z.uuid().openapi({ param: { name: 'batchId', in: 'path' } }) }) },
  responses: {
    200: json(z.object({ deleted: z.number().int() }), 'Deleted'),
    401: errors[401],
    403: errors[403],
    404: errors[404],
    409: errors[409],
  },
});

export function registerVillages(app: OpenAPIHono<AppEnv>) {
  const ctx = (c: { var: AppEnv['Variables'] }) => ({
    db: c.var.deps.database.db,
    now: c.var.deps.now(),
    actor: c.var.actor!,
    requestId: c.var.requestId,
  });

  app.openapi(putOfficials, async (c) =>
    c.json(await replaceOfficials({ ...ctx(c), input: { villageCode: c.req.valid('param').code, officials: c.req.valid('json') } }), 200),
  );
  app.openapi(putOpeningBalance, async (c) =>
    c.json(await setOpeningBalance({ ...ctx(c), input: { villageCode: c.req.valid('param').code, ...c.req.valid('json') } }), 200),
  );
  app.openapi(postDecision, async (c) =>
    c.json(await createDecision({ ...ctx(c), input: { villageCode: c.req.valid('param').code, decision: c.req.valid('json') } }), 201),
  );
  app.openapi(postPublication, async (c) => {
    const body = c.req.valid('json');
    const villageCode = c.req.valid('param').code;
    const input = 'period' in body ? { villageCode, period: body.period } : { villageCode, through: body.through };
    return c.json(await publish({ ...ctx(c), signer: c.var.deps.signer, dispatch: c.var.deps.dispatch, input }), 200);
  });
  app.openapi(postReversal, async (c) => {
    const { code, id } = c.req.valid('param');
    return c.json(await createReversal({ ...ctx(c), input: { villageCode: code, entryId: id, ...c.req.valid('json') } }), 201);
  });
  app.openapi(getImports, async (c) => {
    const { code } = c.req.valid('param');
    const db = c.var.deps.database.db;
    await requireVillage(db, code);
    const [batches, drafts] = await Promise.all([listImportBatches(db, code), draftPeriods(db, code)]);
    return c.json(
      {
        batches: batches.map((b) => ({
          id: b.id,
          fileName: b.fileName,
          fileSha256: b.fileSha256,
          uploadedAt: b.uploadedAt.toISOString(),
          entries: b.entryCount,
          vouchers: b.voucherCount,
          warnings: b.warnings,
        })),
        draftPeriods: drafts,
      },
      200,
    );
  });
  app.openapi(deleteImport, async (c) => {
    const { code, batchId } = c.req.valid('param');
    return c.json(await deleteDraftBatch({ ...ctx(c), input: { villageCode: code, batchId } }), 200);
  });
}
