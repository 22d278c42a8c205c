// One pass over the suites: the `b` object each suite receives, the figures it
// measures and the ratios it asks for. run.js runs a pass unpinned and another
// pinned to CPU 0; each pass is self-contained (ratios only pair figures of the
// same pass).
import { basename } from 'node:path';
import { pathToFileURL } from 'node:url';
import { figureRow, suiteHeader } from './report.js';
import { findPython, runPeer } from './peers.js';
import { buildCPeer } from './toolchain.js';

export const PASSES = {
  unpinned: { name: 'unpinned', label: 'unpinned', suffix: '' },
  same: { name: 'same', label: '@same', suffix: '@same' },
};
const MEASURE_TIMEOUT = 300_000;

function stats(values) {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  const min = sorted[0];
  const max = sorted[sorted.length - 1];
  return { median, min, max, spreadPct: median ? ((max - min) / median) * 100 : 0 };
}

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const errorText = (e) => (e instanceof Error ? e.message : String(e));

/**
 * Runs every suite once under the current CPU affinity.
 * @param files absolute paths of suite modules, in run order
 * @param options { pass: 'unpinned'|'same', quick, only (substring or null), out (line printer) }
 */
export async function runPass(files, { pass, quick, only, out = console.log }) {
  const { suffix } = PASSES[pass];
  const figures = new Map(); // base id -> record
  const filtered = new Set(); // ids left out by --only
  const compares = new Map(); // 'A / B' -> request
  const suites = [];
  const skippedPeers = new Set();
  const needle = only?.toLowerCase() ?? null;

  for (const file of files) {
    const name = basename(file);
    const suite = { file: name, pass, title: name };
    suites.push(suite);
    let mod;
    try {
      mod = await import(pathToFileURL(file).href);
      if (typeof mod.default !== 'function') throw new TypeError('a suite must `export default async function (b)`');
    } catch (e) {
      suite.error = errorText(e);
      out(`\n## ${name}: cannot load: ${suite.error}`);
      continue;
    }
    suite.title = String(mod.title ?? name);
    const suiteSelected = !needle || name.toLowerCase().includes(needle) || suite.title.toLowerCase().includes(needle);
    let headerShown = false;
    const show = (line) => {
      if (!headerShown) out(suiteHeader(suite.title, name, PASSES[pass].label));
      headerShown = true;
      out(line);
    };
    const selected = (id) => suiteSelected || id.toLowerCase().includes(needle);

    const b = {
      quick,
      pinned: pass !== 'unpinned',
      python: findPython(),
      /** False when `id` is filtered out by --only or already measured in this pass. */
      wants(id) {
        if (!selected(id)) filtered.add(id);
        return selected(id) && !figures.has(id);
      },

      async measure(id, opts, fn) {
        if (typeof id !== 'string' || !id) throw new TypeError('measure: id must be a non-empty string');
        const { unit, better, runs = 3, timeout = MEASURE_TIMEOUT } = opts ?? {};
        if (typeof unit !== 'string') throw new TypeError(`measure ${id}: unit must be a string`);
        if (better !== 'higher' && better !== 'lower') throw new TypeError(`measure ${id}: better must be 'higher' or 'lower'`);
        if (typeof fn !== 'function') throw new TypeError(`measure ${id}: fn must be a function`);
        // Ids are global: the first suite to measure one wins, later ones reuse it.
        if (figures.has(id)) return figures.get(id).error ? null : figures.get(id);
        if (!selected(id)) {
          filtered.add(id);
          return null;
        }
        const record = { id: id + suffix, base: id, pass, suite: name, unit, better, runs: [] };
        const count = quick ? 1 : runs;
        try {
          for (let i = 0; i < count; i++) {
            const value = await withTimeout(Promise.resolve().then(() => fn(i)), timeout, id);
            if (typeof value !== 'number' || !Number.isFinite(value)) throw new TypeError(`measure ${id}: fn returned ${value}, not a finite number`);
            record.runs.push(value);
          }
          Object.assign(record, stats(record.runs));
        } catch (e) {
          record.error = errorText(e);
        }
        figures.set(id, record);
        show(figureRow(record));
        return record.error ? null : record;
      },

      compare(idA, idB, { atLeast, atMost, note } = {}) {
        for (const [k, v] of [['atLeast', atLeast], ['atMost', atMost]]) {
          if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v))) throw new TypeError(`compare: ${k} must be a number`);
        }
        const key = `${idA} / ${idB}`;
        if (!compares.has(key)) compares.set(key, { a: idA, b: idB, goal: { atLeast, atMost }, note, suite: name });
      },

      async cPeer(peer) {
        const exe = buildCPeer(peer);
        if (!exe && !skippedPeers.has(peer)) {
          skippedPeers.add(peer);
          show(`  (C peer ${peer} skipped: no C compiler; set CC or install cc)`);
        }
        return exe;
      },

      run: (cmd, args = [], opts) => runPeer(cmd, args, opts),
      node: (script, args = [], opts) => runPeer(process.execPath, [script, ...args], opts),
      log: (...parts) => {
        if (suiteSelected || headerShown) show(`  · ${parts.join(' ')}`);
      },
    };

    try {
      await mod.default(b);
    } catch (e) {
      suite.error = errorText(e);
      show(`  SUITE BROKE: ${suite.error}`);
    }
  }

  return { figures: [...figures.values()], ratios: ratiosOf(compares, figures, filtered, pass), suites };
}

/** A/B of the medians for every compare whose two figures this pass attempted. */
function ratiosOf(compares, figures, filtered, pass) {
  const { suffix } = PASSES[pass];
  const ratios = [];
  for (const [key, c] of compares) {
    const fa = figures.get(c.a);
    const fb = figures.get(c.b);
    if ((!fa && filtered.has(c.a)) || (!fb && filtered.has(c.b))) continue; // left out by --only
    const r = { id: key + suffix, key, a: c.a + suffix, b: c.b + suffix, pass, suite: c.suite, goal: c.goal, note: c.note, ratio: null, met: null };
    const missing = [[c.a, fa], [c.b, fb]].find(([, f]) => !f || f.error);
    if (missing) {
      r.error = `${missing[0]} ${missing[1] ? 'failed' : 'was not measured'}`;
    } else {
      r.ratio = fa.median / fb.median;
      const { atLeast, atMost } = c.goal;
      if (atLeast !== undefined || atMost !== undefined) {
        r.met = (atLeast === undefined || r.ratio >= atLeast) && (atMost === undefined || r.ratio <= atMost);
      }
    }
    ratios.push(r);
  }
  return ratios;
}
