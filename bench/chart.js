#!/usr/bin/env node
// Draws bench/results/chart.svg from a results JSON: one group per compared pair,
// one bar per pass, on a log scale centred on parity (ratio 1), with the goal as
// a dashed line. Plain SVG text, no dependency.
// Usage: node bench/chart.js [results.json] [out.svg]
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { basename, dirname, join, resolve } from 'node:path';
import { formatNumber, goalText } from './lib/report.js';

export const DEFAULT_JSON = fileURLToPath(new URL('./results/latest.json', import.meta.url));

/** bench/results/latest.json draws bench/results/chart.svg; x.json draws x.svg. */
export function chartPathFor(jsonPath) {
  if (resolve(jsonPath) === DEFAULT_JSON) return join(dirname(DEFAULT_JSON), 'chart.svg');
  return join(dirname(jsonPath), `${basename(jsonPath).replace(/\.json$/, '')}.svg`);
}

const esc = (s) => String(s).replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]);
const COLORS = { met: '#2e7d32', missed: '#c62828', none: '#78909c' };
const PASS_LABEL = { unpinned: 'unpinned', same: 'pinned @same' };

const W = 920;
const LEFT = 120; // pass labels
const PLOT = 640;
const ROW = 18;
const GROUP_GAP = 14;
const TOP = 96;

