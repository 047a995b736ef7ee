// The villages of a region with their money and publication status, as CSV (UTF-8 with BOM, opens in Excel).
import type { APIRoute } from 'astro';
import { villageOverviews } from '../../../../db/public/regions.ts';
import { getRegion, isRegionCode } from '../../../../db/regions.ts';
import { toCsv } from '../../../lib/csv.ts';
import { yuanPlain } from '../../../lib/format.ts';

export const GET: APIRoute = async ({ params, locals }) => {
  const code = params.code ?? '';
  if (!isRegionCode(code) || !(await getRegion(locals.services.db, code))) return new Response('Not found', { status: 404 });
  const zh = locals.lang === 'zh';
  const rows = await villageOverviews(locals.services.db, code, locals.services.now());
  const header = zh
    ? ['区划代码', '村', '最近公开账期', '年度', '年度收入', '年度支出', '余额', '公开状态', '逾期月数']
    : ['code', 'village', 'latest_period', 'year', 'income', 'spending', 'balance', 'status', 'months_overdue'];
  const body = rows.map((v) => [
    v.code, v.name, v.latestPeriod ?? '', v.year === null ? '' : String(v.year), yuanPlain(v.incomeFen), yuanPlain(v.expenseFen),
    v.balanceFen === null ? '' : yuanPlain(v.balanceFen), v.status, String(v.overdue),
  ]);
  return new Response(toCsv([header, ...body]), {
    headers: {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="villages-${code}.csv"`,
    },
  });
};
