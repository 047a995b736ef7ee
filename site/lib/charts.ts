// Charts of the public village pages: ECharts rendered on the server to SVG strings, so
// villagers' phones get a picture without any chart JavaScript (and without JavaScript at all).
// Each chart comes with a text alternative (role="img" + aria-label on the SVG) and its data as
// a table; the SVGs are cached in memory per village and data version (the village's latest
// log root), in a bounded LRU.
//
// The page's Content-Security-Policy allows no inline styles, so what ECharts writes as
// `style="…"` attributes becomes SVG presentation attributes, and its `<style>` block (hover
// effects, useless without script) is dropped.
import { BarChart } from 'echarts/charts';
import { GridComponent, LegendComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';
import { yuan } from './format.ts';
import type { Lang } from './i18n.ts';

echarts.use([BarChart, GridComponent, LegendComponent, SVGRenderer]);

/** The site's font stack (site/styles/global.css :root), so CJK text in charts matches the page. */
export const FONT_STACK =
  "system-ui, -apple-system, 'PingFang SC', 'Hiragino Sans GB', 'Microsoft YaHei', 'Noto Sans CJK SC', 'Source Han Sans SC', 'WenQuanYi Micro Hei', sans-serif";

/** Colours with at least 4.5:1 against white (bars are read against the white card). */
export const COLOURS = {
  income: '#0b57a4', // blue, 7.0:1
  expense: '#b4232a', // red, 6.5:1 — blue/red stay apart for red-green colour blindness
  ink: '#1b1f24',
  muted: '#4f5a66', // 7.2:1
  grid: '#d5dae0',
} as const;

export interface ChartTable {
  caption: string;
  head: string[];
  /** Cells as display text; `numeric` columns are right-aligned. */
  rows: string[][];
  numeric: boolean[];
}

export interface RenderedChart {
  /** `<svg role="img" aria-label="…">…</svg>`: no script, no inline style. */
  svg: string;
  /** The text alternative (also on the SVG). */
  label: string;
  table: ChartTable;
}

// ---------------------------------------------------------------------------------------------
// Cache

const MAX_CACHED = 300;
const cache = new Map<string, RenderedChart>();

/** The cached chart for `key`, rendering (and caching) it on a miss; least recently used go first. */
export function cachedChart(key: string, render: () => RenderedChart): RenderedChart {
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const chart = render();
  cache.set(key, chart);
  while (cache.size > MAX_CACHED) cache.delete(cache.keys().next().value!);
  return chart;
}

/** How many charts are cached (for tests). */
export const cachedChartCount = () => cache.size;

// ---------------------------------------------------------------------------------------------
// SVG rendering and clean-up

const escapeAttr = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** CSS properties ECharts writes in style attributes that SVG also takes as presentation attributes. */
const PRESENTATION = new Set([
  'font-size',
  'font-family',
  'font-weight',
  'font-style',
  'fill',
  'fill-opacity',
  'stroke',
  'stroke-opacity',
  'stroke-width',
  'opacity',
  'visibility',
  'text-decoration',
  'paint-order',
]);

function styleToAttributes(style: string): string {
  return style
    .split(';')
    .map((d) => d.trim())
    .filter(Boolean)
    .map((d) => {
      const colon = d.indexOf(':');
      return [d.slice(0, colon).trim().toLowerCase(), d.slice(colon + 1).trim()] as const;
    })
    .filter(([prop, value]) => PRESENTATION.has(prop) && value !== '')
    .map(([prop, value]) => `${prop}="${value.replace(/"/g, '&quot;')}"`)
    .join(' ');
}

/** Makes ECharts' SSR output fit the page: presentation attributes for styles, no <style>, no script hooks. */
export function cleanSvg(svg: string, label: string): string {
  return svg
    .replace(/<style[\s\S]*?<\/style>/g, '')
    .replace(/<script[\s\S]*?<\/script>/gi, '')
    .replace(/\sstyle="([^"]*)"/g, (_m, style: string) => {
      const attrs = styleToAttributes(style);
      return attrs ? ` ${attrs}` : '';
    })
    .replace(/\s(?:ecmeta_[a-z_]+|class|pointer-events)="[^"]*"/g, '')
    .replace(/\son[a-z]+="[^"]*"/gi, '')
    .replace(/^<svg\s/, `<svg role="img" aria-label="${escapeAttr(label)}" focusable="false" class="chart-svg" `)
    .replace(/\n+/g, '\n')
    .trim();
}

