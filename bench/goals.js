// Prints the goals of a bench run as a Markdown table, for the README and the
// closing notes: `node bench/goals.js [bench/results/latest.json]`.
// One row per ratio that has a goal: both figures, the goal, and the ratio in
// the unpinned pass and in the pass pinned to one CPU (`@same`).
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? new URL('./results/latest.json', import.meta.url);
const run = JSON.parse(readFileSync(file, 'utf8'));
const figures = new Map(run.figures.map((f) => [f.id, f]));

function number(x) {
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)} M`;
  if (x >= 1e4) return `${(x / 1e3).toFixed(0)} k`;
  if (x >= 100) return x.toFixed(0);
  return x.toPrecision(3);
}
const figure = (id) => {
  const f = figures.get(id);
  return f?.median === undefined ? '—' : `${number(f.median)} ${f.unit}`;
};
const goalText = (g) => (g.atLeast !== undefined ? `≥ ${g.atLeast}` : `≤ ${g.atMost}`);
const ratioText = (r) => (r?.ratio == null ? '—' : `${r.ratio.toPrecision(3)} ${r.met ? '✓' : '✗'}`);

const withGoal = run.ratios.filter((r) => r.goal && (r.goal.atLeast !== undefined || r.goal.atMost !== undefined));
const rows = new Map();
for (const r of withGoal) {
  const row = rows.get(r.key) ?? { a: r.a, b: r.b, goal: r.goal, unpinned: null, pinned: null };
  if (r.pass === 'unpinned') row.unpinned = r;
  else row.pinned = r;
  rows.set(r.key, row);
}
const when = `${run.date.slice(0, 10)}, ${run.machine.cpus} CPUs (${run.machine.cpu}), load ${run.machine.load.map((l) => l.toFixed(1)).join(' ')}, node ${run.machine.node}${run.options.quick ? ', --quick' : ''}`;
console.log(`Goals of \`npm run bench\` (${when}); figures are the unpinned medians.\n`);
console.log('| figure | osipc | peer | goal | unpinned | pinned |');
console.log('|---|---:|---:|---|---|---|');
for (const row of rows.values()) {
  console.log(`| \`${row.a}\` vs \`${row.b}\` | ${figure(row.a)} | ${figure(row.b)} | ${goalText(row.goal)} | ${ratioText(row.unpinned)} | ${ratioText(row.pinned)} |`);
}
