// An accountant keeps a village's registers (opening balance, officials, decisions) and the
// township's micro-power list and policies, in chromium at 360 px with JavaScript turned off.
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fitsPhone, hasChromium, launchBrowser, NO_JS_PHONE, signInPage as signInAs, submit } from '../support/browser.ts';
import { removeDir, startServer, tempDir, type ServerProcess } from '../support/server.ts';

const COUNTY = '519901000000';
const TOWNSHIP = '519901101000';
const OTHER_TOWNSHIP = '519901102000';
const VILLAGE = '519901101201';
const REGISTERS = `/staff/villages/${VILLAGE}/registers`;
const LISTS = `/staff/regions/${TOWNSHIP}/lists`;
const PASSWORD = 'accountant-password-1';

describe.skipIf(!hasChromium)('staff registers and lists without JavaScript (chromium, 360 px)', () => {
  let server: ServerProcess;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const dir = tempDir();
  const shots = path.join(tmpdir(), 'ygcw-screenshots');

  async function api(method: string, url: string, body?: unknown, cookie?: string) {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (cookie) headers.cookie = cookie;
    return fetch(`${server.url}${url}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  }

  async function getJson<T>(url: string): Promise<T> {
    const res = await api('GET', url);
    expect(res.status).toBe(200);
    return (await res.json()) as T;
  }

  const signInPage = (username: string, password: string) => signInAs(browser, server.url, username, password);



  beforeAll(async () => {
    [server, browser] = await Promise.all([
      startServer({ DATA_DIR: dir, ADMIN_PASSWORD: 'admin-password-1', DEMO: '0' }),
      launchBrowser(),
    ]);
    const signIn = await api('POST', '/api/v1/session', { username: 'admin', password: 'admin-password-1' });
    expect(signIn.status).toBe(200);
    const cookie = signIn.headers
      .getSetCookie()
      .map((c) => c.split(';')[0]!)
      .find((c) => c.startsWith('ygcw_session='));
    expect(cookie).toBeTruthy();
    const regions = await api(
      'PUT',
      '/api/v1/regions',
      [
        { code: COUNTY, name: '青山县' },
        { code: TOWNSHIP, name: '底洞镇' },
        { code: OTHER_TOWNSHIP, name: '石门镇' },
        { code: VILLAGE, name: '沙湾村' },
      ],
      cookie,
    );
    expect(regions.status).toBe(200);
    for (const [username, scope] of [
      ['dd-kuaiji', TOWNSHIP],
      ['sm-kuaiji', OTHER_TOWNSHIP],
    ] as const) {
      const res = await api('POST', '/api/v1/users', { username, password: PASSWORD, role: 'accountant', scope, displayName: `${username} 会计` }, cookie);
      expect(res.status).toBe(201);
    }
    // A county-wide power: applies to the township too, read-only there.
    const countyPower = await api(
      'POST',
      `/api/v1/regions/${COUNTY}/powers`,
      {
        category: '重大决策',
        name: '村级重大事项决策',
        legalBasis: '《中国共产党农村基层组织工作条例》',
        responsiblePost: '村党组织书记',
        steps: [{ actor: '村党组织', action: '提议', output: '提议书', timeLimit: '5 个工作日' }],
        riskPoints: ['未经集体讨论'],
      },
      cookie,
    );
    expect(countyPower.status).toBe(201);

    ({ context, page } = await signInPage('dd-kuaiji', PASSWORD));
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await server?.stop();
    removeDir(dir);
  });

  it('sets the opening balance, stored exactly in fen', async () => {
    const res = await page.goto(`${server.url}${REGISTERS}`);
    expect(res?.status()).toBe(200);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toContain('沙湾村村务台账');
    await expect(page.locator('#opening').textContent()).resolves.toContain('尚未登记期初余额');
    await fitsPhone(page);

    const form = page.locator('#opening form');
    await form.getByLabel('期初日期').fill('2025-01-01');
    // 12345.29 × 100 is 1234528.9999999998 in floating point: fen must come from the digits.
    await form.getByLabel('期初余额（元）').fill('12,345.29');
    const posted = await submit(page, form.getByRole('button', { name: '保存期初余额' }));
    expect(posted.status()).toBe(303);
    expect(new URL(page.url()).searchParams.get('saved')).toBe('opening');
    expect(await page.locator('#opening [role=status]').textContent()).toContain('期初余额已保存');
    const shown = page.getByTestId('opening-balance');
    expect(await shown.locator('data').getAttribute('value')).toBe('1234529');
    expect(await shown.textContent()).toContain('¥12,345.29');
    expect(await shown.textContent()).toContain('2025-01-01');
    // The form shows the stored value for the next edit.
    expect(await form.getByLabel('期初余额（元）').inputValue()).toBe('12345.29');
  });

  it('saves two officials in order and shows them', async () => {
    await page.goto(`${server.url}${REGISTERS}`);
    const form = page.locator('#officials form');
    // no officials yet: three blank rows
    expect(await form.locator('fieldset').count()).toBe(3);
    const first = form.getByRole('group', { name: '第 1 位' });
    await first.getByLabel('姓名').fill('王建国');
    await first.getByLabel('职务').fill('村党组织书记、村委会主任');
    await first.getByLabel('职责').fill('主持村两委全面工作\n负责重大事项决策');
    const second = form.getByRole('group', { name: '第 2 位' });
    await second.getByLabel('姓名').fill('李秀英');
    await second.getByLabel('职务').fill('村报账员');
    await second.getByLabel('职责').fill('负责村级财务报账');
    const posted = await submit(page, form.getByRole('button', { name: '保存村干部名单' }));
    expect(posted.status()).toBe(303);

    expect(await page.locator('#officials [role=status]').textContent()).toContain('村干部名单已保存');
    const list = page.getByTestId('officials');
    expect(await list.locator('li').allTextContents()).toEqual([
      expect.stringContaining('王建国'),
      expect.stringContaining('李秀英'),
    ]);
    expect(await list.textContent()).toContain('负责村级财务报账');
    // the two saved rows plus three blank ones
    expect(await page.locator('#officials form fieldset').count()).toBe(5);
    expect(await page.locator('#officials form').getByRole('group', { name: '第 2 位' }).getByLabel('姓名').inputValue()).toBe('李秀英');

    const stored = await getJson<{ officials: { name: string; post: string; duties: string }[] }>(`/api/v1/public/villages/${VILLAGE}/officials`);
    expect(stored.officials).toEqual([
      { name: '王建国', post: '村党组织书记、村委会主任', duties: '主持村两委全面工作\n负责重大事项决策' },
      { name: '李秀英', post: '村报账员', duties: '负责村级财务报账' },
    ]);
    await fitsPhone(page);
  });

  it('registers a decision with three steps and shows its timeline', async () => {
    await page.goto(`${server.url}${REGISTERS}`);
    await expect(page.locator('#decision').textContent()).resolves.toContain('尚未登记决议');
    const form = page.locator('#decision form');
    await form.getByLabel('决议编号').fill('JY-2025-01');
    await form.getByLabel('决议日期').fill('2025-03-10');
    await form.getByLabel('决议事项').fill('硬化村道 1.2 公里');
    await form.getByLabel('涉及金额').fill('86000.10');
    const proposal = form.getByRole('group', { name: '党组织提议' });
    await proposal.getByLabel('日期').fill('2025-03-01');
    const consultation = form.getByRole('group', { name: '两委商议' });
    await consultation.getByLabel('日期').fill('2025-03-03');
    await consultation.getByLabel('到会人数').fill('7');
    await consultation.getByLabel('赞成').fill('7');
    const resolution = form.getByRole('group', { name: '村民（代表）会议决议' });
    await resolution.getByLabel('日期').fill('2025-03-10');
    await resolution.getByLabel('到会人数').fill('45');
    await resolution.getByLabel('赞成').fill('40');
    await resolution.getByLabel('反对').fill('3');
    await resolution.getByLabel('弃权').fill('2');
    const posted = await submit(page, form.getByRole('button', { name: '登记决议' }));
    expect(posted.status()).toBe(303);

    expect(await page.locator('#decision [role=status]').textContent()).toContain('决议已登记');
    const decisions = page.getByTestId('decisions');
    expect(await decisions.textContent()).toContain('硬化村道 1.2 公里');
    expect(await decisions.locator('data').getAttribute('value')).toBe('8600010');
    const steps = decisions.locator('.timeline > li');
    expect(await steps.count()).toBe(3);
    expect(await steps.nth(0).textContent()).toContain('党组织提议');
    expect(await steps.nth(0).textContent()).toContain('2025-03-01');
    expect(await steps.nth(1).textContent()).toContain('到会 7 人');
    const last = await steps.nth(2).textContent();
    expect(last).toContain('村民（代表）会议决议');
    expect(last).toContain('2025-03-10');
    expect(last).toContain('到会 45 人');
    expect(last).toContain('赞成 40');
    expect(last).toContain('反对 3');
    expect(last).toContain('弃权 2');
    expect(await decisions.textContent()).toContain('未登记：党员大会审议、决议公开、结果公开');

    const stored = await getJson<{ decisions: { ref: string; amountFen: number | null; steps: { kind: string; votesFor: number | null; attendance: number | null }[] }[] }>(
      `/api/v1/public/villages/${VILLAGE}/decisions`,
    );
    expect(stored.decisions).toHaveLength(1);
    expect(stored.decisions[0]!.ref).toBe('JY-2025-01');
    expect(stored.decisions[0]!.amountFen).toBe(8600010);
    expect(stored.decisions[0]!.steps.map((s) => s.kind)).toEqual(['proposal', 'consultation', 'resolution']);
    expect(stored.decisions[0]!.steps[2]).toMatchObject({ attendance: 45, votesFor: 40 });
    await page.screenshot({ path: path.join(shots, 'staff-registers.png'), fullPage: true });
    await fitsPhone(page);
  });

  it('refuses a decision with a three-decimal amount: 400, the message, nothing stored', async () => {
    await page.goto(`${server.url}${REGISTERS}`);
    const form = page.locator('#decision form');
    await form.getByLabel('决议编号').fill('JY-2025-02');
    await form.getByLabel('决议日期').fill('2025-04-01');
    await form.getByLabel('决议事项').fill('购置垃圾清运车');
    await form.getByLabel('涉及金额').fill('12.345');
    await form.getByRole('group', { name: '党组织提议' }).getByLabel('日期').fill('2025-03-20');
    const posted = await submit(page, form.getByRole('button', { name: '登记决议' }));
    expect(posted.status()).toBe(400);

    const alert = page.locator('#decision [role=alert]');
    expect(await alert.textContent()).toContain('金额');
    expect(await alert.textContent()).toContain('"12.345" 最多两位小数');
    // what was typed is kept
    const again = page.locator('#decision form');
    expect(await again.getByLabel('决议编号').inputValue()).toBe('JY-2025-02');
    expect(await again.getByLabel('涉及金额').inputValue()).toBe('12.345');
    expect(await again.getByRole('group', { name: '党组织提议' }).getByLabel('日期').inputValue()).toBe('2025-03-20');

    const stored = await getJson<{ decisions: { ref: string }[] }>(`/api/v1/public/villages/${VILLAGE}/decisions`);
    expect(stored.decisions.map((d) => d.ref)).toEqual(['JY-2025-01']);
  });

  it('refuses a second decision with the same reference with 409', async () => {
    await page.goto(`${server.url}${REGISTERS}`);
    const form = page.locator('#decision form');
    await form.getByLabel('决议编号').fill('JY-2025-01');
    await form.getByLabel('决议日期').fill('2025-05-01');
    await form.getByLabel('决议事项').fill('重复编号');
    const posted = await submit(page, form.getByRole('button', { name: '登记决议' }));
    expect(posted.status()).toBe(409);
    expect(await page.locator('#decision [role=alert]').textContent()).toContain('决议编号已存在');
  });

  it('answers a township code on the village registers page with 404', async () => {
    const res = await page.goto(`${server.url}/staff/villages/${TOWNSHIP}/registers`);
    expect(res?.status()).toBe(404);
  });

  it('adds a power with two steps and a policy to the township, shows the county’s read-only, deletes the power', async () => {
    const res = await page.goto(`${server.url}${LISTS}`);
    expect(res?.status()).toBe(200);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toContain('底洞镇小微权力清单和惠民政策');
    // the county's power applies here, read-only: no delete button
    const inherited = page.getByTestId('inherited-powers');
    expect(await inherited.textContent()).toContain('村级重大事项决策');
    expect(await inherited.textContent()).toContain('上级：青山县（只读）');
    expect(await inherited.getByRole('button').count()).toBe(0);

    const form = page.locator('form', { has: page.locator('input[name=action][value=add-power]') });
    await form.getByLabel('权力类别').selectOption('便民服务');
    await form.getByLabel('权力名称').fill('宅基地申请审核');
    await form.getByLabel('责任岗位').fill('村委会主任');
    await form.getByLabel('法规依据').fill('《土地管理法》第六十二条');
    const step1 = form.getByRole('group', { name: '第 1 步' });
    await step1.getByLabel('办理人').fill('村民');
    await step1.getByLabel('办理事项').fill('提出书面申请');
    await step1.getByLabel('形成材料').fill('申请书');
    await step1.getByLabel('时限').fill('随时');
    const step2 = form.getByRole('group', { name: '第 2 步' });
    await step2.getByLabel('办理人').fill('村民小组');
    await step2.getByLabel('办理事项').fill('召开会议讨论并公示');
    await step2.getByLabel('时限').fill('5 个工作日');
    await form.getByLabel('廉政风险点').fill('优亲厚友\n\n超面积审批\n');
    const posted = await submit(page, form.getByRole('button', { name: '添加权力事项' }));
    expect(posted.status()).toBe(303);
    expect(await page.locator('#powers [role=status]').textContent()).toContain('已添加该项权力');
    const own = page.getByTestId('own-powers');
    expect(await own.textContent()).toContain('宅基地申请审核');
    expect(await own.locator('.steps > li').allTextContents()).toEqual([
      expect.stringContaining('提出书面申请'),
      expect.stringContaining('召开会议讨论并公示'),
    ]);
    expect(await own.locator('.risks li').allTextContents()).toEqual(['优亲厚友', '超面积审批']);
    await fitsPhone(page);

    // the village sees both the county's and the township's powers
    const powers = await getJson<{ powers: { name: string; regionCode: string; category: string; steps: unknown[]; riskPoints: string[] }[] }>(
      `/api/v1/public/villages/${VILLAGE}/powers`,
    );
    const added = powers.powers.find((p) => p.name === '宅基地申请审核');
    expect(added).toMatchObject({ regionCode: TOWNSHIP, category: '便民服务', riskPoints: ['优亲厚友', '超面积审批'] });
    expect(added!.steps).toEqual([
      { actor: '村民', action: '提出书面申请', output: '申请书', timeLimit: '随时' },
      { actor: '村民小组', action: '召开会议讨论并公示', output: '', timeLimit: '5 个工作日' },
    ]);

    const policyForm = page.locator('form', { has: page.locator('input[name=action][value=add-policy]') });
    await policyForm.getByLabel('政策名称').fill('农村低保');
    await policyForm.getByLabel('享受条件').fill('家庭人均收入低于当地低保标准');
    await policyForm.getByLabel('办理程序').fill('申请、入户调查、民主评议、公示、审批');
    await policyForm.getByLabel('所需材料').fill('身份证、户口簿');
    await policyForm.getByLabel('咨询电话或联系人').fill('镇民政办 0000-1234567');
    await policyForm.getByLabel('开始日期').fill('2025-01-01');
    await policyForm.getByLabel('截止日期').fill('2025-12-31');
    const policyPosted = await submit(page, policyForm.getByRole('button', { name: '添加惠民政策' }));
    expect(policyPosted.status()).toBe(303);
    expect(await page.locator('#policies [role=status]').textContent()).toContain('已添加该项政策');
    const ownPolicies = page.getByTestId('own-policies');
    expect(await ownPolicies.textContent()).toContain('农村低保');
    expect(await ownPolicies.textContent()).toContain('2025-01-01 — 2025-12-31');
    const policies = await getJson<{ policies: { title: string; regionCode: string; validTo: string | null }[] }>(`/api/v1/public/villages/${VILLAGE}/policies`);
    expect(policies.policies).toEqual([expect.objectContaining({ title: '农村低保', regionCode: TOWNSHIP, validTo: '2025-12-31' })]);
    await page.screenshot({ path: path.join(shots, 'staff-lists.png'), fullPage: true });

    const deleted = await submit(page, page.getByRole('button', { name: '删除：宅基地申请审核' }));
    expect(deleted.status()).toBe(303);
    expect(await page.locator('#powers [role=status]').textContent()).toContain('已删除该项权力');
    expect(await page.getByTestId('own-powers').count()).toBe(0);
    expect(await page.locator('#powers').textContent()).toContain('本级尚未登记权力事项');
    const after = await getJson<{ powers: { name: string }[] }>(`/api/v1/public/villages/${VILLAGE}/powers`);
    expect(after.powers.map((p) => p.name)).toEqual(['村级重大事项决策']);
  });

  it('refuses a power without any step with 400 and keeps the typed values', async () => {
    await page.goto(`${server.url}${LISTS}`);
    const form = page.locator('form', { has: page.locator('input[name=action][value=add-power]') });
    await form.getByLabel('权力类别').selectOption('惠民资金');
    await form.getByLabel('权力名称').fill('集体资产处置');
    const posted = await submit(page, form.getByRole('button', { name: '添加权力事项' }));
    expect(posted.status()).toBe(400);
    expect(await page.locator('#powers [role=alert]').textContent()).toContain('至少要有一个办理步骤');
    const again = page.locator('form', { has: page.locator('input[name=action][value=add-power]') });
    expect(await again.getByLabel('权力名称').inputValue()).toBe('集体资产处置');
    expect(await again.getByLabel('权力类别').inputValue()).toBe('惠民资金');
    const powers = await getJson<{ powers: { name: string }[] }>(`/api/v1/public/villages/${VILLAGE}/powers`);
    expect(powers.powers.map((p) => p.name)).not.toContain('集体资产处置');
  });

  it('shows the registers page in English under /en/', async () => {
    const res = await page.goto(`${server.url}/en${REGISTERS}`);
    expect(res?.status()).toBe(200);
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Village registers: 沙湾村');
    expect(await page.getByRole('heading', { level: 2, name: 'Opening balance' }).count()).toBe(1);
    expect(await page.locator('.timeline').textContent()).toContain('Villagers’ (representatives’) meeting resolves');
    await fitsPhone(page);
  });

  it('answers an accountant of another township with 403', async () => {
    const other = await signInPage('sm-kuaiji', PASSWORD);
    try {
      const res = await other.page.goto(`${server.url}${REGISTERS}`);
      expect(res?.status()).toBe(403);
      expect(await other.page.getByRole('heading', { level: 1 }).textContent()).toBe('无权访问');
      const lists = await other.page.goto(`${server.url}${LISTS}`);
      expect(lists?.status()).toBe(403);
    } finally {
      await other.context.close();
    }
  });

  it('sends a signed-out visitor to the sign-in page', async () => {
    const anon = await browser.newContext(NO_JS_PHONE);
    try {
      const p = await anon.newPage();
      await p.goto(`${server.url}${REGISTERS}`);
      expect(new URL(p.url()).pathname).toBe('/signin');
      expect(await p.getByRole('heading', { level: 1 }).textContent()).toBe('工作人员登录');
    } finally {
      await anon.close();
    }
  });
});
