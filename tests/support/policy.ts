// Who may call each API route: the table every route must appear in (tests/api/access.test.ts
// fails for a route of the OpenAPI document that is missing here).
import type { Role } from '../../db/schema.ts';

export interface RoutePolicy {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** As in the OpenAPI document, with {param}s. */
  path: string;
  /** The path to call, when `path` has parameters. */
  concrete?: string;
  who: 'anyone' | 'signed-in' | Role[];
  /** A body for a caller in scope (a JSON value, or FormData for uploads). */
  body?: unknown;
  /** Makes the call concern a region outside a caller scoped to 底洞镇 (519901101000); the answer must be 403. */
  outOfScope?: { path?: string; body?: unknown };
}

export const TOWNSHIP = '519901101000'; // 底洞镇
export const OTHER_TOWNSHIP = '519901102000'; // 玉和镇
export const VILLAGE = '519901101201'; // 沙湾村 in 底洞镇
export const OTHER_VILLAGE = '519901102201'; // 团结村 in 玉和镇
const ENTRY = '00000000-0000-4000-8000-000000000000';
const BATCH = '00000000-0000-4000-8000-000000000001';

/** A route of a village's books: accountants and administrators of the village's scope. */
const books = (method: RoutePolicy['method'], suffix: string, body?: unknown): RoutePolicy => ({
  method,
  path: `/api/v1/villages/{code}${suffix}`,
  concrete: `/api/v1/villages/${VILLAGE}${suffix}`,
  who: ['accountant', 'admin'],
  body,
  outOfScope: { path: `/api/v1/villages/${OTHER_VILLAGE}${suffix}` },
});
const ID = '00000000-0000-4000-8000-000000000002';
/** A route of a region's registers (micro-powers, policies), with or without an {id}. */
const register = (method: RoutePolicy['method'], suffix: string, body?: unknown): RoutePolicy => ({
  method,
  path: `/api/v1/regions/{code}${suffix}`,
  concrete: `/api/v1/regions/${VILLAGE}${suffix.replace('{id}', ID)}`,
  who: ['accountant', 'admin'],
  body,
  outOfScope: { path: `/api/v1/regions/${OTHER_VILLAGE}${suffix.replace('{id}', ID)}` },
});
const POWER = {
  category: '日常管理',
  name: '测试权力',
  legalBasis: '',
  responsiblePost: '村主任',
  steps: [{ actor: '村委会', action: '办理', output: '记录', timeLimit: '3天' }],
  riskPoints: [],
};
const POLICY = { title: '测试政策', conditions: '条件', procedure: '流程', documents: '材料', contact: '电话' };
const publicRoute = (path: string, concrete: string): RoutePolicy => ({ method: 'GET', path, concrete, who: 'anyone' });

