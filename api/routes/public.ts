// The public JSON API: published ledgers (personal numbers masked), the tamper-evident log
// (checkpoints, leaves, proofs) that `npm run verify` checks, and public voucher copies.
import { Readable } from 'node:stream';
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import {
  consistencyProofFor,
  getPublication,
  inclusionProofFor,
  latestPublication,
  listPublications,
  logLeaves,
  publicVoucher,
  publishedEntries,
  villagesWithLogs,
} from '../../db/ledger/queries.ts';
import { DomainError } from '../../db/errors.ts';
import { childOverview, duePeriodAt, isDigitProbe, searchPublic, villageOverviews } from '../../db/public/regions.ts';
import { getRegion, listAncestors, listChildren } from '../../db/regions.ts';
import { voucherKeys } from '../../db/vouchers/keys.ts';
import { requireVillage } from '../../db/villages.ts';
import { access } from '../access.ts';
import type { AppEnv } from '../env.ts';
import { errors, json, RegionCode } from '../schemas.ts';

const anyone = access({ who: 'anyone' });
const tags = ['public'];
const Period = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, '账期格式应为 YYYY-MM');
const Fen = z.number().int().openapi({ description: 'integer fen (分)' });
const Hex = z.string().regex(/^[0-9a-f]{64}$/);
const VillageParams = z.object({ code: RegionCode.openapi({ param: { name: 'code', in: 'path' } }) });
const Int = (name: string) => z.coerce.number().int().min(0).openapi({ param: { name, in: 'query' } });

const PublicEntry = z
  .object({
    id: z.string(),
    date: z.string(),
    voucherNo: z.string(),
    summary: z.string(),
    accountCode: z.string(),
    accountName: z.string(),
    direction: z.enum(['income', 'expense']),
    amountFen: Fen,
    counterparty: z.string().nullable(),
    paymentMethod: z.string(),
    invoiceNo: z.string().nullable(),
    handler: z.string().nullable(),
    decisionRef: z.string().nullable(),
    reversesId: z.string().nullable(),
    leafIndex: z.number().int(),
    vouchers: z.array(z.object({ page: z.number().int(), sha256: z.string(), mime: z.string(), hasPublicCopy: z.boolean() })),
  })
  .openapi('PublicEntry');

const PeriodSummary = z.object({
  period: Period,
  entries: z.number().int(),
  openingFen: Fen,
  incomeFen: Fen,
  expenseFen: Fen,
  closingFen: Fen,
  treeSize: z.number().int(),
  rootHash: Hex,
  publishedAt: z.string(),
});

const summary = (p: Awaited<ReturnType<typeof listPublications>>[number]) => ({
  period: p.period,
  entries: p.entryCount,
  openingFen: p.openingFen,
  incomeFen: p.incomeFen,
  expenseFen: p.expenseFen,
  closingFen: p.closingFen,
  treeSize: p.treeSize,
  rootHash: p.rootHash,
  publishedAt: p.publishedAt.toISOString(),
});

const ledger = createRoute({
  method: 'get',
  path: '/public/villages/{code}/ledger',
  tags,
  summary: 'Published entries of a period (default: the latest), personal numbers masked, with totals and the log root',
  middleware: [anyone] as const,
  request: { params: VillageParams, query: z.object({ period: Period.optional().openapi({ param: { name: 'period', in: 'query' } }) }) },
  responses: {
    200: json(PeriodSummary.extend({ village: RegionCode, items: z.array(PublicEntry) }), 'The period'),
    400: errors[400],
    404: errors[404],
  },
});

const periods = createRoute({
  method: 'get',
  path: '/public/villages/{code}/periods',
  tags,
  summary: 'Published periods with totals, balances and log roots',
  middleware: [anyone] as const,
  request: { params: VillageParams },
  responses: { 200: json(z.object({ village: RegionCode, periods: z.array(PeriodSummary) }), 'Periods'), 404: errors[404] },
});

