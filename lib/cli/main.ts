#!/usr/bin/env node
// The `osipc` command: list, remove and diagnose named IPC objects; run the benchmarks.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { formatChecks, runChecks } from './doctor.js';
import { type IpcObject, takeInventory } from './inventory.js';
import { removeObjects, resolve } from './remove.js';

const packageRoot = fileURLToPath(new URL('../..', import.meta.url));

const HELP = `osipc: named IPC objects on this machine

Usage:
  osipc ls [--json] [--osipc] [--stale]
      List POSIX shared memory, named semaphores and message queues, and System V
      queues, segments and semaphore sets, with size, mode, user, owner pid (osipc
      names carry it: /osipc-<pid>-...; System V segments record it) and whether
      the owner is alive. --osipc: only osipc's objects; --stale: only those whose
      owner is gone.
  osipc rm NAME... [--dry-run]
      Remove objects by the id ls prints (shm:/x, sem:/x, mq:/x, sysv-msg:ID,
      sysv-shm:ID, sysv-sem:ID) or by plain name (/x: every kind that has it).
  osipc rm --stale [--pid PID] [--dry-run]
      Remove osipc objects whose owner is gone (only those of PID with --pid).
  osipc doctor [--json]
      The limits that matter (queue sizes and counts, /dev/shm, semaphores, open
      files), what is in use, and what to change when one bites.
  osipc bench [ARGS...]
      Run the benchmarks (node bench/run.js ARGS...; the source package has them).
  osipc --help | --version
`;

class UsageError extends Error {}

function fail(message: string): never {
  throw new UsageError(message);
}

function args(argv: string[], options: Record<string, { type: 'boolean' | 'string' }>): ReturnType<typeof parseArgs> {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (err) {
    fail((err as Error).message);
  }
}

function cell(v: unknown): string {
  return v === null || v === undefined ? '-' : String(v);
}

function formatTable(objects: IpcObject[]): string {
  const head = ['KIND', 'NAME', 'KEY', 'SIZE', 'VALUE', 'MODE', 'USER', 'OWNER', 'ALIVE'];
  const rows = objects.map((o) => [
    o.kind, o.name, o.key, o.size, o.value, o.mode, o.user ?? o.uid, o.ownerPid,
    o.ownerAlive === null ? null : o.stale ? 'no (stale)' : o.ownerAlive ? 'yes' : 'no',
  ].map(cell));
  // A column with nothing in it (no System V objects: no keys) is left out.
  const cols = head.map((_, i) => i).filter((i) => i < 2 || rows.some((r) => r[i] !== '-'));
  const widths = cols.map((i) => Math.max(head[i]!.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string => cols.map((i, k) => (k === cols.length - 1 ? r[i]! : r[i]!.padEnd(widths[k]!))).join('  ');
  return [line(head), ...rows.map(line)].join('\n');
}

function ls(argv: string[]): number {
  const { values } = args(argv, { json: { type: 'boolean' }, osipc: { type: 'boolean' }, stale: { type: 'boolean' } });
  if (values.help) return help();
  const inv = takeInventory();
  let objects = inv.objects;
  if (values.osipc) objects = objects.filter((o) => o.osipc);
  if (values.stale) objects = objects.filter((o) => o.stale);
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ objects, trackers: inv.trackers, notes: inv.notes }, null, 2)}\n`);
    return 0;
  }
  process.stdout.write(objects.length ? `${formatTable(objects)}\n` : 'no named IPC objects\n');
  for (const note of inv.notes) process.stdout.write(`note: ${note}\n`);
  return 0;
}

async function rm(argv: string[]): Promise<number> {
  const { values, positionals } = args(argv, { stale: { type: 'boolean' }, pid: { type: 'string' }, 'dry-run': { type: 'boolean' } });
  if (values.help) return help();
  if (values.stale && positionals.length > 0) fail('give names or --stale, not both');
  if (!values.stale && positionals.length === 0) fail('rm needs NAME... or --stale');
  if (values.pid !== undefined && !values.stale) fail('--pid goes with --stale');
  const pid = values.pid === undefined ? undefined : Number(values.pid);
  if (pid !== undefined && !(Number.isSafeInteger(pid) && pid > 0)) fail(`--pid must be a process id, not ${String(values.pid)}`);
  const inv = takeInventory();
  let status = 0;
  let targets: IpcObject[] = [];
  if (values.stale) {
    targets = inv.objects.filter((o) => o.stale && (pid === undefined || o.ownerPid === pid));
    if (targets.length === 0) process.stdout.write('no stale osipc objects\n');
  } else {
    for (const arg of positionals) {
      const r = resolve(arg, inv.objects);
      if (r.problem) {
        process.stderr.write(`osipc rm: ${arg}: ${r.problem}\n`);
        status = 1;
      }
      for (const o of r.objects) if (!targets.includes(o)) targets.push(o);
    }
  }
  if (values['dry-run']) {
    for (const o of targets) process.stdout.write(`would remove ${o.id}\n`);
    return status;
  }
  const results = await removeObjects(targets);
  for (const [o, error] of results) {
    if (error === null) {
      process.stdout.write(`removed ${o.id}\n`);
    } else {
      process.stderr.write(`osipc rm: ${o.id}: ${error}\n`);
      status = 1;
    }
  }
  return status;
}

async function doctor(argv: string[]): Promise<number> {
  const { values } = args(argv, { json: { type: 'boolean' } });
  if (values.help) return help();
  // Loaded here, not at the top: it loads the addon, which other commands (bench) need not.
  const { futexWaitMethod } = await import('../os/futex-ring.js');
  const checks = runChecks(takeInventory(), futexWaitMethod());
  if (values.json) process.stdout.write(`${JSON.stringify({ checks }, null, 2)}\n`);
  else process.stdout.write(`${formatChecks(checks)}\n`);
  return 0;
}

function bench(argv: string[]): number {
  const script = `${packageRoot}bench/run.js`;
  if (!existsSync(script)) {
    process.stderr.write(`osipc bench: ${script} is not here: the benchmarks come with the source package (git clone, npm ci, npm run bench)\n`);
    return 1;
  }
  const r = spawnSync(process.execPath, [script, ...argv], { stdio: 'inherit', cwd: packageRoot });
  if (r.error) {
    process.stderr.write(`osipc bench: ${r.error.message}\n`);
    return 1;
  }
  return r.status ?? 128 + 1;
}

function help(): number {
  process.stdout.write(HELP);
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'ls': return ls(rest);
    case 'rm': return rm(rest);
    case 'doctor': return doctor(rest);
    case 'bench': return bench(rest);
    case 'help': case '--help': case '-h': return help();
    case '--version': case '-v': {
      const pkg = JSON.parse(readFileSync(`${packageRoot}package.json`, 'utf8')) as { version: string };
      process.stdout.write(`${pkg.version}\n`);
      return 0;
    }
    case undefined:
      process.stderr.write(HELP);
      return 2;
    default:
      fail(`unknown command ${JSON.stringify(command)}`);
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
}, (err: unknown) => {
  if (err instanceof UsageError) {
    process.stderr.write(`osipc: ${err.message}\n(osipc --help for usage)\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(`osipc: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  }
});
