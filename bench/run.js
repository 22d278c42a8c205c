#!/usr/bin/env node
// npm run bench [-- --quick] [--json [file]] [--only <substring>] [--no-pin]
//
// Runs every suite in bench/suites/ twice: unpinned, then pinned to CPU 0 (this
// script again under `taskset -c 0`; the processes the suites start inherit the
// affinity). Prints a table per suite as figures arrive, then the ratios of both
// passes and a summary. Missed goals are a result, not a failure: the exit code
// is non-zero only when the harness itself breaks. See docs/bench.md.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PASSES, runPass } from './lib/harness.js';
import { findPython } from './lib/peers.js';
import { ratiosTable, summary } from './lib/report.js';
import { findCompiler } from './lib/toolchain.js';
import { DEFAULT_JSON, chartPathFor, writeChart } from './chart.js';

const SELF = fileURLToPath(import.meta.url);
const SUITES = fileURLToPath(new URL('./suites/', import.meta.url));
const PINNED_PASS = '--internal-pinned-pass'; // <file>: run only the pinned pass, write it there
const USAGE = `usage: node bench/run.js [--quick] [--json [file]] [--only <substring>] [--no-pin]
  --quick          fewer runs and smaller counts (suites read b.quick)
  --json [file]    write every figure and ratio as JSON (default ${join('bench', 'results', 'latest.json')}) and draw the chart next to it
  --only <text>    run only the suites whose file or title contains <text>, or else the figures whose id does
  --no-pin         skip the pass pinned to CPU 0`;

function parseArgs(argv) {
  const o = { quick: false, json: null, only: null, pin: true, pinnedOut: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length || argv[i + 1].startsWith('--')) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--quick') o.quick = true;
    else if (a === '--no-pin') o.pin = false;
    else if (a === '--only') o.only = value();
    else if (a === '--json') o.json = i + 1 < argv.length && !argv[i + 1].startsWith('--') ? resolve(argv[++i]) : DEFAULT_JSON;
    else if (a === PINNED_PASS) o.pinnedOut = value();
    else if (a === '--help' || a === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  return o;
}

/** Suite files in run order: baseline first (the peers other suites compare with), then by name. */
function suiteFiles() {
  const names = readdirSync(SUITES).filter((f) => f.endsWith('.js')).sort();
  names.sort((x, y) => (y === 'baseline.js') - (x === 'baseline.js'));
  return names.map((f) => join(SUITES, f));
}

function machineInfo() {
  const compiler = findCompiler();
  const python = findPython();
  return {
    cpu: os.cpus()[0]?.model?.trim() ?? 'unknown',
    cpus: os.cpus().length,
    usableCpus: os.availableParallelism(),
    node: process.version,
    kernel: `${os.type()} ${os.release()} ${os.arch()}`,
    load: os.loadavg().map((l) => Number(l.toFixed(2))),
    cc: compiler ? spawnSync(compiler, ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0] : null,
    python: python ? spawnSync(python, ['--version'], { encoding: 'utf8' }).stdout.trim() : null,
  };
}

/** Re-runs this script under `taskset -c 0`; resolves with its pass, or a note saying why not. */
async function pinnedPass(o) {
  const probe = spawnSync('taskset', ['-c', '0', process.execPath, '-e', '0'], { stdio: 'ignore' });
  if (probe.error?.code === 'ENOENT') return { note: 'taskset not found (util-linux): pinned pass skipped' };
  if (probe.status !== 0) return { note: `taskset -c 0 does not work here (status ${probe.status}): pinned pass skipped` };

  const dir = mkdtempSync(join(os.tmpdir(), 'osipc-bench-'));
  const file = join(dir, 'pinned.json');
  const args = [SELF, PINNED_PASS, file, ...(o.quick ? ['--quick'] : []), ...(o.only ? ['--only', o.only] : [])];
  console.log('\n# Pass 2: pinned to CPU 0 (taskset -c 0): figures get the suffix @same');
  try {
    const child = spawn('taskset', ['-c', '0', process.execPath, ...args], { stdio: 'inherit' });
    const code = await new Promise((res) => child.on('close', (c, s) => res(s ?? c)));
    if (code !== 0) return { broke: `the pinned pass exited with ${code}` };
    return { pass: JSON.parse(readFileSync(file, 'utf8')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  let o;
  try {
    o = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`${e.message}\n${USAGE}`);
    return 2;
  }
  const files = suiteFiles();

  if (o.pinnedOut) {
    const pass = await runPass(files, { pass: 'same', quick: o.quick, only: o.only });
    writeFileSync(o.pinnedOut, JSON.stringify({ ...pass, usableCpus: os.availableParallelism() }));
    return 0;
  }

  const machine = machineInfo();
  const date = new Date().toISOString();
  console.log(`# osipc benchmarks ${date}${o.quick ? ' (quick)' : ''}`);
  console.log(`  ${machine.cpu}, ${machine.cpus} CPUs (${machine.usableCpus} usable), load ${machine.load.join(' ')}`);
  console.log(`  Node ${machine.node}, ${machine.kernel}`);
  console.log(`  ${machine.cc ?? 'no C compiler: C peers skipped'}; ${machine.python ?? 'no python3: Python peers skipped'}`);
  console.log(`  medians of ${o.quick ? 1 : 3} runs unless a figure says otherwise; spread % = (max - min) / median * 100`);
  console.log('\n# Pass 1: unpinned');

  const notes = [];
  let broke = null;
  const passes = [PASSES.unpinned];
  const results = [await runPass(files, { pass: 'unpinned', quick: o.quick, only: o.only })];
  if (o.pin) {
    const p = await pinnedPass(o);
    if (p.pass) {
      passes.push(PASSES.same);
      results.push(p.pass);
      if (p.pass.usableCpus !== 1) notes.push(`the pinned pass saw ${p.pass.usableCpus} usable CPUs, not 1`);
    } else if (p.note) notes.push(p.note);
    else broke = p.broke;
  } else notes.push('--no-pin: pinned pass skipped');

  const result = {
    version: 1,
    date,
    machine,
    options: { quick: o.quick, only: o.only, pinned: passes.length > 1 },
    notes,
    suites: results.flatMap((r) => r.suites),
    figures: results.flatMap((r) => r.figures),
    ratios: results.flatMap((r) => r.ratios),
  };
  console.log(ratiosTable(result.ratios, passes));
  console.log(summary(result));

  if (o.json) {
    mkdirSync(dirname(o.json), { recursive: true });
    writeFileSync(o.json, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`\nwrote ${o.json}\nwrote ${writeChart(o.json, chartPathFor(o.json))}`);
  }
  if (broke) console.error(`\nharness error: ${broke}`);
  return broke ? 1 : 0;
}

main().then(
  (code) => process.stdout.write('', () => process.exit(code)), // suites may leave handles open; the report is done
  (e) => {
    console.error(`harness error: ${e?.stack ?? e}`);
    process.exit(1);
  },
);