const logKey = createRoute({
  method: 'get',
  path: '/public/log/key',
  tags,
  summary: 'The Ed25519 key that signs checkpoints (C2SP signed-note verifier key)',
  middleware: [anyone] as const,
  responses: { 200: json(z.object({ name: z.string(), verifierKey: z.string(), publicKey: z.string() }), 'The key') },
});

const logVillages = createRoute({
  method: 'get',
  path: '/public/log/villages',
  tags,
  summary: 'Villages with a log, and their latest tree size and root',
  middleware: [anyone] as const,
  responses: {
    200: json(z.object({ villages: z.array(z.object({ code: RegionCode, period: Period, treeSize: z.number().int(), rootHash: Hex })) }), 'Logs'),
  },
});

const checkpoint = createRoute({
  method: 'get',
  path: '/public/villages/{code}/log/checkpoint',
  tags,
  summary: 'The latest signed checkpoint of the village’s log',
  middleware: [anyone] as const,
  request: { params: VillageParams },
  responses: {
    200: json(z.object({ period: Period, treeSize: z.number().int(), rootHash: Hex, checkpoint: z.string() }), 'Checkpoint'),
    404: errors[404],
  },
});

const leaves = createRoute({
  method: 'get',
  path: '/public/villages/{code}/log/leaves',
  tags,
  summary: 'Log leaves [start, end) as their canonical JSON objects (at most 1000)',
  middleware: [anyone] as const,
  request: { params: VillageParams, query: z.object({ start: Int('start'), end: Int('end') }) },
  responses: { 200: json(z.object({ leaves: z.array(z.record(z.string(), z.unknown())) }), 'Leaves'), 400: errors[400], 404: errors[404] },
});

const inclusion = createRoute({
  method: 'get',
  path: '/public/villages/{code}/log/inclusion',
  tags,
  summary: 'Inclusion proof (RFC 6962 audit path) of a leaf in a signed tree size',
  middleware: [anyone] as const,
  request: { params: VillageParams, query: z.object({ index: Int('index'), treeSize: Int('treeSize') }) },
  responses: {
    200: json(z.object({ index: z.number().int(), treeSize: z.number().int(), proof: z.array(Hex) }), 'Proof'),
    400: errors[400],
    404: errors[404],
  },
});

const consistency = createRoute({
  method: 'get',
  path: '/public/villages/{code}/log/consistency',
  tags,
  summary: 'Consistency proof (RFC 6962) between two signed tree sizes',
  middleware: [anyone] as const,
  request: { params: VillageParams, query: z.object({ first: Int('first'), second: Int('second') }) },
  responses: {
    200: json(z.object({ first: z.number().int(), second: z.number().int(), proof: z.array(Hex) }), 'Proof'),
    400: errors[400],
    404: errors[404],
  },
});

const voucherFile = createRoute({
  method: 'get',
  path: '/public/vouchers/{sha256}',
  tags,
  summary: 'The public copy (re-encoded, metadata removed) or thumbnail of a voucher of a published entry',
  middleware: [anyone] as const,
  request: {
    params: z.object({ sha256: Hex.openapi({ param: { name: 'sha256', in: 'path' } }) }),
    query: z.object({ size: z.enum(['full', 'thumbnail']).default('full').openapi({ param: { name: 'size', in: 'query' } }) }),
  },
  responses: {
    200: { description: 'The image (a PDF voucher is served as an attachment)', content: { 'image/jpeg': { schema: z.any() } } },
    404: errors[404],
  },
});

const RegionSchema = z.object({ code: RegionCode, name: z.string(), level: z.enum(['province', 'city', 'county', 'township', 'village']) });
const PublicationStatus = z
  .enum(['on_time', 'late', 'missing', 'none'])
  .openapi({ description: 'on_time / late: the due period published by / after its deadline (the 15th of the next month); missing: not published; none: nothing published ever' });
