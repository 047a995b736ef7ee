// The site's two languages: zh-CN (default, at /) and English (at /en/).
export type Lang = 'zh' | 'en';

export const htmlLang: Record<Lang, string> = { zh: 'zh-CN', en: 'en' };

/** A path in the given language: `/regions/x` or `/en/regions/x`. */
export function href(lang: Lang, path: string): string {
  if (lang === 'zh') return path;
  return path === '/' ? '/en/' : `/en${path}`;
}

const messages = {
  siteName: { zh: '阳光村务', en: 'Sunshine Village Affairs' },
  tagline: { zh: '村级财务在线公开', en: 'Village accounts, published online' },
  home: { zh: '首页', en: 'Home' },
  signIn: { zh: '工作人员登录', en: 'Staff sign-in' },
  signOut: { zh: '退出登录', en: 'Sign out' },
  staffHome: { zh: '工作台', en: 'Staff home' },
  username: { zh: '用户名', en: 'Username' },
  password: { zh: '密码', en: 'Password' },
  submitSignIn: { zh: '登录', en: 'Sign in' },
  otherLanguage: { zh: 'English', en: '中文' },
  townships: { zh: '乡镇', en: 'Townships' },
  villages: { zh: '村', en: 'Villages' },
  subRegions: { zh: '下级区划', en: 'Regions below' },
  noSubRegions: { zh: '没有下级区划。', en: 'No regions below this one.' },
  noRegions: { zh: '还没有区划数据。管理员可通过 API 导入区划。', en: 'No regions yet. An administrator can load them through the API.' },
  regionCode: { zh: '区划代码', en: 'Region code' },
  notFoundTitle: { zh: '页面不存在', en: 'Page not found' },
  notFoundBody: { zh: '您要找的页面不存在，可能已被移动或地址有误。', en: 'The page you asked for does not exist; it may have moved or the address is wrong.' },
  backHome: { zh: '返回首页', en: 'Back to the home page' },
  signedInAs: { zh: '当前登录', en: 'Signed in as' },
  role: { zh: '角色', en: 'Role' },
  scope: { zh: '管辖范围', en: 'Scope' },
  nationwide: { zh: '全部区划', en: 'All regions' },
  badCredentials: { zh: '用户名或密码错误。', en: 'Wrong username or password.' },
  throttled: { zh: '登录失败次数过多，请 15 分钟后再试。', en: 'Too many failed attempts; try again in 15 minutes.' },
  missingFields: { zh: '请填写用户名和密码。', en: 'Enter your username and password.' },
  skipToContent: { zh: '跳到正文', en: 'Skip to content' },
  footer: {
    zh: '依据《农村集体经济组织会计制度》公开村级收支。发现问题可向乡镇纪委反映。',
    en: 'Village income and spending published under the 2023 rural collective accounting standard.',
  },
  levels: {
    zh: { province: '省', city: '市', county: '县', township: '乡镇', village: '村' },
    en: { province: 'Province', city: 'City', county: 'County', township: 'Township', village: 'Village' },
  },
  roles: {
    zh: { accountant: '会计', inspector: '纪检监察', admin: '管理员' },
    en: { accountant: 'Accountant', inspector: 'Discipline inspector', admin: 'Administrator' },
  },
} as const;

type Messages = typeof messages;
type TextKey = { [K in keyof Messages]: Messages[K]['zh'] extends string ? K : never }[keyof Messages];

export function t(lang: Lang, key: TextKey): string {
  return messages[key][lang];
}

export function levelName(lang: Lang, level: keyof Messages['levels']['zh']): string {
  return messages.levels[lang][level];
}

export function roleName(lang: Lang, role: keyof Messages['roles']['zh']): string {
  return messages.roles[lang][role];
}
