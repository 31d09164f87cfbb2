/**
 * A small line chart as inline SVG (no script, no external resource), readable on screen and on paper:
 * x is time (UTC) proportional, y spans the observed range; each point carries a <title> with its
 * date and value; the current report's point is drawn larger. Deterministic: fixed number formatting.
 */
import { escapeMarkup as x } from './escape.js';
import { utcDate } from './presentation.js';
import type { Trend } from './trends.js';

const WIDTH = 480;
const HEIGHT = 170;
const PAD = { right: 14, top: 12, bottom: 30 };
/** Roughly the width of one digit of the 12px tick labels: the left margin fits the longest label. */
const CHAR_WIDTH = 7;
/** Distinguishable in colour and, printed in grey, by dash pattern. */
const PALETTE = ['#1f6feb', '#d1242f', '#1a7f37', '#9a6700', '#8250df', '#0a7b83', '#bc4c00', '#57606a'];
const DASHES = ['', '6 3', '2 3', '8 3 2 3'];

/** Integers with thousands separators, others with at most two decimals (no locale: same bytes everywhere). */
export function formatNumber(value: number): string {
  const fixed = Number.isInteger(value) ? String(value) : value.toFixed(Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2);
  const [int, frac] = fixed.split('.');
  const grouped = int!.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return frac ? `${grouped}.${frac}` : grouped;
}

const r = (n: number) => Number(n.toFixed(1));

export function renderChart(trend: Trend): string {
  const points = trend.series.flatMap((s) => s.points);
  if (points.length === 0) return '';
  const times = points.map((p) => Date.parse(p.at));
  const values = points.map((p) => p.value);
  let [tMin, tMax] = [Math.min(...times), Math.max(...times)];
  let [vMin, vMax] = [Math.min(...values), Math.max(...values)];
  if (tMin === tMax) [tMin, tMax] = [tMin - 1, tMax + 1];
  // A flat series sits in the middle of a narrow band, so that the next change shows.
  if (vMin === vMax) [vMin, vMax] = [vMin - Math.max(1, Math.round(Math.abs(vMin) * 0.001)), vMax + Math.max(1, Math.round(Math.abs(vMax) * 0.001))];
  const ticks = [0, 0.5, 1].map((fraction) => vMin + fraction * (vMax - vMin));
  const left = Math.max(36, Math.max(...ticks.map((v) => formatNumber(v).length)) * CHAR_WIDTH + 10);
  const plotW = WIDTH - left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const px = (at: string) => r(left + ((Date.parse(at) - tMin) / (tMax - tMin)) * plotW);
  const py = (v: number) => r(PAD.top + (1 - (v - vMin) / (vMax - vMin)) * plotH);

  const parts: string[] = [];
  // Three horizontal grid lines with their values.
  for (const value of ticks) {
    const y = py(value);
    parts.push(`<line x1="${left}" y1="${y}" x2="${WIDTH - PAD.right}" y2="${y}" class="grid"/>`);
    parts.push(`<text x="${left - 6}" y="${r(y + 4)}" text-anchor="end" class="tick">${formatNumber(value)}</text>`);
  }
  const first = points.reduce((a, b) => (a.at <= b.at ? a : b));
  const last = points.reduce((a, b) => (a.at >= b.at ? a : b));
  parts.push(`<text x="${left}" y="${HEIGHT - 8}" class="tick">${x(utcDate(first.at).slice(0, 10))}</text>`);
  if (last.at.slice(0, 10) !== first.at.slice(0, 10)) {
    parts.push(`<text x="${WIDTH - PAD.right}" y="${HEIGHT - 8}" text-anchor="end" class="tick">${x(utcDate(last.at).slice(0, 10))}</text>`);
  }
  trend.series.forEach((series, index) => {
    const color = PALETTE[index % PALETTE.length]!;
    const dash = DASHES[index % DASHES.length]!;
    const path = series.points.map((p) => `${px(p.at)},${py(p.value)}`).join(' ');
    if (series.points.length > 1) {
      parts.push(`<polyline points="${path}" fill="none" stroke="${color}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`);
    }
    for (const p of series.points) {
      parts.push(
        `<circle cx="${px(p.at)}" cy="${py(p.value)}" r="${p.current ? 4.5 : 2.5}" fill="${color}">` +
          `<title>${x(series.label)}, ${x(utcDate(p.at))}: ${formatNumber(p.value)} ${x(trend.unit)}</title></circle>`,
      );
    }
  });
  const legend = trend.series
    .map((series, index) => {
      const latest = series.points[series.points.length - 1]!;
      return `<li><span class="swatch" style="background:${PALETTE[index % PALETTE.length]}"></span>${x(series.label)}: ${formatNumber(latest.value)}</li>`;
    })
    .join('');
  return [
    `<svg viewBox="0 0 ${WIDTH} ${HEIGHT}" width="100%" role="img" aria-label="${x(trend.title)} (${x(trend.unit)})" xmlns="http://www.w3.org/2000/svg">`,
    ...parts,
    '</svg>',
    `<ul class="legend">${legend}</ul>`,
  ].join('\n');
}
