// Plain-text tables for the console: one per suite as figures arrive, then the
// ratios of both passes side by side, then the summary.

/** 3 significant figures below 1000, whole numbers above (as in ANCHORS.md). */
export function formatNumber(n) {
  if (n === null || n === undefined || !Number.isFinite(n)) return '-';
  if (Math.abs(n) >= 1000) return String(Math.round(n));
  if (n === 0) return '0';
  return String(Number(n.toPrecision(3)));
}

const pad = (s, w) => String(s).padEnd(w);
const lpad = (s, w) => String(s).padStart(w);
const ID = 46;

export function suiteHeader(title, file, passLabel) {
  return [
    '',
    `## ${title}  (${file}, ${passLabel})`,
    `  ${pad('id', ID)} ${pad('unit', 7)} ${lpad('median', 11)} ${lpad('min', 11)} ${lpad('max', 11)} ${lpad('spread %', 9)} ${lpad('runs', 5)}`,
  ].join('\n');
}

export function figureRow(f) {
  if (f.error) return `  ${pad(f.id, ID)} ${pad(f.unit, 7)} FAILED: ${f.error}`;
  const spread = f.runs.length > 1 ? formatNumber(Math.round(f.spreadPct)) : '-';
  return `  ${pad(f.id, ID)} ${pad(f.unit, 7)} ${lpad(formatNumber(f.median), 11)} ${lpad(formatNumber(f.min), 11)} ${lpad(formatNumber(f.max), 11)} ${lpad(spread, 9)} ${lpad(f.runs.length, 5)}`;
}

export function goalText(goal) {
  const parts = [];
  if (goal.atLeast !== undefined) parts.push(`≥ ${goal.atLeast}`);
  if (goal.atMost !== undefined) parts.push(`≤ ${goal.atMost}`);
  return parts.join(' and ') || '-';
}

const mark = (r) => (r.met === null ? '' : r.met ? ' ✓' : ' ✗');
const cell = (r) => (r === undefined ? 'not run' : r.ratio === null ? 'n/a' : formatNumber(r.ratio) + mark(r));

/** One row per compared pair: its goal and its ratio in each pass. */
export function ratiosTable(ratios, passes) {
  if (ratios.length === 0) return '\n(no ratios)';
  const byKey = new Map();
  for (const r of ratios) {
    if (!byKey.has(r.key)) byKey.set(r.key, { first: r, byPass: {} });
    byKey.get(r.key).byPass[r.pass] = r;
  }
  const W = 64;
  const lines = ['', '## Ratios (A / B of the medians, same pass)', `  ${pad('ratio', W)} ${pad('goal', 14)} ${passes.map((p) => lpad(p.label, 12)).join(' ')}`];
  for (const { first, byPass } of byKey.values()) {
    lines.push(`  ${pad(first.key, W)} ${pad(goalText(first.goal), 14)} ${passes.map((p) => lpad(cell(byPass[p.name]), 12)).join(' ')}`);
    for (const p of passes) {
      const r = byPass[p.name];
      if (r?.error) lines.push(`      ${p.label}: ${r.error}`);
    }
    if (first.note) lines.push(`      ${first.note}`);
  }
  return lines.join('\n');
}

export function summary(result) {
  const failed = result.figures.filter((f) => f.error);
  const withGoal = result.ratios.filter((r) => r.met !== null);
  const met = withGoal.filter((r) => r.met);
  const missed = withGoal.filter((r) => !r.met);
  const unknown = result.ratios.filter((r) => r.ratio === null);
  const lines = [
    '',
    '## Summary',
    `  figures: ${result.figures.length - failed.length} measured, ${failed.length} failed`,
    `  goals:   ${met.length} met, ${missed.length} missed${unknown.length ? `, ${unknown.length} not computed` : ''}`,
  ];
  for (const r of missed) lines.push(`    ✗ ${r.id} = ${formatNumber(r.ratio)} (goal ${goalText(r.goal)})`);
  for (const f of failed) lines.push(`    failed: ${f.id}: ${f.error}`);
  for (const s of result.suites.filter((s) => s.error)) lines.push(`    suite ${s.file} (${s.pass}) broke: ${s.error}`);
  for (const n of result.notes) lines.push(`  note: ${n}`);
  return lines.join('\n');
}
