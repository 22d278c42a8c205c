// Real child processes for the cross-process tests: node fixtures, C peers
// compiled on the spot, Python peers. Nothing here mocks the OS.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

export interface Child {
  proc: ChildProcess;
  /** The next stdout line parsed as JSON (rejects if the child exits first). */
  next(): Promise<unknown>;
  /** Resolves with the exit code once the child has exited; stderr is kept for messages. */
  exit(): Promise<number | null>;
  stderr(): string;
}

export function start(cmd: string, args: string[]): Child {
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (d) => { err += d; });
  const queue: string[] = [];
  const wanted: { resolve: (v: unknown) => void; reject: (e: Error) => void }[] = [];
  let ended = false;
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    const w = wanted.shift();
    if (w) w.resolve(JSON.parse(line));
    else queue.push(line);
  }).on('close', () => {
    ended = true;
    for (const w of wanted.splice(0)) w.reject(new Error(`child ended early: ${err}`));
  });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return {
    proc,
    next: () => {
      const line = queue.shift();
      if (line !== undefined) return Promise.resolve(JSON.parse(line));
      if (ended) return Promise.reject(new Error(`child ended early: ${err}`));
      return new Promise((resolve, reject) => wanted.push({ resolve, reject }));
    },
    exit: () => exited,
    stderr: () => err,
  };
}

/** Starts `node test/fixtures/<name> ...args`. */
export function startFixture(name: string, args: (string | number)[]): Child {
  return start(process.execPath, [fixture(name), ...args.map(String)]);
}

/** Runs a command to its end; rejects with its stderr on a non-zero exit. */
export function runToEnd(cmd: string, args: (string | number)[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const proc = spawn(cmd, args.map(String), { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.on('data', (d) => { out += d; });
    proc.stderr.on('data', (d) => { err += d; });
    proc.on('error', reject);
    proc.on('close', (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${basename(cmd)} exited with ${code}: ${err}`));
    });
  });
}

let ccChecked: boolean | undefined;
/** Compiles test/fixtures/peers/<file>.c into a temp dir; null (and why) when there is no compiler. */
export function compilePeer(file: string, libs: string[] = []): { exe: string | null; why?: string } {
  if (ccChecked === undefined) {
    try { execFileSync('cc', ['--version'], { stdio: 'ignore' }); ccChecked = true; } catch { ccChecked = false; }
  }
  if (!ccChecked) return { exe: null, why: 'no C compiler (cc) on this machine' };
  const exe = join(mkdtempSync(join(tmpdir(), 'osipc-cc-')), file);
  execFileSync('cc', ['-O2', '-o', exe, fixture(`peers/${file}.c`), ...libs], { stdio: 'pipe' });
  return { exe };
}

/** A python3 that can `import module`, or null. */
export function pythonWith(candidates: string[], module: string): string | null {
  for (const py of candidates) {
    try {
      execFileSync(py, ['-c', `import ${module}`], { stdio: 'ignore' });
      return py;
    } catch { /* next */ }
  }
  return null;
}
