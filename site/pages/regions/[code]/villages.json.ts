// The villages of a region with their money (integer fen) and publication status, as JSON.
import type { APIRoute } from 'astro';
import { villageOverviews } from '../../../../db/public/regions.ts';
import { getRegion, isRegionCode } from '../../../../db/regions.ts';

export const GET: APIRoute = async ({ params, locals }) => {
  const code = params.code ?? '';
  if (!isRegionCode(code) || !(await getRegion(locals.services.db, code))) return new Response('Not found', { status: 404 });
  const villages = await villageOverviews(locals.services.db, code, locals.services.now());
  return Response.json({ region: code, villages });
};