function renderSvg(option: echarts.EChartsCoreOption, width: number, height: number, label: string): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption({
      animation: false,
      textStyle: { fontFamily: FONT_STACK, color: COLOURS.muted },
      ...option,
    });
    return cleanSvg(chart.renderToSVGString({ useViewBox: true }), label);
  } finally {
    chart.dispose();
  }
}

// ---------------------------------------------------------------------------------------------
// Axis labels: whole yuan from integer fen, compact (万 / k), integer arithmetic only.

/** Integer fen → a short axis label: `¥2.5万` (zh) or `¥25k` (en); exact to one decimal. */
export function compactYuan(fen: number, lang: Lang): string {
  const f = Math.round(fen); // axis ticks are integers already; guard against a stray fraction
  const sign = f < 0 ? '-' : '';
  const abs = Math.abs(f);
  const wholeYuan = (abs - (abs % 100)) / 100;
  const step = lang === 'zh' ? 10_000 : 1_000;
  const unit = lang === 'zh' ? '万' : 'k';
  if (wholeYuan < step) return `${sign}¥${wholeYuan.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',')}`;
  const units = (wholeYuan - (wholeYuan % step)) / step;
  const tenth = ((wholeYuan % step) - (wholeYuan % (step / 10))) / (step / 10);
  const grouped = units.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${sign}¥${grouped}${tenth ? `.${tenth}` : ''}${unit}`;
}

const axisCommon = (lang: Lang) => ({
  axisLabel: { color: COLOURS.muted, fontSize: 12, formatter: (v: number) => compactYuan(v, lang) },
  splitLine: { lineStyle: { color: COLOURS.grid } },
});

// ---------------------------------------------------------------------------------------------
// The charts

export interface MonthPoint {
  /** YYYY-MM */
  period: string;
  incomeFen: number;
  expenseFen: number;
}

const monthNumber = (period: string) => Number(period.slice(5, 7));

/** Income and spending of each published month of a year, as grouped bars. */
export function monthlyChart(lang: Lang, year: number, months: MonthPoint[]): RenderedChart {
  const zh = lang === 'zh';
  const income = months.reduce((s, m) => s + m.incomeFen, 0);
  const expense = months.reduce((s, m) => s + m.expenseFen, 0);
  const top = months.reduce<MonthPoint | null>((best, m) => (!best || m.expenseFen > best.expenseFen ? m : best), null);
  const range = months.length
    ? zh
      ? `${monthNumber(months[0]!.period)}–${monthNumber(months.at(-1)!.period)} 月`
      : `months ${monthNumber(months[0]!.period)}–${monthNumber(months.at(-1)!.period)}`
    : '';
  const label = zh
    ? `${year} 年${range}各月收入和支出柱状图。收入合计 ${yuan(income)}，支出合计 ${yuan(expense)}` +
      (top ? `；支出最多的是 ${monthNumber(top.period)} 月，${yuan(top.expenseFen)}。` : '。') +
      '各月数字见数据表。'
    : `Bar chart of income and spending by month, ${year} (${range}). Income ${yuan(income)} in all, spending ${yuan(expense)}` +
      (top ? `; the most spent was in month ${monthNumber(top.period)}, ${yuan(top.expenseFen)}.` : '.') +
      ' The figures are in the data table.';
  const names = zh ? { income: '收入', expense: '支出' } : { income: 'Income', expense: 'Spending' };
  const svg = renderSvg(
    {
      color: [COLOURS.income, COLOURS.expense],
      legend: { top: 0, left: 'center', itemWidth: 14, itemHeight: 10, textStyle: { color: COLOURS.ink, fontSize: 12 } },
      grid: { left: 8, right: 8, top: 30, bottom: 26, outerBoundsMode: 'same', outerBoundsContain: 'axisLabel' },
      xAxis: {
        type: 'category',
        data: months.map((m) => String(monthNumber(m.period))),
        name: zh ? '月份' : 'Month',
        nameLocation: 'middle',
        nameGap: 22,
        nameTextStyle: { color: COLOURS.muted, fontSize: 12 },
        axisLabel: { color: COLOURS.muted, fontSize: 12, interval: 0 },
        axisLine: { lineStyle: { color: COLOURS.muted } },
        axisTick: { show: false },
      },
      yAxis: { type: 'value', splitNumber: 4, ...axisCommon(lang) },
      series: [
        { name: names.income, type: 'bar', data: months.map((m) => m.incomeFen), barGap: '10%', silent: true },
        { name: names.expense, type: 'bar', data: months.map((m) => m.expenseFen), silent: true },
      ],
    },
    320,
    230,
    label,
  );
  return {
    svg,
    label,
    table: {
      caption: zh ? `${year} 年各月收入和支出` : `Income and spending by month, ${year}`,
      head: zh ? ['月份', '收入', '支出'] : ['Month', 'Income', 'Spending'],
      rows: months.map((m) => [m.period, yuan(m.incomeFen), yuan(m.expenseFen)]),
      numeric: [false, true, true],
    },
  };
}

export interface AccountPoint {
  accountCode: string;
  accountName: string;
  amountFen: number;
}

/** Spending of a year by account, as horizontal bars, largest first. */
export function accountChart(lang: Lang, year: number, accounts: AccountPoint[]): RenderedChart {
  const zh = lang === 'zh';
  const sorted = [...accounts].sort((a, b) => b.amountFen - a.amountFen || a.accountCode.localeCompare(b.accountCode));
  const total = sorted.reduce((s, a) => s + a.amountFen, 0);
  const top = sorted.slice(0, 3).map((a) => `${a.accountName} ${yuan(a.amountFen)}`);
  const label = zh
    ? `${year} 年按科目的支出条形图，共 ${sorted.length} 个科目，合计 ${yuan(total)}。` +
      (top.length ? `最多的是：${top.join('、')}。` : '') +
      '全部数字见支出科目表。'
    : `Bar chart of spending by account, ${year}: ${sorted.length} accounts, ${yuan(total)} in all.` +
      (top.length ? ` Largest: ${top.join('; ')}.` : '') +
      ' All figures are in the table of accounts.';
  // Largest at the top: category axes run bottom-up.
  const bars = [...sorted].reverse();
  const height = Math.max(120, 40 + bars.length * 30);
  const svg = renderSvg(
    {
      color: [COLOURS.expense],
      grid: { left: 8, right: 16, top: 8, bottom: 8, outerBoundsMode: 'same', outerBoundsContain: 'axisLabel' },
      xAxis: { type: 'value', splitNumber: 3, ...axisCommon(lang) },
      yAxis: {
        type: 'category',
        data: bars.map((a) => a.accountName),
        axisLabel: { color: COLOURS.ink, fontSize: 13, interval: 0 },
        axisLine: { lineStyle: { color: COLOURS.muted } },
        axisTick: { show: false },
      },
      series: [{ type: 'bar', data: bars.map((a) => a.amountFen), barWidth: 16, silent: true }],
    },
    320,
    height,
    label,
  );
  return {
    svg,
    label,
    table: {
      caption: zh ? `${year} 年按科目的支出` : `Spending by account, ${year}`,
      head: zh ? ['科目', '支出'] : ['Account', 'Spending'],
      rows: sorted.map((a) => [`${a.accountCode} ${a.accountName}`, yuan(a.amountFen)]),
      numeric: [false, true],
    },
  };
}