export const policies: RoutePolicy[] = [
  { method: 'GET', path: '/api/v1/health', who: 'anyone' },
  { method: 'POST', path: '/api/v1/session', who: 'anyone', body: { username: 'admin', password: 'admin-password-1' } },
  { method: 'DELETE', path: '/api/v1/session', who: 'anyone' },
  { method: 'GET', path: '/api/v1/me', who: 'signed-in' },
  { method: 'POST', path: '/api/v1/tokens', who: 'signed-in', body: { name: '记账软件' } },
  {
    method: 'PUT',
    path: '/api/v1/regions',
    who: ['admin'],
    body: [{ code: '519901101207', name: '新村' }],
    outOfScope: { body: [{ code: '519901102207', name: '别镇新村' }] },
  },
  {
    method: 'POST',
    path: '/api/v1/users',
    who: ['admin'],
    body: { username: 'policy-user', password: 'a-long-password', role: 'accountant', scope: VILLAGE, displayName: '测试' },
    outOfScope: {
      body: { username: 'policy-user2', password: 'a-long-password', role: 'accountant', scope: '519901102201', displayName: '测试' },
    },
  },
  books('PUT', '/officials', [{ name: '崔伟', post: '村委会主任', duties: '全面工作' }]),
  books('PUT', '/opening-balance', { date: '2024-01-01', amountFen: 100 }),
  books('POST', '/decisions', { ref: '决-P-01', title: '测试决议', decidedOn: '2025-01-02' }),
  books('POST', '/publications', { through: '2025-12' }),
  { ...books('POST', '/entries/{id}/reversal', { date: '2026-01-05', voucherNo: '记-P-1' }), concrete: `/api/v1/villages/${VILLAGE}/entries/${ENTRY}/reversal`, outOfScope: { path: `/api/v1/villages/${OTHER_VILLAGE}/entries/${ENTRY}/reversal` } },
  books('GET', '/imports'),
  { ...books('DELETE', '/imports/{batchId}'), concrete: `/api/v1/villages/${VILLAGE}/imports/${BATCH}`, outOfScope: { path: `/api/v1/villages/${OTHER_VILLAGE}/imports/${BATCH}` } },
  books('POST', '/imports', () => uploadForm('ledger.csv', '日期,凭证号,摘要,科目编码,收入,支出,收付款方\n2025-01-05,记-P-01,测试,501,1.00,,某某\n')),
  {
    ...books('POST', '/entries/{id}/vouchers', () => uploadForm('v.pdf', '%PDF-1.4\n%%EOF\n')),
    concrete: `/api/v1/villages/${VILLAGE}/entries/${ENTRY}/vouchers`,
    outOfScope: { path: `/api/v1/villages/${OTHER_VILLAGE}/entries/${ENTRY}/vouchers` },
  },
  publicRoute('/api/v1/public/villages/{code}/ledger', `/api/v1/public/villages/${VILLAGE}/ledger`),
  publicRoute('/api/v1/public/villages/{code}/periods', `/api/v1/public/villages/${VILLAGE}/periods`),
  publicRoute('/api/v1/public/log/key', '/api/v1/public/log/key'),
  publicRoute('/api/v1/public/log/villages', '/api/v1/public/log/villages'),
  publicRoute('/api/v1/public/villages/{code}/log/checkpoint', `/api/v1/public/villages/${VILLAGE}/log/checkpoint`),
  publicRoute('/api/v1/public/villages/{code}/log/leaves', `/api/v1/public/villages/${VILLAGE}/log/leaves?start=0&end=1`),
  publicRoute('/api/v1/public/villages/{code}/log/inclusion', `/api/v1/public/villages/${VILLAGE}/log/inclusion?index=0&treeSize=1`),
  publicRoute('/api/v1/public/villages/{code}/log/consistency', `/api/v1/public/villages/${VILLAGE}/log/consistency?first=1&second=1`),
  {
    method: 'GET',
    path: '/api/v1/villages/{code}/vouchers/{sha256}/original',
    concrete: `/api/v1/villages/${VILLAGE}/vouchers/${'0'.repeat(64)}/original`,
    who: ['accountant', 'inspector', 'admin'],
    outOfScope: { path: `/api/v1/villages/${OTHER_VILLAGE}/vouchers/${'0'.repeat(64)}/original` },
  },
  {
    method: 'POST',
    path: '/api/v1/checks/runs',
    who: ['inspector', 'admin'],
    body: { asOf: '2026-01-31' },
    outOfScope: { body: { asOf: '2026-01-31', region: '519901102000' } },
  },
  { method: 'GET', path: '/api/v1/checks/runs/{id}', concrete: `/api/v1/checks/runs/${ID}`, who: ['inspector', 'admin'] },
  { method: 'GET', path: '/api/v1/alerts', who: ['inspector', 'admin'] },
  { method: 'GET', path: '/api/v1/alerts/{id}', concrete: `/api/v1/alerts/${ID}`, who: ['inspector', 'admin'] },
  { method: 'POST', path: '/api/v1/alerts/{id}/transitions', concrete: `/api/v1/alerts/${ID}/transitions`, who: ['inspector', 'admin'], body: { to: 'acknowledged' } },
  { method: 'GET', path: '/api/v1/rules', who: ['inspector', 'admin'] },
  {
    method: 'GET',
    path: '/api/v1/regions/{code}/rule-parameters',
    concrete: `/api/v1/regions/${TOWNSHIP}/rule-parameters`,
    who: ['admin'],
    outOfScope: { path: `/api/v1/regions/${OTHER_TOWNSHIP}/rule-parameters` },
  },
  {
    method: 'PUT',
    path: '/api/v1/regions/{code}/rule-parameters/{ruleId}',
    concrete: `/api/v1/regions/${VILLAGE}/rule-parameters/cash-over-limit`,
    who: ['admin'],
    body: { params: { limitFen: 200_000 }, note: '访问策略测试' },
    outOfScope: { path: `/api/v1/regions/${OTHER_VILLAGE}/rule-parameters/cash-over-limit` },
  },
  register('POST', '/powers', POWER),
  register('PUT', '/powers/{id}', POWER),
  register('DELETE', '/powers/{id}'),
  register('POST', '/policies', POLICY),
  register('PUT', '/policies/{id}', POLICY),
  register('DELETE', '/policies/{id}'),
  publicRoute('/api/v1/public/villages/{code}/officials', `/api/v1/public/villages/${VILLAGE}/officials`),
  publicRoute('/api/v1/public/villages/{code}/decisions', `/api/v1/public/villages/${VILLAGE}/decisions`),
  publicRoute('/api/v1/public/villages/{code}/powers', `/api/v1/public/villages/${VILLAGE}/powers`),
  publicRoute('/api/v1/public/villages/{code}/policies', `/api/v1/public/villages/${VILLAGE}/policies`),
  publicRoute('/api/v1/public/vouchers/{sha256}', `/api/v1/public/vouchers/${'0'.repeat(64)}`),
  {
    method: 'GET',
    path: '/api/v1/checks/statistics',
    who: ['admin'],
    outOfScope: { path: `/api/v1/checks/statistics?region=${OTHER_TOWNSHIP}` },
  },
  publicRoute('/api/v1/public/regions/{code}/alert-counts', `/api/v1/public/regions/${TOWNSHIP}/alert-counts`),
  publicRoute('/api/v1/public/regions/{code}', `/api/v1/public/regions/${TOWNSHIP}`),
  publicRoute('/api/v1/public/search', '/api/v1/public/search?q=%E6%B2%99%E6%B9%BE'),
];

/** A multipart body with one file in field `file`. */
export function uploadForm(name: string, content: string | Uint8Array<ArrayBuffer>): FormData {
  const form = new FormData();
  form.append('file', new Blob([content]), name);
  return form;
}
