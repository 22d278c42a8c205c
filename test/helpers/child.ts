// Real child processes for cross-process tests: a node process running an ESM
// snippet that can `import ... from 'osipc'` (it runs with the package root as
// its cwd, so the package's self-reference resolves).
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const packageRoot = fileURLToPath(new URL('../..', import.meta.url));

/** Runs `code`; as in a script, its arguments start at process.argv[2]. */
export function spawnNode(code: string, args: string[] = [], options: { env?: NodeJS.ProcessEnv } = {}): ChildProcess {
  // With -e, argv[1] is the first argument: a placeholder keeps script numbering.
  return spawn(process.execPath, ['--input-type=module', '-e', code, '--', '[eval]', ...args], {
    cwd: packageRoot,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: options.env ?? process.env,
  });
}

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a snippet to completion (killed after `timeoutMs`, to catch hangs). */
export function runNode(code: string, args: string[] = [], timeoutMs = 30_000): Promise<ChildResult> {
  const child = spawnNode(code, args);
  return collect(child, timeoutMs);
}

export function collect(child: ChildProcess, timeoutMs = 30_000): Promise<ChildResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Resolves with the first line the child prints that matches `re`. */
export function waitForLine(child: ChildProcess, re: RegExp, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`no line matching ${re} within ${timeoutMs} ms; got: ${buf}`)), timeoutMs);
    const onData = (d: Buffer): void => {
      buf += d.toString('utf8');
      for (const line of buf.split('\n')) {
        if (re.test(line)) {
          clearTimeout(timer);
          child.stdout?.off('data', onData);
          resolve(line);
          return;
        }
      }
    };
    child.stdout?.on('data', onData);
  });
}

let counter = 0;
/** A fresh IPC name owned by this test process: `/osipc-<pid>-t<n><tag>`. */
export function testName(tag = ''): string {
  return `/osipc-${process.pid}-t${++counter}${tag}`;
}

/** Whether process `pid` exists (a zombie counts as existing). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls `cond` every 20 ms until it holds or `ms` pass; its last answer. A hang catcher, not a timing. */
export async function until(cond: () => boolean | Promise<boolean>, ms = 15_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!(await cond()) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  return cond();
}
