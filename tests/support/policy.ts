// Who may call each API route: the table every route must appear in (tests/api/access.test.ts
// fails for a route of the OpenAPI document that is missing here).
import type { Role } from '../../db/schema.ts';

export interface RoutePolicy {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** As in the OpenAPI document, with {param}s. */
  path: string;
  who: 'anyone' | 'signed-in' | Role[];
  /** A valid body for a caller in scope of the demo county. */
  body?: unknown;
  /** Makes the call concern a region outside a caller scoped to 底洞镇 (519901101000); the answer must be 403. */
  outOfScope?: { path?: string; body?: unknown };
}

export const TOWNSHIP = '519901101000'; // 底洞镇
export const OTHER_TOWNSHIP = '519901102000'; // 玉和镇
export const VILLAGE = '519901101201'; // 沙湾村 in 底洞镇

export const policies: RoutePolicy[] = [
  { method: 'GET', path: '/api/v1/health', who: 'anyone' },
  { method: 'POST', path: '/api/v1/session', who: 'anyone', body: { username: 'nobody', password: 'x' } },
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
];
