// The alert page's chart and figures: the figure that crossed the line drawn against its
// threshold or its peers (db/alerts.ts chartFiguresOf picks them per rule), as ECharts rendered
// on the server to SVG — no chart JavaScript — with a text alternative and the numbers as a table;
// and the figures' names in both languages with their values readable (money from integer fen).
import { BarChart } from 'echarts/charts';
import { GridComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';
import type { ChartBar, ChartFigures } from '../../db/alerts.ts';
import { cleanSvg, COLOURS, compactYuan, FONT_STACK, type RenderedChart } from './charts.ts';
import { yuan } from './format.ts';
import type { Lang } from './i18n.ts';

echarts.use([BarChart, GridComponent, SVGRenderer]);

/** Names of the figures the rules write (jobs/rules/*.ts), zh and en. */
const figureNames: Record<string, [string, string]> = {
  amountFen: ['金额', 'Amount'],
  capFen: ['限额', 'Cap'],
  capAccount: ['限额科目', 'Cap account'],
  limitFen: ['现金支付限额', 'Cash limit'],
  excessFen: ['超出', 'Excess'],
  majorFen: ['重大事项金额标准', 'Major-item threshold'],
  totalFen: ['合计', 'Total'],
  count: ['笔数', 'Entries'],
  minCount: ['最少笔数', 'Minimum entries'],
  bandFloorFen: ['临界区间下限', 'Band floor'],
  band: ['临界区间', 'Band'],
  spanDays: ['跨度（天）', 'Span (days)'],
  windowDays: ['窗口（天）', 'Window (days)'],
  maxWindowFen: ['窗口内最大合计', 'Largest total in a window'],
  medianFen: ['中位数', 'Median'],
  madFen: ['中位绝对偏差', 'Median absolute deviation'],
  z: ['修正 z 值', 'Modified z-score'],
  threshold: ['阈值', 'Threshold'],
  peers: ['同县比较村数', 'Peer villages'],
  q1Fen: ['下四分位数', 'First quartile'],
  q3Fen: ['上四分位数', 'Third quartile'],
  fenceFen: ['异常上限', 'Upper fence'],
  months: ['历史月数', 'Months of history'],
  k: ['IQR 倍数', 'IQR multiple'],
  accountCode: ['科目', 'Account'],
  kind: ['类型', 'Kind'],
  key: ['号码', 'Number'],
  villages: ['涉及村数', 'Villages'],
  n: ['笔数', 'Entries'],
  mad: ['平均绝对偏差', 'Mean absolute deviation'],
  madThreshold: ['偏差阈值', 'Deviation threshold'],
  othersMedianMad: ['其他乡镇偏差中位数', 'Other townships’ median deviation'],
  ratio: ['倍数', 'Ratio'],
  others: ['其他乡镇数', 'Other townships'],
  worstVillage: ['偏离最大的村', 'Village deviating most'],
  worstVillageMad: ['该村偏差', 'That village’s deviation'],
  worstVillageN: ['该村笔数', 'That village’s entries'],
  share: ['占比', 'Share'],
  roundCount: ['整数金额笔数', 'Round amounts'],
  minAmountFen: ['起计金额', 'Counted from'],
  unitFen: ['整数单位', 'Round unit'],
  counterparty: ['收付款方', 'Counterparty'],
  officials: ['相关村干部', 'Officials'],
  graceDays: ['宽限（天）', 'Grace (days)'],
  pages: ['凭证页数', 'Voucher pages'],
  reason: ['原因', 'Reason'],
  decisionRef: ['决议编号', 'Decision'],
  decidedOn: ['决议日期', 'Decided on'],
  status: ['情形', 'Situation'],
  deadline: ['截止日期', 'Deadline'],
  overdueDays: ['逾期天数', 'Days overdue'],
  latestPublished: ['最近公开账期', 'Latest published period'],
  periodsBehind: ['落后账期数', 'Periods behind'],
  unpublishedEntries: ['未公开分录', 'Unpublished entries'],
  publishedOn: ['公开日期', 'Published on'],
  lateDays: ['迟延天数', 'Days late'],
  days: ['间隔（天）', 'Days apart'],
};

/** Shares (0..1) shown as percentages. */
const SHARE_KEYS = new Set(['share']);

export function figureName(lang: Lang, key: string): string {
  const names = figureNames[key];
  return names ? names[lang === 'zh' ? 0 : 1] : key;
}

/** A figure's value for people: money (keys ending in Fen) in yuan, shares as percentages. */
export function figureValue(key: string, value: unknown, ruleId?: string): string {
  if (typeof value === 'number') {
    if (key.endsWith('Fen') && Number.isSafeInteger(value)) return yuan(value);
    if (SHARE_KEYS.has(key) || (ruleId === 'round-amounts' && key === 'threshold')) return `${Math.round(value * 1000) / 10}%`;
    return String(value);
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}

const roleNames: Record<ChartBar['role'], [string, string]> = {
  value: ['本预警', 'This alert'],
  limit: ['界限', 'Line'],
  reference: ['参照', 'Reference'],
};
const roleColours: Record<ChartBar['role'], string> = { value: COLOURS.expense, limit: COLOURS.ink, reference: COLOURS.income };

/** The figure against its threshold or peers as horizontal bars (red: the figure; black: the line; blue: a reference). */
export function alertChart(lang: Lang, ruleId: string, chart: ChartFigures): RenderedChart {
  const zh = lang === 'zh';
  const show = (b: ChartBar) => (chart.unit === 'fen' ? yuan(b.value) : figureValue(b.key, b.value, ruleId));
  const nameOf = (b: ChartBar) => figureName(lang, b.key);
  const value = chart.bars.find((b) => b.role === 'value')!;
  const others = chart.bars.filter((b) => b !== value);
  const compare = others.map((b) => {
    const rel = value.value > b.value ? (zh ? '高于' : 'above') : value.value < b.value ? (zh ? '低于' : 'below') : zh ? '等于' : 'equal to';
    return zh ? `${rel}${nameOf(b)} ${show(b)}` : `${rel} the ${nameOf(b).toLowerCase()} of ${show(b)}`;
  });
  const label = zh
    ? `条形图：${nameOf(value)} ${show(value)}，${compare.join('，')}。`
    : `Bar chart: ${nameOf(value).toLowerCase()} ${show(value)}, ${compare.join(', ')}.`;
  // Category axes run bottom-up: the figure on top.
  const bars = [...chart.bars].reverse();
  const scale = chart.unit === 'ratio' ? 10_000 : 1; // ECharts' ticks on small ratios stay readable as integers
  const chartObj = echarts.init(null, null, { renderer: 'svg', ssr: true, width: 320, height: 40 + bars.length * 36 });
  let svg: string;
  try {
    chartObj.setOption({
      animation: false,
      textStyle: { fontFamily: FONT_STACK, color: COLOURS.muted },
      grid: { left: 8, right: 16, top: 8, bottom: 8, outerBoundsMode: 'same', outerBoundsContain: 'axisLabel' },
      xAxis: {
        type: 'value',
        splitNumber: 3,
        axisLabel: {
          color: COLOURS.muted,
          fontSize: 12,
          formatter: (v: number) => (chart.unit === 'fen' ? compactYuan(v, lang) : chart.unit === 'ratio' ? String(v / scale) : String(v)),
        },
        splitLine: { lineStyle: { color: COLOURS.grid } },
      },
      yAxis: {
        type: 'category',
        data: bars.map(nameOf),
        axisLabel: { color: COLOURS.ink, fontSize: 13, interval: 0 },
        axisLine: { lineStyle: { color: COLOURS.muted } },
        axisTick: { show: false },
      },
      series: [
        {
          type: 'bar',
          barWidth: 18,
          silent: true,
          data: bars.map((b) => ({ value: Math.round(b.value * scale), itemStyle: { color: roleColours[b.role] } })),
        },
      ],
    });
    svg = cleanSvg(chartObj.renderToSVGString({ useViewBox: true }), label);
  } finally {
    chartObj.dispose();
  }
  return {
    svg,
    label,
    table: {
      caption: zh ? '图中数字' : 'The figures in the chart',
      head: zh ? ['数字', '数值', '作用'] : ['Figure', 'Value', 'Role'],
      rows: chart.bars.map((b) => [nameOf(b), show(b), roleNames[b.role][zh ? 0 : 1]]),
      numeric: [false, true, false],
    },
  };
}
