// Runs a node script in a sandbox of its own: new pid, IPC and mount
// namespaces with a private tmpfs on /dev/shm. Whatever the script does with
// random pids, keys and names (kill(-1), IPC_RMID of key 1, unlinking by
// name), only the sandbox sees it; when it ends, the kernel tears everything
// down. Needs root and unshare(1); `sandboxAvailable` says whether we have them.
import { spawn, spawnSync } from 'node:child_process';
import { packageRoot } from './child.js';

export const sandboxAvailable: boolean = process.platform === 'linux' && process.getuid?.() === 0 &&
  spawnSync('unshare', ['--ipc', '--mount', '--pid', '--fork', '--mount-proc', '--propagation', 'private',
    'sh', '-c', 'mount -t tmpfs tmpfs /dev/shm'], { stdio: 'ignore' }).status === 0;

export interface SandboxResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/**
 * Runs `node [nodeArgs] script [args]` in the sandbox (cwd: the package root,
 * so the script can import 'osipc'); sh is the sandbox's pid 1, so a kill(-1)
 * inside cannot take down the sandbox itself.
 */
export function runInSandbox(script: string, args: string[], opts: {
  env?: NodeJS.ProcessEnv; timeoutMs: number; nodeArgs?: string[]; shmSize?: string;
}): Promise<SandboxResult> {
  const inner = `mount -t tmpfs -o size=${opts.shmSize ?? '256m'},mode=1777 tmpfs /dev/shm || exit 97; "$@"`;
  const child = spawn('unshare', ['--ipc', '--mount', '--pid', '--fork', '--kill-child', '--mount-proc', '--propagation', 'private',
    'sh', '-c', inner, 'sh', process.execPath, ...(opts.nodeArgs ?? []), script, ...args], {
    cwd: packageRoot, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  let timedOut = false;
  return new Promise((resolve) => {
    // Killing unshare's child, the sandbox's pid 1, kills everything in it.
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}