const VillageOverviewSchema = z
  .object({
    code: RegionCode,
    name: z.string(),
    townshipCode: RegionCode,
    latestPeriod: Period.nullable(),
    balanceFen: Fen.nullable(),
    year: z.number().int().nullable().openapi({ description: 'the latest published period’s year; income and spending are of that year' }),
    incomeFen: Fen,
    expenseFen: Fen,
    duePeriod: Period,
    status: PublicationStatus,
    overdue: z.number().int().openapi({ description: 'periods past their deadline and not published' }),
  })
  .openapi('VillageOverview');
const ChildOverviewSchema = z
  .object({
    code: RegionCode,
    name: z.string(),
    level: z.string(),
    villages: z.number().int(),
    incomeFen: Fen.openapi({ description: 'sum over its villages of their latest published year’s income' }),
    expenseFen: Fen,
    balanceFen: Fen.nullable(),
    publication: z.object({ on_time: z.number().int(), late: z.number().int(), missing: z.number().int(), none: z.number().int() }),
  })
  .openapi('ChildRegionOverview');

const regionRoute = createRoute({
  method: 'get',
  path: '/public/regions/{code}',
  tags,
  summary: 'A region (as its public page shows it): its ancestors, its children with income, spending, balance and publication status, and every village within it',
  middleware: [anyone] as const,
  request: { params: z.object({ code: RegionCode.openapi({ param: { name: 'code', in: 'path' } }) }) },
  responses: {
    200: json(
      z.object({
        region: RegionSchema,
        ancestors: z.array(RegionSchema),
        duePeriod: Period,
        children: z.array(ChildOverviewSchema),
        villages: z.array(VillageOverviewSchema),
      }),
      'The region',
    ),
    400: errors[400],
    404: errors[404],
  },
});

const searchRoute = createRoute({
  method: 'get',
  path: '/public/search',
  tags,
  summary: 'Places by name and published entries by summary or counterparty (personal numbers masked); a query that looks like part of a personal number searches places only',
  middleware: [anyone] as const,
  request: { query: z.object({ q: z.string().trim().min(1).max(200).openapi({ param: { name: 'q', in: 'query' } }) }) },
  responses: {
    200: json(
      z.object({
        query: z.string(),
        digitProbe: z.boolean().openapi({ description: 'true: the query looks like part of an ID, card or phone number, so entries were not searched' }),
        villages: z.array(z.object({ code: RegionCode, name: z.string(), level: z.string() })),
        entries: z.array(
          z.object({
            villageCode: RegionCode,
            villageName: z.string(),
            id: z.string(),
            date: z.string(),
            voucherNo: z.string(),
            summary: z.string(),
            counterparty: z.string().nullable(),
            amountFen: Fen,
            direction: z.enum(['income', 'expense']),
          }),
        ),
      }),
      'Results (at most 50 of each)',
    ),
    400: errors[400],
  },
});

