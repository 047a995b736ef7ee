// The procedure of a micro-power ("一事一流程") as a server-rendered SVG flow chart: one box per
// step, top to bottom, joined by arrows. Pure: steps in, SVG markup out, every text escaped.
// No script, no external references, no ids (several charts share one page), no inline CSS —
// only presentation attributes, which the site's CSP allows.

export interface FlowStep {
  actor: string;
  action: string;
  output: string;
  timeLimit: string;
}

export interface FlowchartLabels {
  /** The accessible name of the chart (role="img"), e.g. "村级工程项目建设 办理流程图，共 5 步". */
  title: string;
  /** Prefixes of the output and time-limit lines, with their colon: "产出：", "Output: ". */
  output: string;
  timeLimit: string;
}

export interface FlowchartOptions {
  /** viewBox width; the chart scales to its container. */
  width?: number;
  /** Font size of the action, output and time lines (the actor line is 1 px larger, bold). */
  fontSize?: number;
}

/** Escapes text for XML content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' }[c]};`);
}

// Full-width characters: CJK ideographs, kana, hangul, CJK punctuation, full-width forms.
const WIDE = /[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\u2018\u2019\u201c\u201d\u2014\u2026]/u;
/** May not begin a line (closing punctuation): hangs at the end of the previous one instead. */
const NO_LINE_START = new Set([...'，。、；：！？）」』》〉】〕”’,.;:!?)]}…—%％']);
/** May not end a line (opening punctuation): moves down with what follows. */
const NO_LINE_END = new Set([...'（「『《〈【〔“‘([{']);