export function renderChart(data) {
  const groups = new Map();
  for (const r of data.ratios ?? []) {
    if (!groups.has(r.key)) groups.set(r.key, { key: r.key, goal: r.goal, note: r.note, rows: [] });
    groups.get(r.key).rows.push(r);
  }

  // A log scale of whole decades around every ratio, goal and 1, with room
  // (0.4 decade) beyond the longest bars for their labels.
  const values = [1];
  for (const g of groups.values()) {
    for (const r of g.rows) if (r.ratio > 0) values.push(r.ratio);
    for (const v of [g.goal?.atLeast, g.goal?.atMost]) if (v > 0) values.push(v);
  }
  const lo = Math.floor(Math.log10(Math.min(...values)) - 0.4);
  let hi = Math.ceil(Math.log10(Math.max(...values)) + 0.4);
  if (lo === hi) hi += 1;
  const x = (v) => LEFT + ((Math.log10(v) - lo) / (hi - lo)) * PLOT;

  const body = [];
  let y = TOP;
  for (const g of groups.values()) {
    const goal = goalText(g.goal ?? {});
    body.push(`<text x="8" y="${y + 12}" class="pair">${esc(g.key)}<tspan class="goal" dx="14">${goal === '-' ? '(no goal)' : `goal ${esc(goal)}`}</tspan></text>`);
    y += 18;
    const top = y;
    const bandAt = body.length;
    for (const r of g.rows) {
      body.push(`<text x="${LEFT - 8}" y="${y + 12}" class="pass" text-anchor="end">${esc(PASS_LABEL[r.pass] ?? r.pass)}</text>`);
      if (r.ratio > 0) {
        const [a, b] = [x(1), x(r.ratio)].sort((p, q) => p - q);
        const color = r.met === null ? COLORS.none : r.met ? COLORS.met : COLORS.missed;
        body.push(`<rect x="${a.toFixed(1)}" y="${y + 2}" width="${Math.max(b - a, 1.5).toFixed(1)}" height="${ROW - 5}" fill="${color}"/>`);
        const mark = r.met === null ? '' : r.met ? ' ✓' : ' ✗';
        const right = r.ratio >= 1;
        body.push(`<text x="${(right ? b + 5 : a - 5).toFixed(1)}" y="${y + 12}" class="value" text-anchor="${right ? 'start' : 'end'}">${esc(formatNumber(r.ratio))}×${mark}</text>`);
      } else {
        body.push(`<text x="${x(1) + 5}" y="${y + 12}" class="value">n/a${r.error ? ` (${esc(r.error)})` : ''}</text>`);
      }
      y += ROW;
    }
    // The side of each goal line where the goal holds is shaded (behind the bars).
    const band = (from, to) => `<rect x="${from.toFixed(1)}" y="${top - 2}" width="${(to - from).toFixed(1)}" height="${y - top + 3}" class="band"/>`;
    const { atLeast, atMost } = g.goal ?? {};
    if (atLeast > 0 || atMost > 0) body.splice(bandAt, 0, band(atLeast > 0 ? x(atLeast) : LEFT, atMost > 0 ? x(atMost) : LEFT + PLOT));
    for (const v of [atLeast, atMost]) {
      if (v > 0) body.push(`<line x1="${x(v).toFixed(1)}" x2="${x(v).toFixed(1)}" y1="${top - 2}" y2="${y + 1}" class="goalline"/>`);
    }
    y += GROUP_GAP;
  }
  if (groups.size === 0) {
    body.push(`<text x="8" y="${y + 14}" class="pair">No ratios in this run.</text>`);
    y += 30;
  }

  // Decade grid and axis labels.
  const grid = [];
  for (let d = lo; d <= hi; d++) {
    const gx = x(10 ** d).toFixed(1);
    grid.push(`<line x1="${gx}" x2="${gx}" y1="${TOP - 6}" y2="${y}" class="${d === 0 ? 'parity' : 'grid'}"/>`);
    grid.push(`<text x="${gx}" y="${y + 14}" class="axis" text-anchor="middle">${formatNumber(10 ** d)}×</text>`);
  }
  const height = y + 44;

  const m = data.machine ?? {};
  const subtitle = [data.date?.slice(0, 10), m.cpu, m.cpus && `${m.cpus} CPUs`, m.node && `Node ${m.node}`, data.options?.quick && 'quick run'].filter(Boolean).join(' · ');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" font-family="ui-monospace, Menlo, Consolas, monospace">
<style>
  .title { font-size: 16px; font-weight: bold; }
  .sub, .axis, .legend { font-size: 11px; fill: #444; }
  .pair { font-size: 12px; font-weight: bold; }
  .goal { font-weight: normal; fill: #555; }
  .pass { font-size: 11px; fill: #555; }
  .value { font-size: 11px; paint-order: stroke; stroke: #fff; stroke-width: 3px; }
  .grid { stroke: #e0e0e0; }
  .parity { stroke: #333; }
  .band { fill: #e8f5e9; }
  .goalline { stroke: #000; stroke-width: 2; stroke-dasharray: 4 3; }
</style>
<rect width="100%" height="100%" fill="#fff"/>
<text x="8" y="22" class="title">osipc benchmarks: ratio A / B of medians, same pass</text>
<text x="8" y="40" class="sub">${esc(subtitle)}</text>
<text x="8" y="60" class="legend">bars start at 1× (parity, solid line); log scale; dashed line = goal, shaded = where the goal holds</text>
<rect x="8" y="68" width="10" height="10" fill="${COLORS.met}"/><text x="22" y="77" class="legend">goal met</text>
<rect x="98" y="68" width="10" height="10" fill="${COLORS.missed}"/><text x="112" y="77" class="legend">goal missed</text>
<rect x="208" y="68" width="10" height="10" fill="${COLORS.none}"/><text x="222" y="77" class="legend">no goal</text>
${grid.join('\n')}
${body.join('\n')}
<text x="${LEFT + PLOT / 2}" y="${height - 10}" class="axis" text-anchor="middle">ratio (log scale)</text>
</svg>
`;
}

/** Reads `jsonPath`, writes the chart; returns the chart's path. */
export function writeChart(jsonPath = DEFAULT_JSON, svgPath = chartPathFor(jsonPath)) {
  const data = JSON.parse(readFileSync(jsonPath, 'utf8'));
  writeFileSync(svgPath, renderChart(data));
  return svgPath;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [json, svg] = process.argv.slice(2);
  console.log(`wrote ${writeChart(json ?? DEFAULT_JSON, svg ?? chartPathFor(json ?? DEFAULT_JSON))}`);
}
