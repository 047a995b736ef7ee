// The micro-power flow chart: an SVG string built on the server from a procedure's steps.
import { describe, expect, it } from 'vitest';
import { escapeXml, flowchartSvg, textWidth, wrapText, type FlowStep } from '../../site/lib/flowchart.ts';

const labels = { title: '村级重大事项决策 办理流程图', output: '产出：', timeLimit: '时限：' };
const step = (n: number): FlowStep => ({ actor: `第${n}步办理人`, action: '办理事项', output: '会议记录', timeLimit: '5个工作日' });
const steps = (n: number) => Array.from({ length: n }, (_, i) => step(i + 1));

/** The texts drawn in the chart, in order, unescaped. */
const texts = (svg: string) =>
  [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) =>
    m[1]!.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&'),
  );
const viewBox = (svg: string) => /viewBox="0 0 (\d+(?:\.\d+)?) (\d+(?:\.\d+)?)"/.exec(svg)!.slice(1).map(Number) as [number, number];

describe('flowchartSvg', () => {
  it('escapes <, & and " in every text and in the accessible name', () => {
    const svg = flowchartSvg(
      [{ actor: '村委会 <script>alert(1)</script>', action: 'A & B "引号"', output: "x' onload='y", timeLimit: '<5日' }],
      { ...labels, title: '名称 "<&>"' },
    );
    expect(svg).not.toContain('<script');
    // the text stays text: no tag or attribute came out of it
    const tags = svg.replace(/>[^<]*</g, '><');
    expect(tags).not.toMatch(/onload|<script/);
    expect(svg).toContain('&lt;script&gt;');
    expect(svg).toContain('A &amp; B &quot;引号&quot;');
    expect(svg).toContain('aria-label="名称 &quot;&lt;&amp;&gt;&quot;"');
    expect(texts(svg).join('')).toContain('A & B "引号"');
    // Still well-formed: every element opened is closed.
    expect(svg.match(/<text/g)!.length).toBe(svg.match(/<\/text>/g)!.length);
  });

  it('is an image with a name, no script, no event handlers, no external references', () => {
    const svg = flowchartSvg(steps(3), labels);
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]* role="img" aria-label="村级重大事项决策 办理流程图"/);
    expect(svg).toContain('<title>村级重大事项决策 办理流程图</title>');
    expect(svg).not.toMatch(/<script|\son[a-z]+=|href=|<foreignObject|style=/i);
    expect(svg.endsWith('</svg>')).toBe(true);
  });

  it('draws one box per step and an arrow between consecutive steps, actor in bold', () => {
    const svg = flowchartSvg(steps(4), labels);
    expect(svg.match(/<rect /g)).toHaveLength(4);
    expect(svg.match(/<path /g)).toHaveLength(3); // arrowheads
    const bold = [...svg.matchAll(/<text[^>]*font-weight="700" fill="#1b1f24">([^<]*)</g)].map((m) => m[1]);
    expect(bold).toEqual(['第1步办理人', '第2步办理人', '第3步办理人', '第4步办理人']);
    expect(texts(svg)).toEqual(expect.arrayContaining(['办理事项', '产出：会议记录', '时限：5个工作日']));
  });

  it('grows taller with every step', () => {
    const heights = [1, 2, 3, 6, 10].map((n) => viewBox(flowchartSvg(steps(n), labels))[1]);
    for (let i = 1; i < heights.length; i++) expect(heights[i]!).toBeGreaterThan(heights[i - 1]!);
    // and taller when a step's text wraps to more lines
    const long = { ...step(1), action: '召开村民代表会议讨论表决，形成书面决议并报乡镇党委政府审核备案，同时在村务公开栏公示不少于七天' };
    expect(viewBox(flowchartSvg([long], labels))[1]).toBeGreaterThan(viewBox(flowchartSvg([step(1)], labels))[1]);
  });

  it('wraps long Chinese text inside the box width and loses no character', () => {
    const action = '召开村民代表会议讨论表决，形成书面决议并报乡镇党委政府审核备案，同时在村务公开栏公示不少于七天';
    const svg = flowchartSvg([{ ...step(1), action }], labels, { width: 300, fontSize: 14 });
    const [w] = viewBox(svg);
    const lines = [...svg.matchAll(/<text x="(\d+(?:\.\d+)?)" y="[^"]*" font-size="14" fill="#1b1f24">([^<]*)</g)].map((m) => ({ x: Number(m[1]), text: m[2]! }));
    expect(lines.length).toBeGreaterThan(2);
    expect(lines.map((l) => l.text).join('')).toBe(action);
    for (const l of lines) expect(l.x + textWidth(l.text, 14)).toBeLessThanOrEqual(w - 4);
  });
});

describe('wrapText', () => {
  it('breaks Chinese anywhere but keeps closing punctuation off the start of a line', () => {
    const lines = wrapText('一二三四五，六七八九十。', 5 * 14, 14);
    expect(lines.join('')).toBe('一二三四五，六七八九十。');
    for (const l of lines) expect(l).not.toMatch(/^[，。]/);
  });

  it('keeps an opening bracket with what follows it', () => {
    const lines = wrapText('一二三四（五六七）', 5 * 14, 14);
    for (const l of lines) expect(l).not.toMatch(/（$/);
    expect(lines.join('')).toBe('一二三四（五六七）');
  });

  it('breaks Latin text at spaces and over-long words inside', () => {
    expect(wrapText('the villagers meeting resolves', 100, 14)).toEqual(['the villagers', 'meeting', 'resolves']);
    const word = 'x'.repeat(40);
    const lines = wrapText(word, 100, 14);
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.join('')).toBe(word);
  });

  it('returns one empty line for empty text', () => {
    expect(wrapText('', 100, 14)).toEqual(['']);
  });
});

describe('escapeXml', () => {
  it('escapes the five XML specials', () => {
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;');
  });
});