/** Estimated advance of one character, in em: generous so that text never spills out of a box. */
function charWidth(c: string): number {
  if (WIDE.test(c)) return 1;
  if (c === ' ') return 0.32;
  if (/[il.,:;'|!]/.test(c)) return 0.32;
  if (/[mwMW@]/.test(c)) return 0.92;
  if (/[A-Z0-9#%&]/.test(c)) return 0.68;
  return 0.58;
}

/** Estimated width of a text in user units at the given font size (bold text is a little wider). */
export function textWidth(text: string, fontSize: number, bold = false): number {
  let em = 0;
  for (const c of text) em += charWidth(c);
  return em * fontSize * (bold ? 1.06 : 1);
}

/** Breaks a text into units: each wide (CJK) character or punctuation mark alone, runs of narrow characters as words, one space for any run of white space. */
function tokens(text: string): string[] {
  const out: string[] = [];
  let word = '';
  const flush = () => {
    if (word) out.push(word);
    word = '';
  };
  for (const c of text) {
    if (/\s/.test(c)) {
      flush();
      if (out.length && out[out.length - 1] !== ' ') out.push(' ');
    } else if (WIDE.test(c) || NO_LINE_START.has(c) || NO_LINE_END.has(c)) {
      flush();
      out.push(c);
    } else {
      word += c;
    }
  }
  flush();
  return out;
}

/**
 * Wraps a text to lines no wider than `maxWidth` (estimated), breaking between CJK characters
 * anywhere, between Latin words at spaces (inside a word only when it alone is too long), and
 * keeping closing punctuation off the start and opening punctuation off the end of a line.
 */
export function wrapText(text: string, maxWidth: number, fontSize: number, bold = false): string[] {
  const lines: string[] = [];
  let line = '';
  const width = (s: string) => textWidth(s, fontSize, bold);
  const push = () => {
    const trimmed = line.trimEnd();
    if (trimmed) lines.push(trimmed);
    line = '';
  };
  for (const token of tokens(text.replace(/\r\n?/g, '\n').trim())) {
    if (token === ' ') {
      if (line) line += ' ';
      continue;
    }
    if (width(line + token) <= maxWidth) {
      line += token;
      continue;
    }
    // Closing punctuation hangs at the end of the line rather than starting the next one.
    if (NO_LINE_START.has(token) && line) {
      line += token;
      continue;
    }
    if (line.trim()) {
      // An opening bracket at the end of the line goes down with what follows it.
      let carry = '';
      while (line.length > 1 && NO_LINE_END.has(line.at(-1)!)) {
        carry = line.at(-1)! + carry;
        line = line.slice(0, -1);
      }
      push();
      line = carry;
      if (width(line + token) <= maxWidth) {
        line += token;
        continue;
      }
    }
    // A word longer than the whole line: broken between its characters.
    for (const c of token) {
      if (line && width(line + c) > maxWidth && !NO_LINE_START.has(c)) push();
      line += c;
    }
  }
  push();
  return lines.length ? lines : [''];
}

interface Line {
  text: string;
  size: number;
  bold: boolean;
  muted: boolean;
}

const INK = '#1b1f24';
const MUTED = '#4f5a66';
const BRAND = '#b4232a';
const BOX_STROKE = '#7a8591';

/**
 * The flow chart of a procedure as an `<svg>` element (role="img", aria-label = labels.title).
 * Its height grows with the number of steps and the lines their texts wrap to.
 */
export function flowchartSvg(steps: readonly FlowStep[], labels: FlowchartLabels, options: FlowchartOptions = {}): string {
  const W = options.width ?? 300;
  const size = options.fontSize ?? 14;
  const actorSize = size + 1;
  const lineHeight = (s: number) => Math.round(s * 1.45);
  const margin = 4; // around the boxes, so strokes are not clipped
  const boxX = margin;
  const boxW = W - 2 * margin;
  const pad = 10;
  const badge = 11; // radius of the step number's circle
  const indent = 2 * badge + 8; // actor lines start right of the badge
  const gap = 30; // between boxes: the arrow
  const innerW = boxW - 2 * pad;

  const parts: string[] = [];
  let y = margin;
  steps.forEach((step, i) => {
    const lines: (Line & { indent: number })[] = [];
    const add = (text: string, s: number, bold: boolean, muted: boolean, ind: number) => {
      for (const l of wrapText(text, innerW - ind, s, bold)) lines.push({ text: l, size: s, bold, muted, indent: ind });
    };
    add(step.actor.trim() || '—', actorSize, true, false, indent);
    if (step.action.trim()) add(step.action, size, false, false, 0);
    if (step.output.trim()) add(`${labels.output}${step.output.trim()}`, size, false, true, 0);
    if (step.timeLimit.trim()) add(`${labels.timeLimit}${step.timeLimit.trim()}`, size, false, true, 0);

    const textHeight = lines.reduce((h, l) => h + lineHeight(l.size), 0);
    const boxH = Math.max(pad * 2 + textHeight, pad * 2 + 2 * badge);
    parts.push(
      `<rect x="${boxX}" y="${y}" width="${boxW}" height="${boxH}" rx="6" ry="6" fill="#ffffff" stroke="${BOX_STROKE}" stroke-width="1.2"/>`,
    );
    // The step number in a circle, level with the first (actor) line.
    const firstBaseline = y + pad + Math.round(lineHeight(actorSize) * 0.74);
    const cx = boxX + pad + badge;
    const cy = firstBaseline - Math.round(actorSize * 0.36);
    parts.push(
      `<circle cx="${cx}" cy="${cy}" r="${badge}" fill="${BRAND}"/>`,
      `<text x="${cx}" y="${cy + Math.round(size * 0.36)}" text-anchor="middle" font-size="${size - 1}" font-weight="700" fill="#ffffff">${i + 1}</text>`,
    );
    let baseline = y + pad;
    for (const l of lines) {
      const lh = lineHeight(l.size);
      baseline += lh;
      const ty = baseline - Math.round(lh * 0.26);
      parts.push(
        `<text x="${boxX + pad + l.indent}" y="${ty}" font-size="${l.size}"${l.bold ? ' font-weight="700"' : ''} fill="${l.muted ? MUTED : INK}">${escapeXml(l.text)}</text>`,
      );
    }
    y += boxH;
    if (i < steps.length - 1) {
      const ax = W / 2;
      const tip = y + gap;
      parts.push(
        `<line x1="${ax}" y1="${y}" x2="${ax}" y2="${tip - 8}" stroke="${BRAND}" stroke-width="2"/>`,
        `<path d="M${ax - 6} ${tip - 9}L${ax + 6} ${tip - 9}L${ax} ${tip}Z" fill="${BRAND}"/>`,
      );
      y = tip;
    }
  });
  const H = y + margin;
  const title = escapeXml(labels.title);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${title}" class="flowchart-svg">` +
    `<title>${title}</title>${parts.join('')}</svg>`
  );
}