export function registerPublic(app: OpenAPIHono<AppEnv>) {
  const db = (c: { var: AppEnv['Variables'] }) => c.var.deps.database.db;

  app.openapi(ledger, async (c) => {
    const { code } = c.req.valid('param');
    await requireVillage(db(c), code);
    const { period } = c.req.valid('query');
    const pub = period ? await getPublication(db(c), code, period) : await latestPublication(db(c), code);
    if (!pub) throw new DomainError('not_found', 'period_unpublished', period ? `账期 ${period} 尚未公开` : '本村还没有公开的账期');
    const items = await publishedEntries(db(c), code, pub.period);
    return c.json({ village: code, ...summary(pub), items }, 200);
  });

  app.openapi(periods, async (c) => {
    const { code } = c.req.valid('param');
    await requireVillage(db(c), code);
    return c.json({ village: code, periods: (await listPublications(db(c), code)).map(summary) }, 200);
  });

  app.openapi(logKey, (c) => {
    const { signer } = c.var.deps;
    return c.json({ name: signer.name, verifierKey: signer.verifierKey, publicKey: signer.publicKey.toString('base64') }, 200);
  });

  app.openapi(logVillages, async (c) =>
    c.json(
      {
        villages: (await villagesWithLogs(db(c))).map((v) => ({ code: v.villageCode, period: v.period, treeSize: v.treeSize, rootHash: v.rootHash })),
      },
      200,
    ),
  );

  app.openapi(checkpoint, async (c) => {
    const { code } = c.req.valid('param');
    const pub = await latestPublication(db(c), code);
    if (!pub) throw new DomainError('not_found', 'log_empty', `村 ${code} 还没有公开的账期`);
    return c.json({ period: pub.period, treeSize: pub.treeSize, rootHash: pub.rootHash, checkpoint: pub.checkpoint }, 200);
  });

  app.openapi(leaves, async (c) => {
    const { code } = c.req.valid('param');
    const { start, end } = c.req.valid('query');
    if (end <= start || end - start > 1000) throw new DomainError('invalid', 'range_invalid', '须 start < end 且一次最多 1000 个叶子');
    return c.json({ leaves: (await logLeaves(db(c), code, start, end)) as unknown as Record<string, unknown>[] }, 200);
  });

  app.openapi(inclusion, async (c) => {
    const { code } = c.req.valid('param');
    const { index, treeSize } = c.req.valid('query');
    return c.json({ index, treeSize, proof: await inclusionProofFor(db(c), code, index, treeSize) }, 200);
  });

  app.openapi(consistency, async (c) => {
    const { code } = c.req.valid('param');
    const { first, second } = c.req.valid('query');
    return c.json({ first, second, proof: await consistencyProofFor(db(c), code, first, second) }, 200);
  });

  app.openapi(voucherFile, async (c) => {
    const { sha256 } = c.req.valid('param');
    const { size } = c.req.valid('query');
    const voucher = await publicVoucher(db(c), sha256);
    const keys = voucherKeys(sha256);
    const [key, type] =
      voucher?.mime === 'application/pdf'
        ? [keys.original, 'application/pdf']
        : size === 'thumbnail'
          ? [voucher?.hasThumbnail ? keys.thumbnail : null, 'image/webp']
          : [voucher?.publicMime ? keys.public : null, voucher?.publicMime];
    const stream = key && voucher ? await c.var.deps.store.open(key) : null;
    if (!stream || !type) throw new DomainError('not_found', 'voucher_unknown', '没有这张公开的凭证');
    c.header('Content-Type', type);
    c.header('Cache-Control', 'public, max-age=31536000, immutable');
    c.header('X-Content-Type-Options', 'nosniff');
    if (type === 'application/pdf') {
      // PDFs only as downloads, sandboxed should a browser render one anyway.
      c.header('Content-Disposition', `attachment; filename="voucher-${sha256.slice(0, 12)}.pdf"`);
      c.header('Content-Security-Policy', "sandbox; default-src 'none'");
    }
    return c.body(Readable.toWeb(stream) as ReadableStream, 200);
  });
  app.openapi(regionRoute, async (c) => {
    const { code } = c.req.valid('param');
    const now = c.var.deps.now();
    const region = await getRegion(db(c), code);
    if (!region) throw new DomainError('not_found', 'region_unknown', `没有这个区划：${code}`);
    const [ancestors, children, villages] = await Promise.all([
      listAncestors(db(c), code),
      listChildren(db(c), code),
      villageOverviews(db(c), code, now),
    ]);
    const brief = (r: { code: string; name: string; level: 'province' | 'city' | 'county' | 'township' | 'village' }) => ({ code: r.code, name: r.name, level: r.level });
    return c.json(
      {
        region: brief(region),
        ancestors: ancestors.map(brief),
        duePeriod: duePeriodAt(now),
        children: children.map((child) => childOverview(child, villages)),
        villages,
      },
      200,
    );
  });

  app.openapi(searchRoute, async (c) => {
    const q = c.req.valid('query').q.slice(0, 50);
    const results = await searchPublic(db(c), q);
    return c.json(
      {
        query: q,
        digitProbe: isDigitProbe(q),
        villages: results.villages,
        entries: results.entries.map((e) => ({ ...e, direction: e.direction === 'income' ? ('income' as const) : ('expense' as const) })),
      },
      200,
    );
  });
}
